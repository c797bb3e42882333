"""The pipeline: the one place that decides the order of the stages.

    readers -> clean -> store -> reuse (copies) -> cluster (stories, events)

The CLI, the HTTP API, ``watch`` and the Spark job all call :class:`Pipeline`;
none re-implements a stage. Work is committed in chunks: a chunk's articles, their
copy edges and their story assignments go into the store in one transaction, so an
interrupted ingest leaves every committed article intact and no half-written one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .clean import Cleaner, FurnitureModel
from .config import CleanConfig, Config
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


def _clean_part(config: CleanConfig, learnt: set[str], docs: list[RawDocument]) -> list[Article | Rejection]:
    """Clean documents in a worker process, with the furniture learnt so far by the parent."""
    cleaner = Cleaner(config, learnt=learnt)
    return [cleaner.transform(d) for d in docs]


def _worker_count(setting: int) -> int:
    import os

    if setting > 0:
        return setting
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 4))


class Pipeline:
    """Wires the stages over one store.

    ``reuse`` / ``cluster`` switch the later stages off (ingest-only runs, benchmarks of one stage).
    """

    def __init__(
        self, store: Store, config: Config | None = None, *, reuse: bool = True, cluster: bool = True,
        chunk_size: int = 256, workers: int | None = None,
    ):
        self.store = store
        stored = store.load_config()
        self.config = config or stored or Config()
        if stored is None:
            store.save_config(self.config)
        furniture_state = store.get_state(FURNITURE_STATE)
        furniture = FurnitureModel.from_bytes(furniture_state) if furniture_state else None
        self.cleaner = Cleaner(self.config.clean, furniture)
        self.chunk_size = chunk_size
        self.workers = _worker_count(self.config.ingest.workers if workers is None else workers)
        self._pool: Any = None
        self.state_interval_s = 5.0
        self._state_saved = float("-inf")
        self._state_dirty = False
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
        from .embed import get_embedder
        from .reuse import ReuseStage

        return ReuseStage(self.config.reuse, get_embedder(self.config.embed))

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
        try:
            for chunk in _chunks(inputs, self.chunk_size):
                part = self._ingest_chunk(chunk)
                report.merge(part)
                if on_progress:
                    on_progress(len(chunk))
            if self._state_dirty:
                with self.store.transaction():
                    self.store.put_state(FURNITURE_STATE, self.cleaner.furniture.to_bytes())
                self._state_dirty = False
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None
        return report

    def _clean(self, docs: list[RawDocument]) -> list[Article | Rejection]:
        """Clean a chunk: in worker processes when it is large enough, else here (same results)."""
        if self.workers <= 1 or len(docs) < self.config.ingest.parallel_min_docs:
            return [self.cleaner.transform(d) for d in docs]
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            import sys

            # fork is cheap, but not safe once a threaded runtime (torch, for the later stages) is loaded:
            # then the workers start from a fresh server process instead
            methods = multiprocessing.get_all_start_methods()
            if "fork" in methods and "torch" not in sys.modules:
                method = "fork"
            else:
                method = "forkserver" if "forkserver" in methods else "spawn"
            ctx = multiprocessing.get_context(method)
            self._pool = ProcessPoolExecutor(max_workers=self.workers - 1, mp_context=ctx)
        learnt = self.cleaner.learnt_lines(docs)
        # this process also reads, learns and stores: it takes a smaller share of the cleaning
        n = self.workers
        own = max(1, int(len(docs) / n * self.config.ingest.main_share))
        rest = docs[own:]
        size = -(-len(rest) // (n - 1))
        parts = [docs[:own]] + [rest[i : i + size] for i in range(0, len(rest), size)]
        futures = [self._pool.submit(_clean_part, self.config.clean, learnt, p) for p in parts[1:]]
        local = Cleaner(self.config.clean, learnt=learnt)
        out = [local.transform(d) for d in parts[0]]  # this process cleans one part itself
        for f in futures:
            out += f.result()
        return out

    def _ingest_chunk(self, chunk: list[RawDocument | Rejection]) -> IngestReport:
        report = IngestReport(read=len(chunk))
        docs = [d for d in chunk if isinstance(d, RawDocument)]
        report.rejected += [d for d in chunk if isinstance(d, Rejection)]
        # learn furniture from the corpus as it arrives, then clean with what was learnt
        self.cleaner.partial_fit(docs)
        new: list[Article] = []
        seen: dict[str, str] = {}
        for doc, out in zip(docs, self._clean(docs)):
            if isinstance(out, Rejection):
                report.rejected.append(out)
            elif out.id in seen or self.store.has_article(out.id):
                report.duplicates.append((doc.source, out.id))
            else:
                seen[out.id] = doc.source
                new.append(out)
        with self.store.transaction():
            # the learnt furniture is saved with the chunk every few seconds (it grows with the corpus;
            # it is a model, not data: a killed ingest loses at most those seconds of learning)
            now = time.monotonic()
            if now - self._state_saved >= self.state_interval_s:
                self.store.put_state(FURNITURE_STATE, self.cleaner.furniture.to_bytes())
                self._state_saved = now
                self._state_dirty = False
            else:
                self._state_dirty = True
            results = {}
            for a in new:
                if self.store.put_article(a):
                    results[a.id] = ArticleResult(article_id=a.id, source=a.source)
                else:  # stored meanwhile (by another process writing to the same store)
                    report.duplicates.append((seen[a.id], a.id))
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
