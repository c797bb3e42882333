"""Cleaning: raw document -> :class:`Article` (body paragraphs, metadata, removed lines).

HTML goes through trafilatura (text and metadata). Plain scraped text goes through
Storyline's own cleaner:

1. general furniture rules (navigation, "Most Visited", "Back to top", photo credits,
   tracking tokens, author boxes, the spelling-error notice and everything after it);
2. furniture learnt from the corpus itself: short lines that recur across several
   documents (:meth:`Cleaner.fit` / :meth:`Cleaner.partial_fit`);
3. a title repeated at the top is collapsed;
4. header lines (date, byline, "Written by") become metadata.

The body is never cut: rules only drop short lines that match furniture patterns,
and trailing blocks only after an explicit end-of-article marker.

The parts: :mod:`.stage` (the :class:`Cleaner` stage and its plain-text path), :mod:`.rules` (furniture
line rules and end-of-article markers), :mod:`.furniture` (the learnt furniture model), :mod:`.lines`
(hard wrapping, continued sentences, prose lines), :mod:`.page` (whole web pages given as text),
:mod:`.metadata` (header, dateline, byline, input fields, URL/outlet/language), :mod:`.dates` (date
parsing) and :mod:`.html` (the trafilatura path).
"""

from __future__ import annotations

from .dates import _parse_date, _parse_iso  # noqa: F401  (importable from here, as before the split)
from .furniture import FurnitureModel
from .lines import _continues, _is_body_line, hard_wrapped  # noqa: F401
from .rules import _end_marker, _norm_line, furniture_reason  # noqa: F401
from .stage import DOCUMENT_ERRORS, Cleaner, _document_error_reason, clean, guess_language  # noqa: F401

__all__ = [
    "DOCUMENT_ERRORS",
    "Cleaner",
    "FurnitureModel",
    "clean",
    "furniture_reason",
    "guess_language",
    "hard_wrapped",
]
