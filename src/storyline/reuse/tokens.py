"""Word tokens and the 64-bit multiplier of the stable hashes over them, shared by the MinHash shingles
and the sentence sets of a profile."""

from __future__ import annotations

import re
import unicodedata

import numpy as np

WORD = re.compile(r"\w+", re.UNICODE)
M64 = np.uint64(0x9E3779B97F4A7C15)


def norm_text(text: str) -> str:
    return text.lower() if text.isascii() else unicodedata.normalize("NFKC", text).lower()
