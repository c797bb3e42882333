"""The storage interface. SQLite implements it (``sqlite.py``); another engine is another subclass."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from ..config import Config
from ..model import Article, ReuseEdge, Story, StoryAnalysis


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
