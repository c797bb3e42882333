"""The storage interface. SQLite implements it (``sqlite.py``); another engine is another subclass."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from ..config import Config
from ..model import Article, Outlet, ReuseEdge, Story, StoryAnalysis


class Store(abc.ABC):
    """Everything Storyline persists. Stages never see this; the pipeline and the edges do."""

    # -- lifecycle / settings -------------------------------------------------------------
    @abc.abstractmethod
    def close(self) -> None: ...

    @abc.abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """All writes inside commit together or not at all."""

    @abc.abstractmethod
    def load_config(self) -> Config | None: ...

    @abc.abstractmethod
    def save_config(self, config: Config) -> None: ...

    # -- articles -------------------------------------------------------------------------
    @abc.abstractmethod
    def has_article(self, article_id: str) -> bool: ...

    @abc.abstractmethod
    def put_article(self, article: Article) -> bool:
        """Store; False (and no change) if an article with that id is already stored."""

    @abc.abstractmethod
    def get_article(self, article_id: str) -> Article | None:
        """By full id or a unique prefix of at least 6 characters."""

    @abc.abstractmethod
    def get_articles(self, ids: Iterable[str]) -> list[Article]: ...

    @abc.abstractmethod
    def iter_articles(self, batch: int = 500) -> Iterator[Article]:
        """All articles in ingest order."""

    @abc.abstractmethod
    def list_articles(self, limit: int = 50, offset: int = 0, outlet: str | None = None, q: str | None = None) -> list[Article]: ...

    @abc.abstractmethod
    def count_articles(self) -> int: ...

    def article_ids_by_url(self, urls: Iterable[str]) -> dict[str, str]:
        """url -> id of the first stored article with that (canonical) URL. Default: a scan; SQLite uses an index."""
        wanted, out = {u for u in urls if u}, {}
        if wanted:
            for a in self.iter_articles():
                if a.url in wanted and a.url not in out:
                    out[a.url] = a.id
        return out

    # -- the outlet table (storyline.outlet_table). Defaults: a store without one (every article keeps the
    # outlet it was cleaned with, nothing is listed, editing is refused); SQLite keeps it.
    def list_outlets(self) -> list[Outlet]:
        """Every row, by name."""
        return []

    def outlets_for_domains(self, domains: Iterable[str]) -> dict[str, Outlet]:
        """registered domain -> its row, for the domains that have one."""
        return {}

    def add_outlet(self, outlet: Outlet) -> Outlet:
        """A new row with these domains (a domain that already has a row stays there); returns it as stored."""
        return outlet

    def update_outlet(self, domain: str, changes: dict[str, Any]) -> Outlet:
        """Edit the row of ``domain`` (name, language, country, domains; see :func:`storyline.outlet_table.parse_changes`),
        made when there is none; returns it."""
        raise NotImplementedError(f"{type(self).__name__} keeps no outlet table")

    def count_articles_by_outlet(self, names: Iterable[str]) -> dict[str, int]:
        """outlet name -> number of stored articles with it (for the names that have any)."""
        wanted, out = set(names), dict[str, int]()
        for a in self.iter_articles():
            if a.outlet in wanted:
                out[a.outlet] = out.get(a.outlet, 0) + 1
        return out

    def article_outlet_names(self) -> list[str]:
        """The distinct outlet names the stored articles carry (not the outlet table's), sorted."""
        return sorted({a.outlet for a in self.iter_articles() if a.outlet})

    # -- copy detection -------------------------------------------------------------------
    @abc.abstractmethod
    def put_minhash(self, article_id: str, signature: np.ndarray, band_keys: list[bytes]) -> None: ...

    @abc.abstractmethod
    def get_minhashes(self, ids: Iterable[str]) -> dict[str, np.ndarray]: ...

    @abc.abstractmethod
    def query_bands(self, band_keys: list[bytes]) -> list[str]:
        """Ids of stored articles sharing at least one LSH band key with these."""

    def lookup_bands(self, band_keys: list[bytes]) -> list[tuple[bytes, str]]:
        """(bucket, article_id) pairs for these buckets. Default: not available (callers fall back to
        :meth:`query_bands`); SQLite implements it."""
        raise NotImplementedError

    def put_minhashes(self, items: list[tuple[str, np.ndarray, list[bytes]]]) -> None:
        """Bulk :meth:`put_minhash`: [(article_id, signature, band_keys)]."""
        for aid, sig, keys in items:
            self.put_minhash(aid, sig, keys)

    @abc.abstractmethod
    def put_embedding(self, kind: str, key: str, vector: np.ndarray) -> None:
        """``kind`` separates spaces: 'article', 'story', 'event', ... ."""

    @abc.abstractmethod
    def get_embeddings(self, kind: str, keys: Iterable[str] | None = None) -> tuple[list[str], np.ndarray]: ...

    @abc.abstractmethod
    def put_edges(self, edges: list[ReuseEdge]) -> None: ...

    @abc.abstractmethod
    def edges_for(self, article_id: str) -> list[ReuseEdge]:
        """Edges where the article is source or target."""

    @abc.abstractmethod
    def all_edges(self) -> list[ReuseEdge]: ...

    # -- stories --------------------------------------------------------------------------
    @abc.abstractmethod
    def save_story(self, story: Story) -> None:
        """Upsert a story with its events and membership (replaces the previous version)."""

    @abc.abstractmethod
    def get_story(self, story_id: str) -> Story | None:
        """By id, a unique prefix, or an old id that was merged away (followed to the live story)."""

    @abc.abstractmethod
    def list_stories(self, limit: int = 50, offset: int = 0, **filters: Any) -> list[Story]: ...

    @abc.abstractmethod
    def count_stories(self) -> int: ...

    @abc.abstractmethod
    def story_of(self, article_id: str) -> str | None: ...

    @abc.abstractmethod
    def record_merge(self, old_id: str, new_id: str) -> None: ...

    @abc.abstractmethod
    def resolve_story_id(self, story_id: str) -> str | None: ...

    @abc.abstractmethod
    def delete_stories(self) -> None:
        """Forget all stories (before a batch re-clustering)."""

    # -- stage state (learnt models, counters) ---------------------------------------------
    @abc.abstractmethod
    def put_state(self, key: str, value: bytes) -> None: ...

    @abc.abstractmethod
    def get_state(self, key: str) -> bytes | None: ...

    # -- per-story analysis ---------------------------------------------------------------
    @abc.abstractmethod
    def put_analysis(self, story_id: str, version: str, analysis: StoryAnalysis) -> None: ...

    @abc.abstractmethod
    def get_analysis(self, story_id: str) -> tuple[str, StoryAnalysis] | None:
        """(version, analysis): the version says which story state it was computed from."""

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

    def story_edge_page(self, story_id: str, limit: int | None = None, offset: int = 0) -> tuple[int, list[tuple[ReuseEdge, int]]]:
        """Non-independent edges touching the story's articles, strongest first, without passages:
        (total, [(edge with passages=[], number of passages)])."""
        import dataclasses

        story = self.get_story(story_id)
        if story is None:
            return 0, []
        seen: set[tuple[str, str]] = set()
        edges: list[ReuseEdge] = []
        for aid in story.article_ids:
            for e in self.edges_for(aid):
                if e.relation != "independent" and (e.source_id, e.target_id) not in seen:
                    seen.add((e.source_id, e.target_id))
                    edges.append(e)
        edges.sort(key=lambda e: (-e.confidence, e.source_id, e.target_id))
        page = edges[offset:] if limit is None else edges[offset : offset + limit]
        return len(edges), [(dataclasses.replace(e, passages=[]), len(e.passages)) for e in page]

    def story_links(self, story_id: str) -> list[tuple[str, str, str, float]]:
        """(source_id, target_id, relation, confidence) of the non-independent edges inside the story."""
        story = self.get_story(story_id)
        if story is None:
            return []
        members = set(story.article_ids)
        seen: set[tuple[str, str]] = set()
        out: list[tuple[str, str, str, float]] = []
        for aid in story.article_ids:
            for e in self.edges_for(aid):
                key = (e.source_id, e.target_id)
                if e.relation != "independent" and e.source_id in members and e.target_id in members and key not in seen:
                    seen.add(key)
                    out.append((e.source_id, e.target_id, e.relation, e.confidence))
        return out

    def articles_revision(self) -> Any:
        """A value that grows with every stored article; None: not known (no caching)."""
        return None

    def snapshot(self) -> AbstractContextManager[None]:
        """Reads inside see one state of the store (where the engine can); default: no guarantee."""
        from contextlib import nullcontext

        return nullcontext()

    def edges_among(self, article_ids: list[str], limit: int | None = None, light: bool = False) -> tuple[int, list[tuple[ReuseEdge, int]]]:
        """Non-independent edges with both ends among these articles, strongest first, without passages:
        (how many, [(edge with passages=[], number of passages)] for the first ``limit``)."""
        import dataclasses

        members = set(article_ids)
        seen: set[tuple[str, str]] = set()
        out = []
        for aid in dict.fromkeys(article_ids):
            for e in self.edges_for(aid):
                key = (e.source_id, e.target_id)
                if e.relation != "independent" and e.source_id in members and e.target_id in members and key not in seen:
                    seen.add(key)
                    out.append((dataclasses.replace(e, passages=[]), len(e.passages)))
        out.sort(key=lambda x: (-x[0].confidence, x[0].source_id, x[0].target_id))
        return len(out), (out if limit is None else out[: max(0, limit)])

    def edge_json_for(self, article_id: str) -> list[tuple[str, str, str, str]]:
        """:meth:`edges_for` undecoded: (source_id, target_id, relation, JSON text of ``to_dict(edge)``)."""
        import json

        from ..model import to_dict

        return [(e.source_id, e.target_id, e.relation, json.dumps(to_dict(e), ensure_ascii=False)) for e in self.edges_for(article_id)]

    def story_title(self, story_id: str) -> tuple[str, str | None] | None:
        """(id, title) of a story; None for no such story."""
        story = self.get_story(story_id)
        return (story.id, story.title) if story is not None else None

    def story_briefs(self, limit: int = 50, offset: int = 0, **filters: Any) -> list[dict[str, Any]]:
        """:meth:`list_stories` as light dicts: id, title, article_count, event_count, outlets,
        first_date, last_date (ISO text or None)."""
        ids = filters.pop("ids", None)
        if ids is not None:
            stories = [s for s in (self.get_story(i) for i in dict.fromkeys(ids)) if s is not None and s.id in ids][offset : offset + limit]
        else:
            stories = self.list_stories(limit=limit, offset=offset, **filters)
        return [{"id": s.id, "title": s.title, "article_count": len(s.article_ids), "event_count": len(s.events),
                 "outlets": s.outlets, "first_date": s.first_date.isoformat() if s.first_date else None,
                 "last_date": s.last_date.isoformat() if s.last_date else None}
                for s in stories]

    def latest_article_ids(self, n: int) -> list[str]:
        """Ids of the ``n`` articles stored last, newest first."""
        total = self.count_articles()
        return [a.id for a in reversed(self.list_articles(limit=n, offset=max(0, total - n)))]

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
        return [(a.seq or 0, a.id, a.outlet, a.published.isoformat() if a.published else None, a.date_precision)
                for a in self.iter_articles() if (a.seq or 0) > seq]

    def article_meta(self, ids: Iterable[str]) -> list[tuple[int, str, str | None, str | None, str | None]]:
        """:meth:`article_meta_since`'s tuples for these articles (those stored)."""
        return [(a.seq or 0, a.id, a.outlet, a.published.isoformat() if a.published else None, a.date_precision)
                for a in self.get_articles(ids)]

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
            for e in self.all_edges()]
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
