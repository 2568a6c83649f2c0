"""License files to SPDX ids, by simple text matching.

Recognized: MIT, Apache-2.0, BSD-2-Clause, BSD-3-Clause, GPL-2.0, GPL-3.0,
LGPL-2.1, LGPL-3.0, AGPL-3.0, MPL-2.0, ISC, Unlicense, CC0-1.0, CC-BY-4.0,
PSF-2.0, and a statement that the work is in the public domain
(``LicenseRef-public-domain``: SPDX has no id for it). Anything else becomes ``LicenseRef-`` plus the file's first
non-empty line, reduced to letters, digits, dots and dashes (at most 48 characters),
so a proprietary notice still says something in a report. Only the first
4,000 characters are matched: files such as pandas' LICENSE append the
licenses of bundled code after their own.

>>> identify("Permission is hereby granted, free of charge, to any person ...")
'MIT'
>>> identify("Acme Corp. Proprietary License\\nAll rights reserved.")
'LicenseRef-Acme-Corp.-Proprietary-License'
"""

from __future__ import annotations

import re
from pathlib import Path

LICENSE_STEMS = ("LICENSE", "LICENCE", "COPYING")
LICENSE_SUFFIXES = ("", ".txt", ".md", ".rst")

# (spdx id, every pattern that must occur), first match wins; order puts specific texts first
_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AGPL-3.0", (r"GNU AFFERO GENERAL PUBLIC LICENSE",)),
    ("LGPL-3.0", (r"GNU LESSER GENERAL PUBLIC LICENSE", r"Version 3")),
    ("LGPL-2.1", (r"GNU LESSER GENERAL PUBLIC LICENSE",)),
    ("GPL-3.0", (r"GNU GENERAL PUBLIC LICENSE", r"Version 3")),
    ("GPL-2.0", (r"GNU GENERAL PUBLIC LICENSE", r"Version 2")),
    ("Apache-2.0", (r"Apache License", r"Version 2\.0")),
    ("MPL-2.0", (r"Mozilla Public License", r"(Version 2\.0|v\. 2\.0)")),
    ("PSF-2.0", (r"PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2",)),
    ("CC0-1.0", (r"CC0 1\.0 Universal",)),
    ("CC-BY-4.0", (r"Attribution 4\.0 International",)),
    ("Unlicense", (r"free and unencumbered software released into the public domain",)),
    ("LicenseRef-public-domain", (r"(is|are|been|placed|released|dedicated) (placed |released |dedicated )?in(to)? the public domain",)),  # noqa: E501
    ("ISC", (r"Permission to use, copy, modify, and(/or)? distribute this software for any purpose",)),
    ("MIT", (r"Permission is hereby granted, free of charge",)),
    ("BSD-3-Clause", (r"Redistribution and use in source and binary forms", r"(Neither the name|endorse or promote)")),
    ("BSD-2-Clause", (r"Redistribution and use in source and binary forms",)),
)
_COMPILED = tuple((spdx, tuple(re.compile(p, re.IGNORECASE) for p in pats)) for spdx, pats in _RULES)


def identify(text: str) -> str:
    """The SPDX id of a license text, or ``LicenseRef-<first line>`` when none matches."""
    flat = " ".join(text[:4000].split())  # the head: later text is often bundled third-party notices
    for spdx, patterns in _COMPILED:
        if all(p.search(flat) for p in patterns):
            return spdx
    first = next((line.strip() for line in text.splitlines() if line.strip()), "unknown")
    ref = re.sub(r"[^A-Za-z0-9.]+", "-", first).strip("-.")[:48].strip("-.")
    return f"LicenseRef-{ref or 'unknown'}"


def is_license_file(path: Path) -> bool:
    """Whether ``path`` is named like a license file (``LICENSE``, ``COPYING.txt``, ``LICENSE.md``...)."""
    name = path.name.upper()
    return any(name == stem + suffix.upper() for stem in LICENSE_STEMS for suffix in LICENSE_SUFFIXES)


class LicenseFinder:
    """The license of a file from the nearest license file at or above its folder, up to a root; cached per folder.

    >>> LicenseFinder(Path("/nonexistent")).find(Path("/nonexistent/a.py")) is None
    True
    """

    def __init__(self, root: Path):
        self.root = root
        self._cache: dict[Path, str | None] = {}

    def find(self, file: Path) -> str | None:
        return self._of_dir(file.parent)

    def _of_dir(self, directory: Path) -> str | None:
        if directory in self._cache:
            return self._cache[directory]
        found = self._own(directory)
        if found is None and directory != self.root and self.root in directory.parents:
            found = self._of_dir(directory.parent)
        self._cache[directory] = found
        return found

    @staticmethod
    def _own(directory: Path) -> str | None:
        for stem in LICENSE_STEMS:
            for suffix in LICENSE_SUFFIXES:
                path = directory / f"{stem}{suffix}"
                if path.is_file():
                    return identify(path.read_text("utf-8", errors="replace")[:20000])
        return None
