"""Dated timelines of a story.

- :mod:`.resolve` finds temporal expressions in a sentence and resolves them to calendar dates
  against the article's publication date (the anchor), never today's;
- :mod:`.build` gives every dated event of a story, same events merged across sources, in date order
  (:func:`build_timeline`, the analysis's timeline);
- :mod:`.rank` gives the story's N key dates, most important first, each with K sentences
  (:func:`rank_timeline`, the timeline as timeline summarization scores it).
"""

from .build import build_timeline
from .rank import rank_dates, rank_timeline
from .resolve import Mention, _dp, clause_for, find_expressions, resolve_expression, resolve_weekday, sentence_mentions

__all__ = [
    "Mention",
    "build_timeline",
    "clause_for",
    "find_expressions",
    "resolve_expression",
    "resolve_weekday",
    "rank_dates",
    "rank_timeline",
    "sentence_mentions",
    "_dp",
]
