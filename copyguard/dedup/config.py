"""What decides whether two rows are duplicates: threshold, mode and sketch parameters."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError
from ..params import Params
from .bands import choose_bands

MODES = ("auto", "prose", "code")


@dataclass(frozen=True)
class DedupConfig:
    """Parameters of one dedup run; ``bands``/``rows`` of 0 are chosen from the threshold.

    ``mode``: ``"prose"`` folds Unicode and compares words; ``"code"`` compares
    code tokens with identifiers renumbered (rows whose language is unknown
    fall back to prose); ``"auto"`` uses code for rows whose language field
    names a known grammar and prose for the rest.

    >>> DedupConfig(threshold=0.8).bands, DedupConfig(threshold=0.8).rows
    (16, 8)
    """

    threshold: float = 0.8
    mode: str = "auto"
    params: Params = field(default_factory=Params)
    bands: int = 0
    rows: int = 0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"mode must be one of {', '.join(MODES)}; got {self.mode!r}")
        if not isinstance(self.threshold, (int, float)) or not 0.0 < self.threshold < 1.0:
            raise ConfigError(f"threshold must be strictly between 0 and 1, got {self.threshold!r}")
        if (self.bands == 0) != (self.rows == 0):
            raise ConfigError(f"give both bands and rows or neither; got bands={self.bands}, rows={self.rows}")
        if self.bands == 0:
            b, r = choose_bands(float(self.threshold), self.params.num_perm)
            object.__setattr__(self, "bands", b)
            object.__setattr__(self, "rows", r)
        if self.bands * self.rows > self.params.num_perm:
            raise ConfigError(
                f"bands * rows = {self.bands} * {self.rows} = {self.bands * self.rows} must be <= "
                f"num_perm = {self.params.num_perm}"
            )

    @property
    def num_perm(self) -> int:
        return self.params.num_perm

    @property
    def min_equal(self) -> int:
        """Equal signature slots needed for a pair to count as a duplicate (estimated Jaccard >= threshold)."""
        need = self.threshold * self.params.num_perm
        return int(need) if float(int(need)) == need else int(need) + 1
