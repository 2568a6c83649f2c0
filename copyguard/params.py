"""Index-time parameters: how token streams become passages, shingles, signatures and band keys.

They are fixed when an index is built and recorded in its manifest; checking
with other values would compare incomparable sketches, so an index refuses
them. The defaults are chosen by ``bench/`` (see docs/parameters.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True)
class Params:
    """Every parameter that shapes an index.

    >>> Params(num_perm=128, bands=32, rows=4).bands
    32
    """

    shingle_code: int = 6  # tokens per shingle in code
    shingle_prose: int = 3  # words per shingle in prose
    window_code: int = 64  # tokens per window passage in code
    stride_code: int = 16
    window_prose: int = 48  # words per window passage in prose
    stride_prose: int = 12
    min_tokens_code: int = 24  # shorter units and documents are not indexed (boilerplate)
    min_tokens_prose: int = 16
    max_unit_code: int = 256  # longer syntactic units are only covered by windows
    num_perm: int = 128
    bands: int = 42
    rows: int = 3
    seed: int = 1

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < (0 if f.name == "seed" else 1):
                raise ConfigError(f"parameter {f.name} must be a positive integer, got {value!r}")
        if self.bands * self.rows > self.num_perm:
            raise ConfigError(
                f"bands * rows = {self.bands} * {self.rows} = {self.bands * self.rows} must be <= "
                f"num_perm = {self.num_perm}; did you forget num_perm?"
            )
        for kind in ("code", "prose"):
            k = getattr(self, f"shingle_{kind}")
            w = getattr(self, f"window_{kind}")
            s = getattr(self, f"stride_{kind}")
            if not k < w or s > w:
                raise ConfigError(f"need shingle_{kind} ({k}) < window_{kind} ({w}) and stride_{kind} ({s}) <= window")

    def shingle(self, is_code: bool) -> int:
        return self.shingle_code if is_code else self.shingle_prose

    def window(self, is_code: bool) -> tuple[int, int]:
        """(window, stride) in tokens for code or prose."""
        return (self.window_code, self.stride_code) if is_code else (self.window_prose, self.stride_prose)

    def min_tokens(self, is_code: bool) -> int:
        return self.min_tokens_code if is_code else self.min_tokens_prose

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Params:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown index parameters {unknown}; this copyguard knows {sorted(known)}")
        return cls(**data)


def load_params(path: str | None) -> Params:
    """Parameters from a TOML file of ``name = value`` lines, or the defaults when ``path`` is None."""
    if path is None:
        return Params()
    from .textio import read_toml

    return Params.from_dict(read_toml(path, "parameter"))
