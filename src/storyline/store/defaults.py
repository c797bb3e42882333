"""The store interface's default light reads and revisions (a part of :class:`~storyline.store.base.Store`).

They are written over the abstract methods alone, so they work on any engine (slowly, or by answering
"not known"); SQLite overrides them with its columns, indexes and triggers (``sqlite_views.py``,
``sqlite_aggregates.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from ..model import Article, ReuseEdge, Story


class StoreDefaults:
    """Mixed into :class:`~storyline.store.base.Store`: uses its abstract methods."""

    all_edges: Any
    count_articles: Any
    edges_for: Any
    get_analysis: Any
    get_articles: Any
    get_story: Any
    iter_articles: Any
    list_articles: Any
    list_stories: Any

    # -- read-side revisions and light reads (for the HTTP server's caches) -------------------
    # Defaults work on any store (slowly, or by saying "not known": None turns caching off);
    # SQLite keeps exact counters with triggers.
    def story_revision(self, story_id: str) -> Any:
        """A value that changes whenever the story, its analysis or a reuse edge touching one of its
        articles changes; None when there is no such story."""
        story = self.get_story(story_id)
        if story is None or story.id != story_id:
            return None
        import hashlib
        import json

        from ..model import to_dict

        h = hashlib.blake2b(json.dumps(to_dict(story), sort_keys=True, default=str).encode(), digest_size=16)
        for aid in story.article_ids:
            for e in self.edges_for(aid):
                h.update(f"{e.source_id}>{e.target_id}:{e.relation}:{e.confidence}|".encode())
        cached = self.get_analysis(story_id)
        h.update((cached[0] if cached else "-").encode())
        return h.hexdigest()

    def stories_revision(self) -> Any:
        """A value that changes whenever any story is written or deleted; None: not known (no caching)."""
        return None

    def article_revision(self, article_id: str) -> Any:
        """A value that changes when an edge touching the article or the article's story changes;
        None: not known (no caching)."""
        return None

    def story_edge_page(
        self, story_id: str, limit: int | None = None, offset: int = 0
    ) -> tuple[int, list[tuple[ReuseEdge, int]]]:
        """Non-independent edges touching the story's articles, strongest first, without passages:
        (total, [(edge with passages=[], number of passages)])."""
        import dataclasses

        story = self.get_story(story_id)
        if story is None:
            return 0, []
        edges = self._linking_edges(story.article_ids, inside=False)
        edges.sort(key=lambda e: (-e.confidence, e.source_id, e.target_id))
        page = edges[offset:] if limit is None else edges[offset : offset + limit]
        return len(edges), [(dataclasses.replace(e, passages=[]), len(e.passages)) for e in page]

    def story_links(self, story_id: str) -> list[tuple[str, str, str, float]]:
        """(source_id, target_id, relation, confidence) of the non-independent edges inside the story."""
        story = self.get_story(story_id)
        if story is None:
            return []
        return [
            (e.source_id, e.target_id, e.relation, e.confidence)
            for e in self._linking_edges(story.article_ids, inside=True)
        ]

    def _linking_edges(self, article_ids: list[str], inside: bool) -> list[ReuseEdge]:
        """The non-independent edges touching these articles (``inside``: with both ends among them), each
        once, in the order the articles and their edges come."""
        members = set(article_ids)
        seen: set[tuple[str, str]] = set()
        out: list[ReuseEdge] = []
        for aid in dict.fromkeys(article_ids):
            for e in self.edges_for(aid):
                key = (e.source_id, e.target_id)
                if e.relation == "independent" or key in seen:
                    continue
                if inside and not (e.source_id in members and e.target_id in members):
                    continue
                seen.add(key)
                out.append(e)
        return out

    def articles_revision(self) -> Any:
        """A value that grows with every stored article; None: not known (no caching)."""
        return None

    def snapshot(self) -> AbstractContextManager[None]:
        """Reads inside see one state of the store (where the engine can); default: no guarantee."""
        from contextlib import nullcontext

        return nullcontext()

    def edges_among(
        self, article_ids: list[str], limit: int | None = None, light: bool = False
    ) -> tuple[int, list[tuple[ReuseEdge, int]]]:
        """Non-independent edges with both ends among these articles, strongest first, without passages:
        (how many, [(edge with passages=[], number of passages)] for the first ``limit``)."""
        import dataclasses

        out = [
            (dataclasses.replace(e, passages=[]), len(e.passages))
            for e in self._linking_edges(article_ids, inside=True)
        ]
        out.sort(key=lambda x: (-x[0].confidence, x[0].source_id, x[0].target_id))
        return len(out), (out if limit is None else out[: max(0, limit)])

    def edge_json_for(self, article_id: str) -> list[tuple[str, str, str, str]]:
        """:meth:`edges_for` undecoded: (source_id, target_id, relation, JSON text of ``to_dict(edge)``)."""
        import json

        from ..model import to_dict

        return [
            (e.source_id, e.target_id, e.relation, json.dumps(to_dict(e), ensure_ascii=False))
            for e in self.edges_for(article_id)
        ]

    def story_title(self, story_id: str) -> tuple[str, str | None] | None:
        """(id, title) of a story; None for no such story."""
        story = self.get_story(story_id)
        return (story.id, story.title) if story is not None else None

    def story_briefs(self, limit: int = 50, offset: int = 0, **filters: Any) -> list[dict[str, Any]]:
        """:meth:`list_stories` as light dicts: id, title, article_count, event_count, outlets,
        first_date, last_date (ISO text or None)."""
        ids = filters.pop("ids", None)
        if ids is not None:
            stories = [s for s in (self.get_story(i) for i in dict.fromkeys(ids)) if s is not None and s.id in ids][
                offset : offset + limit
            ]
        else:
            stories = self.list_stories(limit=limit, offset=offset, **filters)
        return [
            {
                "id": s.id,
                "title": s.title,
                "article_count": len(s.article_ids),
                "event_count": len(s.events),
                "outlets": s.outlets,
                "first_date": s.first_date.isoformat() if s.first_date else None,
                "last_date": s.last_date.isoformat() if s.last_date else None,
            }
            for s in stories
        ]

    def latest_article_ids(self, n: int) -> list[str]:
        """Ids of the ``n`` articles stored last, newest first."""
        total = self.count_articles()
        return [a.id for a in reversed(self.list_articles(limit=n, offset=max(0, total - n)))]

    def article_languages_near(
        self, start: datetime | None, end: datetime | None, limit: int, not_language: str | None = None
    ) -> list[tuple[str, str | None, str | None]]:
        """(id, language, published ISO) of up to ``limit`` articles published between ``start`` and ``end``,
        latest first, leaving out those in ``not_language``; without dates, the ``limit`` stored last."""
        return articles_near(list(self.iter_articles()), start, end, limit, not_language)

    def article_outlets(self, ids: Iterable[str]) -> dict[str, str | None]:
        """Outlet of each of these articles."""
        return {a.id: a.outlet for a in self.get_articles(ids)}

    # -- light reads for whole-store aggregates (storyline.outlets) ----------------------------
    # Tuples, not model objects: an outlet graph over 100,000 articles reads every article's outlet and
    # date and every edge's scalars, never a body or an edge's passages. These defaults work on any store
    # (by decoding everything); SQLite answers them from its columns and indexes.
    def article_meta_since(self, seq: int = 0) -> list[tuple[int, str, str | None, str | None, str | None]]:
        """(seq, id, outlet, published as ISO text or None, date_precision) of the articles stored after
        ingest number ``seq``, in ingest order."""
        return [
            (a.seq or 0, a.id, a.outlet, a.published.isoformat() if a.published else None, a.date_precision)
            for a in self.iter_articles()
            if (a.seq or 0) > seq
        ]

    def article_meta(self, ids: Iterable[str]) -> list[tuple[int, str, str | None, str | None, str | None]]:
        """:meth:`article_meta_since`'s tuples for these articles (those stored)."""
        return [
            (a.seq or 0, a.id, a.outlet, a.published.isoformat() if a.published else None, a.date_precision)
            for a in self.get_articles(ids)
        ]

    def article_texts(self, ids: Iterable[str], containing: str | None = None) -> dict[str, str]:
        """Body text (``Article.text``) of these articles; with ``containing``, only of those whose text
        contains that word (ignoring case)."""
        word = containing.casefold() if containing else None
        return {a.id: a.text for a in self.get_articles(ids) if word is None or word in a.text.casefold()}

    def edges_revision(self) -> Any:
        """A value that changes whenever a reuse edge is stored; None: not known (no caching)."""
        return None

    def edge_rows_since(self, mark: Any = None) -> tuple[Any, list[tuple[str, str, str, float, float, float, str]]]:
        """(new mark, [(source_id, target_id, relation, confidence, source_coverage, target_coverage,
        direction_rule)]) of the edges stored after ``mark`` (None: all), in the order stored; an edge
        stored again comes again. Default: every edge, every time (a reader keeping the last version of
        each (source, target) pair stays right)."""
        rows: list[tuple[str, str, str, float, float, float, str]] = [
            (e.source_id, e.target_id, e.relation, e.confidence, e.source_coverage, e.target_coverage, e.direction_rule)
            for e in self.all_edges()
        ]
        return None, rows

    def story_revisions(self) -> dict[str, Any]:
        """Story id -> a value that changes when the story's membership changes, for every live story."""
        return {s.id: tuple(s.article_ids) for s in self._all_stories()}

    def story_members(self, story_ids: Iterable[str] | None = None) -> dict[str, list[str]]:
        """Story id -> its article ids, for these live stories (None: all)."""
        want = None if story_ids is None else set(story_ids)
        return {s.id: list(s.article_ids) for s in self._all_stories() if want is None or s.id in want}

    def _all_stories(self) -> list[Story]:
        out: list[Story] = []
        while True:
            page = self.list_stories(limit=1000, offset=len(out))
            out += page
            if len(page) < 1000:
                return out


def articles_near(
    articles: Sequence[Article],
    start: datetime | None,
    end: datetime | None,
    limit: int,
    not_language: str | None = None,
) -> list[tuple[str, str | None, str | None]]:
    """:meth:`StoreDefaults.article_languages_near` over ``articles`` given in ingest order (also what a Spark
    window's cross-language step reads, ``cluster.crosslingual.ArticlePool``)."""

    def iso(when: datetime | None) -> str | None:
        return when.isoformat() if when else None

    kept = [a for a in articles if not_language is None or (a.language is not None and a.language != not_language)]
    if start is None or end is None:
        near = kept[::-1]
    else:
        lo, hi = start.isoformat(), end.isoformat()
        near = [a for a in kept if lo <= (iso(a.published) or "") <= hi]
        near.sort(key=lambda a: iso(a.published) or "", reverse=True)
    return [(a.id, a.language, iso(a.published)) for a in near[:limit]]
