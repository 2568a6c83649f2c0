"""Prometheus metrics of the service, summed over its worker processes.

With several workers, ``copyguard serve`` points ``PROMETHEUS_MULTIPROC_DIR``
at a fresh directory before the workers start, so that every worker writes
its counters there and a scrape of any worker reports the whole service
(prometheus_client's multiprocess mode).
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
        self.generation = Gauge("copyguard_index_generation", "Manifest generation the service answers from",
                                registry=reg, multiprocess_mode="mostrecent")
        self.sources = Gauge("copyguard_index_live_sources", "Live sources in the index", registry=reg,
                             multiprocess_mode="mostrecent")
        self.passages = Gauge("copyguard_index_live_passages", "Live passages in the index", registry=reg,
                              multiprocess_mode="mostrecent")

    def observe(self, route: str, method: str, status: int, seconds: float, action: str | None) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, action or "none").observe(seconds)

    def index(self, stats: dict) -> None:
        self.generation.set(stats["generation"])
        self.sources.set(stats["live_sources"])
        self.passages.set(stats["live_passages"])

    def render(self) -> bytes:
        """The Prometheus text exposition of every worker's metrics."""
        if self._registry is not None:
            return generate_latest(self._registry)
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
