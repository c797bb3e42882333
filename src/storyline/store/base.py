"""The storage interface. SQLite implements it (``sqlite.py``); another engine is another subclass."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from ..config import Config
from ..model import Article, Outlet, ReuseEdge, Story, StoryAnalysis
from .defaults import StoreDefaults


class Store(StoreDefaults, abc.ABC):
    """Everything Storyline persists. Stages never see this; the pipeline and the edges do.

    The abstract methods are what an engine must write; :class:`~.defaults.StoreDefaults` gives the light
    reads and revisions on top of them (an engine overrides those it can answer faster)."""

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
    def list_articles(
        self, limit: int = 50, offset: int = 0, outlet: str | None = None, q: str | None = None
    ) -> list[Article]: ...

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
