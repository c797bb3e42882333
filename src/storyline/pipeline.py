"""The pipeline: the one place that decides the order of the stages.

    readers -> clean -> store -> reuse (copies) -> cluster (stories, events)

The CLI, the HTTP API, ``watch`` and the Spark job all call :class:`Pipeline`;
none re-implements a stage. Work is committed in chunks: a chunk's articles, their
copy edges and their story assignments go into the store in one transaction, so an
interrupted ingest leaves every committed article intact and no half-written one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .clean import Cleaner, FurnitureModel
from .config import Config
from .model import Article, RawDocument, Rejection
from .store import Store

FURNITURE_STATE = "clean.furniture"


@dataclass
class ArticleResult:
    """What happened to one stored article (the HTTP API returns this)."""

    article_id: str
    source: str
    story_id: str | None = None
    event_id: str | None = None
    copies_of: list[dict[str, Any]] = field(default_factory=list)  # [{source_id, relation, confidence}]


@dataclass
class IngestReport:
    read: int = 0
    stored: list[ArticleResult] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (source, id of the stored article)
    rejected: list[Rejection] = field(default_factory=list)

    def merge(self, other: "IngestReport") -> None:
        self.read += other.read
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.rejected += other.rejected


def _chunks(items: Iterable[RawDocument | Rejection], size: int) -> Iterator[list[RawDocument | Rejection]]:
    buf: list[RawDocument | Rejection] = []
    for it in items:
        buf.append(it)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


class Pipeline:
    """Wires the stages over one store.

    ``reuse`` / ``cluster`` switch the later stages off (ingest-only runs, benchmarks of one stage).
    """

    def __init__(self, store: Store, config: Config | None = None, *, reuse: bool = True, cluster: bool = True, chunk_size: int = 256):
        self.store = store
        stored = store.load_config()
        self.config = config or stored or Config()
        if stored is None:
            store.save_config(self.config)
        furniture_state = store.get_state(FURNITURE_STATE)
        furniture = FurnitureModel.from_bytes(furniture_state) if furniture_state else None
        self.cleaner = Cleaner(self.config.clean, furniture)
        self.chunk_size = chunk_size
        self.reuse_enabled = reuse
        self.cluster_enabled = cluster
        self._reuse_stage: Any = None
        self._cluster_stage: Any = None

    # -- stage construction (lazy: models load only when needed) ---------------------------
    @property
    def reuse_stage(self) -> Any:
        if self._reuse_stage is None and self.reuse_enabled:
            self._reuse_stage = self._make_reuse_stage()
        return self._reuse_stage

    @property
    def cluster_stage(self) -> Any:
        if self._cluster_stage is None and self.cluster_enabled:
            self._cluster_stage = self._make_cluster_stage()
        return self._cluster_stage

    def _make_reuse_stage(self) -> Any:
        return None  # wired by the reuse stage (issue: copies and rewrites)

    def _make_cluster_stage(self) -> Any:
        from .cluster import ClusterStage
        from .embed import get_embedder

        return ClusterStage(self.config.cluster, get_embedder(self.config.embed))

    # -- ingest ---------------------------------------------------------------------------
    def ingest(
        self, inputs: Iterable[RawDocument | Rejection], on_progress: Callable[[int], None] | None = None
    ) -> IngestReport:
        """Clean, store and process every input; returns what happened to each."""
        report = IngestReport()
        for chunk in _chunks(inputs, self.chunk_size):
            part = self._ingest_chunk(chunk)
            report.merge(part)
            if on_progress:
                on_progress(len(chunk))
        return report

    def _ingest_chunk(self, chunk: list[RawDocument | Rejection]) -> IngestReport:
        report = IngestReport(read=len(chunk))
        docs = [d for d in chunk if isinstance(d, RawDocument)]
        report.rejected += [d for d in chunk if isinstance(d, Rejection)]
        # learn furniture from the corpus as it arrives, then clean with what was learnt
        self.cleaner.partial_fit(docs)
        new: list[Article] = []
        seen: dict[str, str] = {}
        for doc in docs:
            out = self.cleaner.transform(doc)
            if isinstance(out, Rejection):
                report.rejected.append(out)
            elif out.id in seen or self.store.has_article(out.id):
                report.duplicates.append((doc.source, out.id))
            else:
                seen[out.id] = doc.source
                new.append(out)
        with self.store.transaction():
            self.store.put_state(FURNITURE_STATE, self.cleaner.furniture.to_bytes())
            results = {}
            for a in new:
                if self.store.put_article(a):
                    results[a.id] = ArticleResult(article_id=a.id, source=a.source)
            stored = [a for a in new if a.id in results]
            if stored:
                self._process_stored(stored, results)
        report.stored += [results[a.id] for a in stored]
        return report

    def _process_stored(self, articles: list[Article], results: dict[str, ArticleResult]) -> None:
        """Later stages, inside the chunk's transaction."""
        if self.reuse_stage is not None:
            self.reuse_stage.process(articles, self.store, results)
        if self.cluster_stage is not None:
            self.cluster_stage.process(articles, self.store, results)

    # -- conveniences -----------------------------------------------------------------------
    def ingest_paths(self, paths: Iterable[str], on_progress: Callable[[int], None] | None = None) -> IngestReport:
        from .ingest import read_inputs

        return self.ingest(read_inputs(paths, self.config.ingest), on_progress)
