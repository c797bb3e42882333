"""The shape of plain-text lines: text hard-wrapped at a fixed width, a line that carries on the sentence above
it, a line of prose (body) rather than a header or furniture."""

from __future__ import annotations

import re

from ..text import stopwords, words


def hard_wrapped(content: list[str]) -> bool:
    """Text wrapped at a fixed width (newswire, e-mail): most lines nearly as long as the longest ones."""
    if len(content) < 4:
        return False
    lengths = sorted(len(s) for s in content)
    width = lengths[int(0.9 * (len(lengths) - 1))]
    if not 40 <= width <= 110 or lengths[-1] > 1.3 * width + 10:
        return False
    near = sum(1 for n in lengths if n >= 0.6 * width)
    return near >= 0.7 * len(lengths)


_OPEN_END = re.compile(r"[\w,;’'\"”)\-–]$")


def _continues(prev: str, line: str, wrapped: bool = False) -> bool:
    """``line`` carries on a sentence that ``prev`` (the line just above) left open: prev is a run of
    words without a final stop and line starts in lower case (or, in hard-wrapped text, any way)."""
    return (
        bool(prev)
        and bool(line)
        and (wrapped or line[:1].islower())
        and len(prev.split()) >= 6
        and bool(_OPEN_END.search(prev))
        and not _SENT_END_RE.search(prev)
    )


_SENT_END_RE = re.compile(r"[.!?…:][\"'”’»)\]]*$")


def _is_body_line(s: str) -> bool:
    """Prose: a long line, or a sentence with several stopwords."""
    toks = words(s)
    if len(toks) >= 25:
        return True
    sw = sum(1 for t in toks if t in stopwords())
    return len(toks) >= 12 and sw >= 3 and bool(re.search(r"[.!?…][\"'”’»)]*\s*$", s))
