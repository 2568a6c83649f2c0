"""Declared base code on a same-task set: IR-Plag with a course's starter code in every submission.

    python bench/accuracy/basecode.py            # writes basecode.md (about 1 min)

Neither IR-Plag nor SOCO has base code: IR-Plag's students wrote each task
from a task sheet, SOCO's files come from unrelated programs. So this is a
constructed experiment, said as such: every IR-Plag file (each case's
original, the copies L1-L6, the independent solutions) is handed in on top
of the course's starter file for its case, as students of a course that
ships one do: the starter's header comment (the task, the rules) comes
first, the student's own class next, and the starter's ``InputHelper``
class (input routines every student must use and may not change) last.
Each starter is the same for every file of a case and differs between cases
only in its header. The 7 originals (with their starter) are indexed, as in
falsealarms.py; independent solutions flagged are false alarms, copies
found are recall. Three runs: no starter at all (the set as it is), starter
and no declaration, starter declared as base code (``--base``, stored in the
index). The starter is never the same text as anything the students wrote.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cg  # noqa: E402
import data  # noqa: E402
from data import CACHE, Doc  # noqa: E402

from copyguard.corpus import Document  # noqa: E402
from copyguard.index import Index  # noqa: E402
from copyguard.index.build import index_documents  # noqa: E402

HEADER = """/*
 * Programming 1, assignment {case}.
 *
 * Solve the task on the assignment sheet in the class below. Read every input
 * with the methods of InputHelper at the end of this file: the automatic grader
 * replaces standard input and checks the prompts it prints, so do not change
 * InputHelper and do not read System.in yourself. Hand in this one file.
 *
 * Your name and student number:
 */
"""

HELPER = """
/**
 * Input routines for the assignments. DO NOT CHANGE THIS CLASS: the grader
 * relies on its prompts and on the way it reports bad input.
 */
class InputHelper {
    private static final java.util.Scanner SCANNER = new java.util.Scanner(System.in);

    /**
     * Prints the prompt and reads one whole number, asking again until the
     * line holds a valid integer.
     */
    static int readInt(String prompt) {
        while (true) {
            System.out.print(prompt + ": ");
            String line = SCANNER.nextLine().trim();
            try {
                return Integer.parseInt(line);
            } catch (NumberFormatException e) {
                System.out.println("Please enter a whole number, not \\"" + line + "\\".");
            }
        }
    }

    /**
     * Prints the prompt and reads one decimal number, asking again until the
     * line holds a valid number (a comma is accepted as the decimal mark).
     */
    static double readDouble(String prompt) {
        while (true) {
            System.out.print(prompt + ": ");
            String line = SCANNER.nextLine().trim().replace(',', '.');
            try {
                return Double.parseDouble(line);
            } catch (NumberFormatException e) {
                System.out.println("Please enter a number, not \\"" + line + "\\".");
            }
        }
    }

    /** Prints the prompt and reads one line of text, without its line break. */
    static String readLine(String prompt) {
        System.out.print(prompt + ": ");
        return SCANNER.nextLine();
    }
}
"""


def starter(case: str) -> str:
    """The starter file of one case, as the course hands it out (the student's class goes in the middle)."""
    return HEADER.format(case=case) + "\n// Write your class here.\n" + HELPER


def handed_in(case: str, text: str) -> str:
    """A student's file handed in on top of the starter: header, the student's code, the helper class."""
    imports = "".join(re.findall(r"^\s*(?:import|package)\s[^\n]*\n", text, flags=re.MULTILINE))
    body = re.sub(r"^\s*(?:import|package)\s[^\n]*\n", "", text, flags=re.MULTILINE)
    return imports + HEADER.format(case=case) + "\n" + body.strip() + "\n" + HELPER


def run(mode: str) -> dict[str, tuple[float, int]]:
    """mode: ``none`` (the set as it is), ``starter`` (in every file, not declared), ``base`` (declared)."""
    items = data.irplag_pairs()
    cases = sorted({it.case for it in items})
    wrap = (lambda it_case, text: text) if mode == "none" else handed_in
    originals = {it.original.id: Doc(it.original.id, wrap(it.case, it.original.text), "java") for it in items}
    base = [Document(f"starter/{c}.java", starter(c), "java", None, None) for c in cases] if mode == "base" else None
    path = CACHE / "idx" / f"basecode-{mode}"  # rebuilt every run: a few files
    shutil.rmtree(path, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    index_documents((Document(d.id, d.text, "java", "GPL-3.0-only", d.id) for d in originals.values()), str(path),
                    base=base)
    g = cg.guard(Index.open(path))
    neg, pos, base_seen = [], {}, []
    for it in items:
        v = g.check(wrap(it.case, it.query.text), "java")
        if it.label:
            pos.setdefault(it.group, []).append(any(m.source == it.original.id for m in v.matches))
        else:
            neg.append(bool(v.matches))
        base_seen.append(bool(v.base))
    out = {"independent solutions flagged": _rate(neg)}
    for level in sorted(pos):
        out[f"copies {level} found"] = _rate(pos[level])
    out["checks that name base code in their report"] = _rate(base_seen)
    return out


def _rate(values: list[bool]) -> tuple[float, int]:
    return (sum(values) / len(values) if values else float("nan")), len(values)


def main() -> None:
    started = time.perf_counter()
    modes = {"none": "IR-Plag as it is", "starter": "starter in every file, not declared",
             "base": "starter declared (--base)"}
    results = {m: run(m) for m in modes}
    measures = list(results["base"])
    lines = ["| measure | " + " | ".join(modes.values()) + " | n |", "|---|" + "---|" * (len(modes) + 1)]
    for measure in measures:
        cells = []
        for m in modes:
            v, n = results[m].get(measure, (float("nan"), 0))
            cells.append("—" if v != v else (f"{100 * v:.1f}%" if measure.endswith(("flagged", "report")) else f"{v:.3f}"))
        lines.append(f"| {measure} | " + " | ".join(cells) + f" | {results['base'][measure][1]} |")
    text = "\n".join([
        f"# Declared base code on IR-Plag with a starter file ({time.perf_counter() - started:.0f} s, default policy)",
        "", "Generated by `python bench/accuracy/basecode.py`; the experiment is described in its docstring. "
        "IR-Plag is in the TUNING group of issue 8 (no default was chosen on this experiment).", "",
        *lines, ""])
    print(text)
    (HERE / "basecode.md").write_text(text)


if __name__ == "__main__":
    main()
