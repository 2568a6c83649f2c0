"""What a dedup or decontamination run did, for the CLI to print and pipelines to log."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DedupCounts:
    """What an engine reports back: rows read and written, clusters of 2+ rows, rows past ``max_copies``."""

    rows_in: int
    rows_out: int
    clusters: int
    duplicates: int


@dataclass(frozen=True)
class DedupReport:
    """Counts of one dedup run.

    ``clusters`` counts clusters of two or more rows; ``duplicates`` counts rows
    beyond ``max_copies`` in their cluster (dropped, or only marked with
    ``mark_only``).

    >>> DedupReport(10, 8, 1, 2, 0.5, "local", 14, 9).summary()
    'dedup (local, 14 bands x 9 rows): 10 rows in, 8 rows out, 1 duplicate clusters, 2 duplicates, 0.5 s'
    """

    rows_in: int
    rows_out: int
    clusters: int
    duplicates: int
    seconds: float
    engine: str
    bands: int
    rows: int

    def summary(self) -> str:
        return (
            f"dedup ({self.engine}, {self.bands} bands x {self.rows} rows): {self.rows_in} rows in, "
            f"{self.rows_out} rows out, {self.clusters} duplicate clusters, {self.duplicates} duplicates, "
            f"{self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class DecontaminationReport:
    """Counts of one decontamination run: ``contaminated`` rows hold a copy of indexed content.

    ``hits`` maps each indexed source (benchmark item) that some row copies to
    those rows' ids (the id field's values, or row numbers).

    >>> r = DecontaminationReport(10, 9, 1, 2.0, {"gsm8k/17": [4]})
    >>> r.summary()
    'decontaminate: 10 rows in, 9 rows out, 1 contaminated, 1 benchmark items hit, 2.0 s'
    >>> r.item_lines()
    ['gsm8k/17: 1 row: 4']
    """

    rows_in: int
    rows_out: int
    contaminated: int
    seconds: float
    hits: dict[str, list] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"decontaminate: {self.rows_in} rows in, {self.rows_out} rows out, "
            f"{self.contaminated} contaminated, {len(self.hits)} benchmark items hit, {self.seconds:.1f} s"
        )

    def item_lines(self, limit: int = 20) -> list[str]:
        """One line per benchmark item hit: how many training rows, and the first ``limit`` of their ids."""
        out = []
        for item, rows in sorted(self.hits.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            shown = ", ".join(str(r) for r in rows[:limit]) + (", ..." if len(rows) > limit else "")
            out.append(f"{item}: {len(rows)} row{'' if len(rows) == 1 else 's'}: {shown}")
        return out
