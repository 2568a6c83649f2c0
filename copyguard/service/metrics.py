"""Prometheus metrics of the service, summed over its worker processes.

With several workers, ``copyguard serve`` points ``PROMETHEUS_MULTIPROC_DIR``
at a fresh directory before the workers start, so that every worker writes
its counters there and a scrape of any worker reports the whole service
(prometheus_client's multiprocess mode). The ``copyguard_worker_*`` series
carry each worker's pid, so a scrape shows how the load is spread.
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# check latency is milliseconds to seconds: finer buckets at the low end than the default
BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class Metrics:
    """The service's counters, histograms and index gauges, in their own registry."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        reg = None if self.multiprocess else CollectorRegistry()
        self._registry = reg
        self.requests = Counter("copyguard_requests", "HTTP requests answered, by route, method and status",
                                ["route", "method", "status"], registry=reg)
        self.latency = Histogram("copyguard_request_duration_seconds",
                                 "Time from request to response, by route and verdict action",
                                 ["route", "action"], buckets=BUCKETS, registry=reg)
        self.checks = Counter("copyguard_checks", "Texts checked, by route and verdict action",
                              ["route", "action"], registry=reg)
        # summed over workers, a gauge would count each worker's index once: report the latest value instead
        self.generation = Gauge("copyguard_index_generation", "Manifest generation the service answers from, by index",
                                ["index"], registry=reg, multiprocess_mode="mostrecent")
        self.sources = Gauge("copyguard_index_live_sources", "Live sources, by index", ["index"], registry=reg,
                             multiprocess_mode="mostrecent")
        self.passages = Gauge("copyguard_index_live_passages", "Live passages, by index", ["index"], registry=reg,
                              multiprocess_mode="mostrecent")
        self.worker = str(os.getpid())
        self.worker_connections = Counter("copyguard_worker_connections", "Connections accepted, by worker process",
                                          ["worker"], registry=reg)
        self.worker_open = Gauge("copyguard_worker_open_connections", "Open connections, by worker process",
                                 ["worker"], registry=reg, multiprocess_mode="livesum")
        self.worker_requests = Counter("copyguard_worker_requests", "Requests answered, by worker process and route",
                                       ["worker", "route"], registry=reg)
        self.timeouts = Counter("copyguard_check_timeouts", "Checks answered 503 after --request-timeout (their "
                                "thread runs on to the end)", ["route"], registry=reg)
        self.refused = Counter("copyguard_checks_refused", "Checks refused 503 at once: every check thread busy "
                               "and --queue checks already waiting", ["route"], registry=reg)

    def observe(self, route: str, method: str, status: int, seconds: float, action: str | None) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, action or "none").observe(seconds)
        self.worker_requests.labels(self.worker, route).inc()

    def connection_opened(self) -> None:
        self.worker_connections.labels(self.worker).inc()
        self.worker_open.labels(self.worker).inc()

    def connection_closed(self) -> None:
        self.worker_open.labels(self.worker).dec()

    def index(self, stats: list[dict]) -> None:
        """The index gauges, one series per index, from ``Service.stats()``."""
        for one in stats:
            self.generation.labels(one["path"]).set(one["generation"])
            self.sources.labels(one["path"]).set(one["live_sources"])
            self.passages.labels(one["path"]).set(one["live_passages"])

    def render(self) -> bytes:
        """The Prometheus text exposition of every worker's metrics."""
        if self._registry is not None:
            return generate_latest(self._registry)
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
