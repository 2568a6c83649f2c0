"""The service's settings: one frozen object, passed to every worker process as JSON in the environment."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields

from ..errors import ConfigError

ENV = "COPYGUARD_SERVE_CONFIG"
CONNECTIONS = "copyguard.connections"  # lifespan-state key: what counts connections (connection_opened/_closed)


@dataclass(frozen=True)
class ServiceConfig:
    """What ``copyguard serve`` was asked for; every limit has a flag of the same name.

    >>> ServiceConfig(index="idx").max_body_bytes
    1048576
    """

    index: str | list[str]  # one index directory, or several checked together
    policy: str | None = None
    host: str = "127.0.0.1"
    port: int = 8765
    workers: int = 1
    threads: int = 2  # check threads per worker: checks never run on the event loop
    queue: int = 256  # checks that may wait for a thread, per worker; more are refused 503 at once
    api_key_env: str | None = None  # name of the environment variable holding the bearer token
    max_body_bytes: int = 1024 * 1024
    request_timeout: float = 30.0  # a check still running after this answers 503 (its thread runs on: see Service)
    client_timeout: float = 10.0  # a request's headers and body must arrive within this, or 408 and close
    keep_alive: float = 5.0  # idle keep-alive connections are closed after this
    max_header_bytes: int = 64 * 1024
    refresh_interval: float = 0.25  # how often the manifest is looked at between checks
    log_json: bool = False
    access_log: bool = True

    def __post_init__(self) -> None:
        for name in ("workers", "threads", "max_body_bytes", "max_header_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be a positive integer, got {value!r}")
        for name in ("port", "queue"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ConfigError(f"--{name} must be 0 or a positive integer, got {value!r}")
        for name in ("request_timeout", "client_timeout", "keep_alive", "refresh_interval"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be a positive number of seconds")

    def api_key(self) -> str | None:
        """The bearer token, read from the environment variable named by ``api_key_env`` (None: auth off)."""
        if self.api_key_env is None:
            return None
        key = os.environ.get(self.api_key_env, "")
        if not key.strip():
            raise ConfigError(f"--api-key-env {self.api_key_env}: that environment variable is not set or empty")
        return key.strip()

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> ServiceConfig:
        raw = os.environ.get(ENV)
        if not raw:
            raise ConfigError(f"{ENV} is not set: start the service with `copyguard serve`")
        data = json.loads(raw)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
