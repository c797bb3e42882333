"""Article briefs: what lists, graphs and story pages show of an article, kept in memory (:class:`BriefCache`)."""

from __future__ import annotations

import threading
from typing import Any, NamedTuple

from ..model import Article
from ..store import Store


class ArticleBrief(NamedTuple):
    """What lists, graphs and story pages show of an article (articles never change once stored, so
    briefs are kept in memory); quacks like :class:`Article` for the page helpers. A tuple of plain
    values, so the garbage collector stops tracking it: a cache of 100,000 briefs adds nothing to a
    full collection's pause."""

    id: str
    title: str | None
    outlet: str | None
    author: str | None
    url: str | None
    published: Any
    date_precision: str | None
    seq: int | None
    word_count: int
    paragraphs: tuple[str, ...]  # the first paragraph only (for a display title)
    language: str | None = None  # ISO 639-1, as detected at ingest

    @classmethod
    def of(cls, a: Article) -> ArticleBrief:
        return cls(
            a.id,
            a.title,
            a.outlet,
            a.author,
            a.url,
            a.published,
            a.date_precision,
            a.seq,
            a.word_count,
            tuple(a.paragraphs[:1]),
            a.language,
        )


class BriefCache:
    """Article briefs by id (bounded; articles are immutable, so entries never go stale)."""

    def __init__(self, max_items: int = 200_000):
        self.max_items = max_items
        self._items: dict[str, ArticleBrief] = {}
        self._lock = threading.Lock()

    def get(self, store: Store, ids: list[str]) -> list[ArticleBrief]:
        with self._lock:
            have = {i: self._items[i] for i in ids if i in self._items}
        missing = [i for i in ids if i not in have]
        if missing:
            fresh = {a.id: ArticleBrief.of(a) for a in store.get_articles(missing)}
            have.update(fresh)
            with self._lock:
                if len(self._items) + len(fresh) > self.max_items:
                    self._items.clear()
                self._items.update(fresh)
        return [have[i] for i in ids if i in have]
