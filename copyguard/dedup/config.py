"""What a dedup run reads (``Columns``) and what decides whether two rows are duplicates (``DedupConfig``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ConfigError, InputError
from ..params import Params
from .bands import choose_bands

MODES = ("auto", "prose", "code")
# The highest threshold with recall >= 0.96 for every acceptance kind on the tuning split (bench/dedup_results.md).
THRESHOLD = 0.5


@dataclass(frozen=True)
class Columns:
    """The input columns a dedup run reads: the compared text, an optional row id and language.

    >>> Columns(text="content", id="path").needed()
    ['content', 'path']
    """

    text: str = "text"
    id: str | None = None
    lang: str | None = None

    def needed(self) -> list[str]:
        """The columns signing reads, in order, each once."""
        return list(dict.fromkeys(c for c in (self.text, self.lang, self.id) if c is not None))

    def check(self, names: list[str]) -> None:
        """``InputError`` naming the columns missing from ``names``."""
        missing = [c for c in self.needed() if c not in names]
        if missing:
            raise InputError(f"no column(s) {missing} in the input; columns are {names}")


@dataclass(frozen=True)
class DedupConfig:
    """Parameters of one dedup run; ``bands``/``rows`` of 0 are chosen from the threshold.

    ``mode``: ``"auto"`` compares each row as code in its language (from the
    language column, else detected per row) and as prose where no grammar
    fits; ``"code"`` also detects rows whose language column names no
    grammar; ``"prose"`` folds Unicode and compares words. Code compares
    tokens with identifiers renumbered per shingle, so renamed copies match.

    >>> DedupConfig(threshold=0.8).bands, DedupConfig(threshold=0.8).rows
    (16, 8)
    """

    threshold: float = THRESHOLD
    mode: str = "auto"
    params: Params = field(default_factory=Params)
    bands: int = 0
    rows: int = 0
    verify: bool = False  # decide candidate pairs on their exact shingle sets (copyguard.dedup.verify)

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
    def prefilter_equal(self) -> int:
        """Equal slots a pair needs before ``verify`` checks its sets (``min_equal`` without verification)."""
        if not self.verify:
            return self.min_equal
        from .verify import PREFILTER_MARGIN

        return int(max(0.0, self.threshold - PREFILTER_MARGIN) * self.params.num_perm)

    @property
    def min_equal(self) -> int:
        """Equal signature slots needed for a pair to count as a duplicate (estimated Jaccard >= threshold)."""
        need = self.threshold * self.params.num_perm
        return int(need) if float(int(need)) == need else int(need) + 1
