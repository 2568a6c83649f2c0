import pytest

from copyguard.licenses import identify


@pytest.mark.parametrize("text, spdx", [
    ("This document (the Jargon File) is in the public domain, to be freely used.", "LicenseRef-public-domain"),
    ("This is free and unencumbered software released into the public domain.", "Unlicense"),
    ("Permission is hereby granted, free of charge, to any person obtaining a copy", "MIT"),
    ("Acme Proprietary\nAll rights reserved. Not in any public registry.", "LicenseRef-Acme-Proprietary"),
])
def test_license_texts_identified(text, spdx):
    assert identify(text) == spdx
