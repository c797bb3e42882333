"""The pipeline: the one place that decides the order of the stages.

    readers -> clean -> store -> reuse (copies) -> cluster (stories, events)

The CLI, the HTTP API, ``watch`` and the Spark job all call :class:`Pipeline`;
none re-implements a stage. Work is committed in chunks: a chunk's articles, their
copy edges and their story assignments go into the store in one transaction, so an
interrupted ingest leaves every committed article intact and no half-written one.

Duplicates are not stored again: an article whose body is already stored (same content id: "same text"),
or whose canonical URL is (the same page fetched twice, e.g. its AMP and its desktop address): "same
canonical URL" when the bodies are near-copies, "same URL, updated text" when they are not (the first
version is kept). Articles with a URL are named by the store's outlet table (:mod:`storyline.outlet_table`).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .clean import Cleaner, FurnitureModel
from .config import CleanConfig, Config
from .model import Article, Outlet, RawDocument, Rejection, Skipped
from .outlet_table import seed_language, seed_name
from .store import Store
from .text import shingles, words
from .urls import is_article_url, registered_domain

FURNITURE_STATE = "clean.furniture"
CHUNKS_AHEAD = 2  # chunks being cleaned and prepared while one is placed


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
    skipped: list[Rejection] = field(default_factory=list)  # inputs deliberately not articles (model.Skipped)
    # why each duplicate is one, in the order of ``duplicates``: "same text", "same canonical URL",
    # "same URL, updated text"
    duplicate_reasons: list[str] = field(default_factory=list)

    def merge(self, other: IngestReport) -> None:
        self.read += other.read
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.skipped += other.skipped
        self.duplicate_reasons += other.duplicate_reasons

    def add_duplicate(self, source: str, article_id: str, reason: str) -> None:
        self.duplicates.append((source, article_id))
        self.duplicate_reasons.append(reason)

    def duplicates_with_reasons(self) -> list[tuple[str, str, str]]:
        """(source, id of the stored article, reason) of every duplicate."""
        reasons = self.duplicate_reasons + ["same text"] * (len(self.duplicates) - len(self.duplicate_reasons))
        return [(s, a, r) for (s, a), r in zip(self.duplicates, reasons, strict=True)]


NEAR_COPY_JACCARD = 0.8  # two bodies under one URL sharing this share of word 3-shingles are the same text


def near_copy(a: list[str], b: list[str]) -> bool:
    """Two bodies that differ only a little (a boilerplate line, a caption): Jaccard of their word 3-shingles."""
    sa, sb = shingles(words(" ".join(a)), 3), shingles(words(" ".join(b)), 3)
    return bool(sa and sb) and len(sa & sb) >= NEAR_COPY_JACCARD * len(sa | sb)


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


# Stage objects of a worker process, built on its first task and kept for its life (one per
# configuration): the embedding model loads once per worker, not once per chunk.
_WORKER_STAGES: dict[str, tuple[Any, Any]] = {}


def _worker_stages(config: Config, reuse: bool, cluster: bool) -> tuple[Any, Any]:
    key = f"{config.to_json()}|{reuse}|{cluster}"
    if key not in _WORKER_STAGES:
        from .cluster import ClusterStage
        from .embed import get_embedder
        from .reuse import ReuseStage

        emb = get_embedder(config.embed) if reuse or cluster else None
        _WORKER_STAGES.clear()
        _WORKER_STAGES[key] = (
            ReuseStage(config.reuse, emb) if reuse else None,
            ClusterStage(config.cluster, emb) if cluster else None,
        )
    return _WORKER_STAGES[key]


_WORKER_STORES: dict[str, Any] = {}  # store path -> this worker process's own connection to it (reads only)


def _worker_store(path: str) -> Any:
    if path not in _WORKER_STORES:
        from .store import SQLiteStore

        _WORKER_STORES.clear()
        _WORKER_STORES[path] = SQLiteStore(path)
    return _WORKER_STORES[path]


def _clean_prepare_part(
    config: Config,
    learnt: set[str],
    docs: list[RawDocument],
    reuse: bool,
    cluster: bool,
    store_path: str | None = None,
) -> tuple[list[Article | Rejection], list[Any] | None, list[Any] | None, list[Any] | None]:
    """In a worker process: clean documents (as :func:`_clean_part`), then compute the later stages'
    per-article parts (``Stage.prepare``: signatures, embeddings, text features), which depend on
    the article alone; with ``store_path``, also the profiles of the stored articles the copy check
    will compare them with (``ReuseStage.prepare_candidates``, read from the store as committed so
    far). The parent runs the order-dependent part (``Stage.process``)."""
    out = _clean_part(config.clean, learnt, docs)
    if not (reuse or cluster):
        return out, None, None, None
    articles = [a for a in out if isinstance(a, Article)]
    reuse_stage, cluster_stage = _worker_stages(config, reuse, cluster)
    rp = reuse_stage.prepare(articles) if reuse_stage is not None else None
    profiles = None
    if rp and store_path:
        try:
            profiles = reuse_stage.prepare_candidates(rp, _worker_store(store_path), articles)
        except Exception:  # noqa: BLE001 - an optimisation only: the parent builds what is missing
            profiles = None
    return out, rp, cluster_stage.prepare(articles) if cluster_stage is not None else None, profiles


@dataclass
class _Started:
    """A chunk read and learnt from, being cleaned (maybe in workers) while the previous one is
    placed."""

    chunk: list[RawDocument | Rejection]
    docs: list[RawDocument]
    futures: list[Any] = field(default_factory=list)  # worker tasks (in order), or
    cleaned: list[Article | Rejection] | None = None  # the result when cleaned here
    furniture: bytes | None = None  # the cleaner's state as of this chunk, when due to be saved with it

    def result(self) -> tuple[list[Article | Rejection], dict[str, list[Any]]]:
        if self.cleaned is not None:
            return self.cleaned, {}
        out: list[Article | Rejection] = []
        prepared: dict[str, list[Any]] = {"reuse": [], "cluster": [], "reuse_candidates": []}
        for f in self.futures:
            part, rp, cp, profiles = f.result()
            out += part
            prepared["reuse"] += rp or []
            prepared["cluster"] += cp or []
            prepared["reuse_candidates"] += profiles or []
        return out, prepared


def apply_outlet_table(store: Store, articles: list[Article]) -> None:
    """Name each article with a URL by the store's outlet-table row for its registered domain, adding a row
    for a domain seen for the first time (:mod:`storyline.outlet_table`). Call it, inside the transaction that
    stores them, on articles about to be stored (the pipeline does; so should any other writer)."""
    domains = {a.id: registered_domain(a.url) for a in articles}
    known = store.outlets_for_domains({d for d in domains.values() if d})
    for a in articles:
        domain = domains[a.id]
        if not domain:
            continue
        row = known.get(domain)
        if row is None:
            row = known[domain] = store.add_outlet(
                Outlet(name=seed_name(a, domain), domains=[domain], language=seed_language(a))
            )
        if a.outlet != row.name:
            a.outlet, a.outlet_from = row.name, "table"


class _UrlIndex:
    """The articles of a chunk with an article URL, looked up by it among the stored ones and those of the
    chunk kept so far (first come first served)."""

    def __init__(self, store: Store, articles: list[Article]):
        self.store = store
        self.stored = store.article_ids_by_url({a.url for a in articles if is_article_url(a.url)})  # type: ignore[misc]
        self.kept: dict[str, Article] = {}

    def first(self, article: Article) -> Article | None:
        url = article.url
        if not url or not is_article_url(url):
            return None
        if url in self.kept:
            return self.kept[url]
        if url in self.stored:
            return self.store.get_article(self.stored[url])
        return None

    def add(self, article: Article) -> None:
        if article.url and is_article_url(article.url):
            self.kept.setdefault(article.url, article)


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
        self,
        store: Store,
        config: Config | None = None,
        *,
        reuse: bool = True,
        cluster: bool = True,
        chunk_size: int = 256,
        workers: int | None = None,
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
        """Clean, store and process every input; returns what happened to each.

        Chunks overlap on two cores: while this process stores chunk k and runs the order-dependent
        stage work on it (copy candidates and comparison, story placement), worker processes clean
        chunks k+1 and k+2 (``CHUNKS_AHEAD``: a worker that finishes early starts the next one instead of
        waiting for this process) and compute their per-article stage parts. Results are the same as one
        chunk at a time: each chunk is cleaned with the furniture learnt up to and including it, and
        committed in order."""
        report = IngestReport()

        def finish(job: _Started) -> None:
            report.merge(self._finish_chunk(job, job.furniture))
            if on_progress:
                on_progress(len(job.chunk))

        try:
            pending: deque[_Started] = deque()
            ahead = CHUNKS_AHEAD if self.workers > 1 else 1  # cleaned here: nothing gained by reading further
            for chunk in _chunks(inputs, self.chunk_size):
                if pending:  # the furniture as learnt up to the last chunk started, before this one is learnt from
                    pending[-1].furniture = self._furniture_if_due()
                pending.append(self._start_chunk(chunk))
                if len(pending) > ahead:
                    finish(pending.popleft())
            if pending:
                pending[-1].furniture = self._furniture_if_due()
            while pending:
                finish(pending.popleft())
            if self._state_dirty:
                with self.store.transaction():
                    self.store.put_state(FURNITURE_STATE, self.cleaner.furniture.to_bytes())
                self._state_dirty = False
        finally:
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
                self._pool = None
        return report

    def _furniture_if_due(self) -> bytes | None:
        """The cleaner's learnt furniture, when it is time to save it again (every few seconds)."""
        if time.monotonic() - self._state_saved >= self.state_interval_s:
            return self.cleaner.furniture.to_bytes()
        return None

    def _get_pool(self) -> Any:
        if self._pool is None:
            import multiprocessing
            import sys
            from concurrent.futures import ProcessPoolExecutor

            # fork is cheap, but not safe once a threaded runtime (torch, for the later stages) is loaded:
            # then the workers start from a fresh server process instead
            methods = multiprocessing.get_all_start_methods()
            if "fork" in methods and "torch" not in sys.modules:
                method = "fork"
            else:
                method = "forkserver" if "forkserver" in methods else "spawn"
            ctx = multiprocessing.get_context(method)
            self._pool = ProcessPoolExecutor(max_workers=self._cleaning_processes(), mp_context=ctx)
        return self._pool

    def _cleaning_processes(self) -> int:
        """Worker processes that clean: one per core but this one, which stores and runs the later stages;
        one per core when those are off (this process then only reads and stores)."""
        return self.workers - 1 if self.reuse_enabled or self.cluster_enabled else self.workers

    def _start_chunk(self, chunk: list[RawDocument | Rejection]) -> _Started:
        """Learn furniture from the chunk, then clean it: in the workers, with the later stages'
        per-article parts, when it is large enough (the result is collected by :meth:`_finish_chunk`),
        else here and now."""
        docs = [d for d in chunk if isinstance(d, RawDocument)]
        if any(d.html is not None and d.text is None for d in docs):
            # once per process: a broken HTML path (a missing dependency) stops the ingest with the fix,
            # instead of every page being rejected as if it were bad input
            from .doctor import ensure_html_path

            ensure_html_path()
        # learn furniture from the corpus as it arrives, then clean with what was learnt
        self.cleaner.partial_fit(docs)
        started = _Started(chunk, docs)
        if self.workers <= 1 or len(docs) < self.config.ingest.parallel_min_docs:
            started.cleaned = [self.cleaner.transform(d) for d in docs]
            return started
        pool = self._get_pool()
        learnt = self.cleaner.learnt_lines(docs)
        reuse, cluster = self.reuse_stage is not None, self.cluster_stage is not None
        n = self._cleaning_processes()
        size = -(-len(docs) // n)
        path = getattr(self.store, "path", None)
        store_path = str(path) if reuse and path is not None and str(path) not in ("", ":memory:") else None
        started.futures = [
            pool.submit(_clean_prepare_part, self.config, learnt, docs[i : i + size], reuse, cluster, store_path)
            for i in range(0, len(docs), size)
        ]
        return started

    def _finish_chunk(self, started: _Started, furniture: bytes | None) -> IngestReport:
        """Store the chunk's new articles and run the later stages on them, in one transaction.
        ``furniture``: the cleaner's state as of this chunk, to save with it (else saved later)."""
        report = IngestReport(read=len(started.chunk))
        report.rejected += [d for d in started.chunk if isinstance(d, Rejection) and not isinstance(d, Skipped)]
        report.skipped += [d for d in started.chunk if isinstance(d, Skipped)]
        cleaned, prepared = started.result()
        new: list[Article] = []
        seen: dict[str, str] = {}
        by_url = _UrlIndex(self.store, [a for a in cleaned if isinstance(a, Article)])
        for doc, out in zip(started.docs, cleaned, strict=True):
            if isinstance(out, Rejection):
                report.rejected.append(out)
            elif out.id in seen or self.store.has_article(out.id):
                report.add_duplicate(doc.source, out.id, "same text")
            elif (first := by_url.first(out)) is not None:
                same = near_copy(first.paragraphs, out.paragraphs)
                reason = "same canonical URL" if same else "same URL, updated text"
                report.add_duplicate(doc.source, first.id, reason)
            else:
                seen[out.id] = doc.source
                by_url.add(out)
                new.append(out)
        with self.store.transaction():
            # the learnt furniture is saved with the chunk every few seconds (it grows with the corpus;
            # it is a model, not data: a killed ingest loses at most those seconds of learning)
            now = time.monotonic()
            if furniture is not None:
                self.store.put_state(FURNITURE_STATE, furniture)
                self._state_saved = now
                self._state_dirty = False
            else:
                self._state_dirty = True
            results = {}
            apply_outlet_table(self.store, new)
            for a in new:
                if self.store.put_article(a):
                    results[a.id] = ArticleResult(article_id=a.id, source=a.source)
                else:  # stored meanwhile (by another process writing to the same store)
                    report.add_duplicate(seen[a.id], a.id, "same text")
            stored = [a for a in new if a.id in results]
            if stored:
                self._process_stored(stored, results, prepared)
        report.stored += [results[a.id] for a in stored]
        return report

    def _process_stored(
        self, articles: list[Article], results: dict[str, ArticleResult], prepared: dict[str, list[Any]] | None = None
    ) -> None:
        """Later stages, inside the chunk's transaction (``prepared``: their per-article parts,
        computed ahead by the workers)."""
        prepared = prepared or {}
        if self.reuse_stage is not None:
            self.reuse_stage.process(
                articles, self.store, results, prepared.get("reuse") or None, prepared.get("reuse_candidates") or None
            )
        if self.cluster_stage is not None:
            self.cluster_stage.process(articles, self.store, results, prepared.get("cluster") or None)

    # -- conveniences -----------------------------------------------------------------------
    def ingest_paths(self, paths: Iterable[str], on_progress: Callable[[int], None] | None = None) -> IngestReport:
        from .ingest import read_inputs

        return self.ingest(read_inputs(paths, self.config.ingest), on_progress)
