"""The policy: when a verified match counts, and what to do about it.

Every threshold of the check lives here, in one frozen object that can be
read from a TOML file. The index only proposes candidates; ``match`` measures
them; the policy decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .evidence import Floors
from .match import Limits
from .textio import read_toml


class Action(StrEnum):
    """What to do with an output, from least to most severe."""

    ALLOW = "allow"  # show it
    ANNOTATE = "annotate"  # show it with the attribution
    REDACT = "redact"  # show it with the copies cut out
    BLOCK = "block"  # do not show it

    @property
    def removes(self) -> bool:
        """``redact`` and ``block`` take a copy out of what is shown; ``allow`` and ``annotate`` leave it."""
        return self in (Action.REDACT, Action.BLOCK)


ACTIONS = tuple(Action)
# The highest token floor a policy may set: above it no realistic copy would ever be reported.
MAX_FLOOR = 10_000
SEVERITY = {a: i for i, a in enumerate(ACTIONS)}

PERMISSIVE = (
    "MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "Unlicense", "CC0-1.0",
    "0BSD", "PSF-2.0", "Zlib", "CC-BY-4.0", "BSL-1.0", "Python-2.0", "LicenseRef-public-domain",
)


@dataclass(frozen=True)
class Policy:
    """Thresholds and actions of the check, with defaults chosen in ``bench/`` (docs/parameters.md).

    >>> print(Policy().action_for("MIT"), Policy().action_for("GPL-3.0-only"))
    annotate block
    """

    min_similarity: float = 0.5  # share of a region's tokens in runs shared with the source
    min_tokens_code: int = 32  # the regions naming a source must span this many code tokens (weighted by rarity) ...
    min_tokens_prose: int = 24  # ... or words (shares of both floors add up: see copyguard.evidence)
    min_tokens_exact: int = 32  # code tokens copied with their exact names and literals weigh against this floor
    min_region_tokens: int = 16  # a region (code tokens or words) shorter than this counts only toward a whole block
    rarity: float = 1.0  # a token covered only by shingles n sources hold weighs n ** -rarity (exact: half; 0: off)
    block_share: float = 0.75  # a code block or paragraph this much covered by one source's regions is a whole copy ...
    min_tokens_block: int = 14  # ... reported from this many exact code tokens ...
    min_words_block: int = 8  # ... or words (shares add up), unweighted ...
    min_region_block: int = 8  # ... counting regions of this many tokens or words and more
    min_renamed_block: int = 24  # ... or this many rarity-weighted renamed code tokens (shares add up; 0: off) ...
    min_names_block: int = 3  # ... or this many names a renamed copy kept from its source (shares add up; 0: off)
    rare_name_weight: int = 18  # ... a kept name n indexed sources' code holds counts max(1, this // n) names (0: 1)
    min_region_cover: int = 4  # regions of words this short cover the block they are in, never count as evidence
    min_held_shingles: int = 3  # a source holding this many of the output's rare shingles is aligned (0: off) ...
    # ... whatever the bands proposed, and reported only as a whole-block copy when no band proposed it
    min_held_names: int = 1  # ... as is one holding or declaring this many of its names 1 to 4 sources hold (0: off)
    max_shingle_sources: int = 10  # a shingle held by more indexed sources is boilerplate: it never counts (0: off)
    max_shingle_share: float = 0.06  # ... or by more than this share of them, when that is more (a large corpus)
    background_counts: bool = False  # the cap also reads a shipped corpus's counts (index.background): small indexes
    background_below: int = 100  # ... and does so on its own while the indexes hold fewer live sources (0: off)
    min_distinct_shingles: int = 20  # repetitive boilerplate (rows of getters) has few distinct shingles
    max_gap: int = 32  # shingles of edits tolerated inside one matched region
    min_candidate_containment: float = 0.3  # share of a candidate passage's shingles in the output before alignment
    max_sources: int = 8  # sources aligned per round and kind, best first; rounds go on while new ones qualify
    default_action: Action = Action.BLOCK
    licenses: dict[str, Action] = field(default_factory=lambda: {lic: Action.ANNOTATE for lic in PERMISSIVE})
    sources: dict[str, Action] = field(default_factory=dict)
    base: tuple[str, ...] = ()  # folders or files of declared base code (starter code): never reported

    def __post_init__(self) -> None:
        # Fail closed: a value of the wrong type, or one that switches detection off, is refused.
        for name in ("min_similarity", "min_candidate_containment", "block_share"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value <= 1.0:
                raise ConfigError(f"{name} must be a number in (0, 1], got {value!r}")
        rarity = self.rarity
        if isinstance(rarity, bool) or not isinstance(rarity, (int, float)) or not 0.0 <= rarity <= 4.0:
            raise ConfigError(f"rarity must be a number in [0, 4], got {rarity!r}")
        share = self.max_shingle_share
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0.0 <= share <= 1.0:
            raise ConfigError(f"max_shingle_share must be a number in [0, 1], got {share!r}")
        for name in ("min_tokens_code", "min_tokens_prose", "min_tokens_exact", "min_region_tokens",
                     "min_tokens_block", "min_words_block", "min_region_block", "min_distinct_shingles", "max_gap",
                     "max_sources", "max_shingle_sources", "min_held_shingles", "min_held_names", "background_below",
                     "min_region_cover", "min_renamed_block", "min_names_block", "rare_name_weight"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{name} must be a non-negative integer, got {value!r}")
        if self.max_sources < 1:
            raise ConfigError("max_sources must be at least 1 (0 would align no candidate: nothing would be found)")
        for name in ("min_tokens_code", "min_tokens_prose", "min_tokens_exact", "min_region_tokens",
                     "min_tokens_block", "min_words_block", "min_region_block", "min_distinct_shingles",
                     "min_region_cover", "min_renamed_block", "min_names_block"):
            if getattr(self, name) > MAX_FLOOR:
                raise ConfigError(f"{name} = {getattr(self, name)} is over {MAX_FLOOR:,}: no realistic copy "
                                  f"would be found")
        for where, table in (("licenses", self.licenses), ("sources", self.sources)):
            if not isinstance(table, dict):
                raise ConfigError(f"{where} must be a table of id = action, got {table!r}")
        for where, table in (("default_action", {"*": self.default_action}), ("licenses", self.licenses),
                             ("sources", self.sources)):
            for key, action in table.items():
                if not isinstance(action, str) or action not in SEVERITY:
                    raise ConfigError(f"{where}[{key!r}] = {action!r}: an action must be one of {', '.join(ACTIONS)}")
        object.__setattr__(self, "default_action", Action(self.default_action))
        object.__setattr__(self, "licenses", {k: Action(v) for k, v in self.licenses.items()})
        object.__setattr__(self, "sources", {k: Action(v) for k, v in self.sources.items()})
        if not isinstance(self.background_counts, bool):
            raise ConfigError(f"background_counts must be true or false, got {self.background_counts!r}")
        if isinstance(self.base, str) or not all(isinstance(b, str) for b in self.base):
            raise ConfigError(f"base must be a list of folders or files, got {self.base!r}")
        object.__setattr__(self, "base", tuple(self.base))

    def min_tokens(self, is_code: bool) -> int:
        return self.min_tokens_code if is_code else self.min_tokens_prose

    def limits(self, is_code: bool) -> Limits:
        """The thresholds ``match`` applies to one kind of text.

        >>> Policy().limits(is_code=False).min_tokens
        24
        """
        return Limits(self.min_tokens(is_code), self.min_distinct_shingles, self.min_similarity, self.max_gap)

    def region_limits(self, is_code: bool) -> Limits:
        """What one region needs to be aligned at all; the floors apply to the sum (``copyguard.evidence``).

        Regions of words from ``min_region_cover`` on are aligned: under
        ``min_region_block`` they are no evidence, but they cover their block
        (a one-line doc comment above a copied method) for the whole-block test.

        >>> Policy().region_limits(is_code=True).min_tokens, Policy().region_limits(is_code=False).min_tokens
        (8, 4)
        """
        short = min(self.min_region_tokens, self.min_region_block, self.min_tokens(is_code))
        if not is_code and self.min_region_cover > 0:
            short = min(short, self.min_region_cover)
        return Limits(short, min(self.min_distinct_shingles, short // 2), self.min_similarity, self.max_gap)

    def floors(self) -> Floors:
        """The floors the evidence naming one source must reach (``copyguard.evidence``).

        >>> Policy().floors().block_share
        0.75
        """
        return Floors(self.min_tokens_code, self.min_tokens_prose, self.min_tokens_exact, self.min_region_tokens,
                      self.block_share, self.min_tokens_block, self.min_words_block, self.min_region_block,
                      self.min_renamed_block, self.min_names_block)

    def action_for(self, license: str | None, source: str | None = None) -> Action:
        """The action for a match: per source first, then per license, then the default."""
        return self.rule_for(license, source)[0]

    def rule_for(self, license: str | None, source: str | None = None) -> tuple[Action, str]:
        """The action for a match and the rule that gives it, spelled as in a policy file.

        >>> Policy(sources={"a.py": "allow"}).rule_for("MIT", "a.py")
        (<Action.ALLOW: 'allow'>, 'sources["a.py"]')
        >>> Policy().rule_for("GPL-3.0-only")
        (<Action.BLOCK: 'block'>, 'default_action')
        """
        if source is not None and source in self.sources:
            return self.sources[source], f'sources["{source}"]'
        if license is not None and license in self.licenses:
            return self.licenses[license], f'licenses["{license}"]'
        return self.default_action, "default_action"

    def with_overrides(self, **values: Any) -> Policy:
        """A copy with the given fields replaced (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    @classmethod
    def from_toml(cls, path: str | Path) -> Policy:
        """Read a policy file; see README's "Policy" section for the keys.

        ``[licenses]`` and ``[sources]`` tables map a license id or source id
        to an action; they extend the default license table. ``base`` lists
        folders or files of starter code, relative to the policy file's folder.
        """
        data = read_toml(path, "policy")
        if isinstance(data.get("base"), list):
            data["base"] = [str(Path(path).parent / b) if isinstance(b, str) else b for b in data["base"]]
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{path}: unknown policy keys {unknown}; known keys are {sorted(known)}")
        extra = data.pop("licenses", {})
        if not isinstance(extra, dict):
            raise ConfigError(f"{path}: licenses must be a table of license = action, got {extra!r}")
        try:
            return cls(licenses={**cls().licenses, **extra}, **data)
        except ConfigError as err:
            raise ConfigError(f"{path}: {err}") from None


def most_severe(actions: list[Action]) -> Action:
    """The strongest of several actions (``allow`` when there are none)."""
    return max(actions, key=SEVERITY.__getitem__, default=Action.ALLOW)
