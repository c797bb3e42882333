"""The service behind the app (:class:`Service`: store connections, the response cache, the write queue) and
the ingest worker process it starts (``_worker_init``, ``_worker_ingest``), which builds a read-only Service of
its own: they stay in one file so that neither has to import the other."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import HTTPException
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..config import Config
from ..model import Story, StoryAnalysis
from ..pipeline import Pipeline
from ..store import SQLiteStore, Store
from .analysis import AnalysisProvider, default_analysis, stored_analysis
from .briefs import BriefCache
from .cache import DEFAULT_CACHE_BYTES, ResponseCache
from .encoding import HTML_TYPE, JSON_TYPE, dumps
from .gc_pauses import GcPauses
from .views import GRAPH_EDGES, MAX_PAGE, STORY_ARTICLES, article_brief, article_view, edge_light, story_view
from .writes import DEFAULT_MAX_BATCH, ArticleIn, WriteQueueFull, ingest_answers

log = logging.getLogger("storyline.api")

DEFAULT_MAX_PENDING_WRITES = 64
DEFAULT_INGEST_NICE = 0  # raise (e.g. 5) to favour reads over writes when the cores are contended
DEFAULT_WARM_STORIES = 50  # stories whose views are built when the server starts (most recently active first)
REFRESH_WAIT = (
    0.5  # seconds a POST waits for the stories it changed to be rebuilt (then: their old versions are dropped)
)


_JSON_B = JSON_TYPE.encode()
_HTML_B = HTML_TYPE.encode()


def _simple_query(query: bytes, allowed: dict[str, tuple[int, int, int]]) -> dict[str, int] | None:
    """``limit=20&offset=40``-style queries of small integers within bounds (else None: let FastAPI judge)."""
    out = {k: v[0] for k, v in allowed.items()}
    if not query:
        return out
    for part in query.split(b"&"):
        name, _, value = part.partition(b"=")
        spec = allowed.get(name.decode("latin-1"))
        if spec is None or not value.isdigit() or len(value) > 9:
            return None
        v = int(value)
        if not spec[1] <= v <= spec[2]:
            return None
        out[name.decode("latin-1")] = v
    return out


class Service:
    """The app's state: the writer (store + pipeline + lock) and per-thread readers.

    Size: over 300 lines, knowingly: it is the one owner of the serving process's state (the connections, the
    response cache, the write queue and its worker process) and its methods are the reads and writes that
    share that state; what stands alone (the cache, briefs, views, a POST's model and answers, the
    middlewares) has its own file. Parting the write queue from the reads would change how they share it:
    a change of design, not of place, left out of the move that made this package (#13)."""

    def __init__(
        self,
        db_path: str | Path,
        config: Config | None = None,
        analysis: AnalysisProvider | None = None,
        ingest_process: bool = False,
        max_pending_writes: int = DEFAULT_MAX_PENDING_WRITES,
        ingest_nice: int = DEFAULT_INGEST_NICE,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        warm_stories: int = DEFAULT_WARM_STORIES,
        freeze_gc: bool = False,
    ):
        self.db_path = str(db_path)
        self.freeze_gc = freeze_gc
        self.cache = ResponseCache(cache_bytes)
        self.briefs = BriefCache()
        self.search_ids: dict[tuple[str, int], tuple[Any, list[str]]] = {}  # see the /search endpoint
        self.web_env: Any = None  # set by storyline.web.mount_web
        self.fast_hits = 0  # reads answered by CachedReadMiddleware
        self.gc_pauses = GcPauses()
        # with analyses read from the store a story view takes ~10 ms to build: on the event loop, which
        # costs less than handing it to a thread that then fights the loop for the GIL; computing an
        # analysis (seconds) must not block the loop
        self.inline_stories = analysis is stored_analysis
        # ... and the ingest worker then builds the views of the stories each write changes, so that
        # rebuilding them (tens of ms for a big story's page) never holds up this process's reads
        self.worker_views = analysis is stored_analysis
        self.warm_stories = int(warm_stories)
        self.max_pending_writes = max(1, int(max_pending_writes))
        self.pending_writes = 0
        self.ingest_nice = int(ingest_nice)
        self.writer = SQLiteStore(self.db_path)
        self.pipeline = Pipeline(self.writer, config)
        self.config = self.pipeline.config
        self.write_lock = threading.Lock()
        # ingest in a separate process keeps the CPU-bound pipeline off this process's GIL, so reads
        # stay fast while articles are being ingested; one worker = writes serialised
        self.ingest_process = ingest_process and self.db_path != ":memory:"
        self._executor: Any = None
        # group commit: POSTs waiting while the worker is busy go to it together, as one pipeline run
        # (one transaction, and each changed story rebuilt once for the group instead of once per POST)
        self._write_queue: list[tuple[list[Any], Any]] = []
        self._write_task: Any = None
        self.group_max_articles = DEFAULT_MAX_BATCH
        self.write_groups = 0
        self.writing = False  # a write group is with the ingest worker (committed or not, views not yet here)
        self.stale_while_writing = 0  # story reads answered from the kept version meanwhile
        self._local = threading.local()
        self._readers: list[SQLiteStore] = []
        self._readers_lock = threading.Lock()
        self._analysis = analysis or default_analysis
        self._analysis_locks: dict[str, threading.Lock] = {}
        self._shared_reader = self.db_path == ":memory:"

    def story_and_revision(self, story_id: str) -> tuple[str, Any]:
        """(the story's current id, its revision) for an id as asked (a merged story's old id resolves to the
        story it joined); 404 for an unknown or over-long id."""
        if len(story_id) > 64:
            raise HTTPException(404, "no such story")
        store = self.reader()
        sid = store.resolve_story_id(story_id)
        rev = store.story_revision(sid) if sid else None
        if sid is None or rev is None:
            raise HTTPException(404, f"no story {story_id!r}")
        return sid, rev

    def reader(self) -> Store:
        """This thread's read connection (the writer itself for an in-memory database)."""
        if self._shared_reader:
            return self.writer
        store = getattr(self._local, "store", None)
        if store is None:
            store = SQLiteStore(self.db_path)
            self._local.store = store
            with self._readers_lock:
                self._readers.append(store)
        return store

    def close(self) -> None:
        with self._readers_lock:
            for s in self._readers:
                with contextlib.suppress(sqlite3.Error):  # a connection already closed, or busy in a thread
                    s.close()
            self._readers.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        self.cache.close()
        self.gc_pauses.remove()
        self.writer.close()

    def _make_executor(self) -> Any:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init,
            initargs=(self.db_path, self.config.to_json(), self.ingest_nice, self.worker_views),
        )

    async def start(self) -> None:
        """Start the ingest worker before serving (its start-up must not delay the first POST), and
        build the views of the ``warm_stories`` most recently active stories while it loads (only when
        analyses are read from the store: computing them for many stories at start-up would take long)."""
        warm = (
            asyncio.ensure_future(self.warm_up()) if self.warm_stories and self._analysis is stored_analysis else None
        )
        if self.ingest_process and self._executor is None:
            self._executor = self._make_executor()
            await asyncio.wrap_future(self._executor.submit(_worker_ping))
        if warm is not None:
            await warm
        if self.freeze_gc:
            # what exists now (modules, the app, the warmed views) lives as long as the process: keep it
            # out of the collector's full passes, which otherwise walk it all (tens of ms, every request waits)
            gc.collect()
            gc.freeze()
        self.gc_pauses.install()

    async def warm_up(self) -> None:
        try:
            ids = [d["id"] for d in self.reader().story_briefs(limit=self.warm_stories)]
            await self.refresh_stories(ids, warming=True)
        except Exception:  # noqa: BLE001 - a cold cache is slower, not wrong
            log.exception("warming the story views failed")

    async def ingest_items(self, items: list[ArticleIn]) -> list[dict[str, Any]]:
        """Run the pipeline on posted articles (one batch at a time), off the event loop; 503 at once
        when ``max_pending_writes`` requests are already waiting or running."""
        if self.pending_writes >= self.max_pending_writes:
            raise WriteQueueFull(self.pending_writes)
        self.pending_writes += 1  # the event loop is the only thread that touches the counter
        try:
            return await self._ingest_items(items)
        finally:
            self.pending_writes -= 1

    async def _ingest_items(self, items: list[ArticleIn]) -> list[dict[str, Any]]:
        if not self.ingest_process:
            return await run_in_threadpool(self._ingest_locked, items)
        fut = asyncio.get_running_loop().create_future()
        self._write_queue.append((items, fut))
        if self._write_task is None or self._write_task.done():
            self._write_task = asyncio.ensure_future(self._drain_writes())
        return await fut

    async def _drain_writes(self) -> None:
        """Send the queued POSTs to the ingest worker, as many at once as have queued (up to
        ``group_max_articles`` articles), and hand each its own answers (indexed as it sent them)."""
        while self._write_queue:
            group: list[tuple[list[Any], Any]] = []
            n = 0
            while self._write_queue and (not group or n + len(self._write_queue[0][0]) <= self.group_max_articles):
                items, fut = self._write_queue.pop(0)
                group.append((items, fut))
                n += len(items)
            self.write_groups += 1
            self.writing = self.worker_views
            try:
                result = await self._submit_ingest([it.model_dump() for items, _ in group for it in items])
            except Exception as exc:  # noqa: BLE001 - every waiting request gets the failure
                for _, fut in group:
                    if not fut.done():
                        fut.set_exception(exc)
                continue
            finally:
                self.writing = False
            for key, rev, body in result["views"]:
                self.cache.put(key, rev, body)
            answers = result["answers"]
            at = 0
            for items, fut in group:
                part = [{**a, "index": a["index"] - at} for a in answers[at : at + len(items)]]
                at += len(items)
                if not fut.done():
                    fut.set_result(part)

    async def _submit_ingest(self, payload: list[dict[str, Any]]) -> dict[str, Any]:
        from concurrent.futures.process import BrokenProcessPool

        with self.write_lock:
            if self._executor is None:
                self._executor = self._make_executor()
            executor = self._executor
        try:
            return await asyncio.wrap_future(executor.submit(_worker_ingest, payload))
        except BrokenProcessPool:
            with self.write_lock:  # the worker died (e.g. killed for memory): start a new one next time
                if self._executor is executor:
                    self._executor = None
            raise

    def _ingest_locked(self, items: list[ArticleIn]) -> list[dict[str, Any]]:
        with self.write_lock:
            return ingest_answers(self.pipeline, items)

    def analysis(self, story_id: str) -> StoryAnalysis | None:
        """Analysis of a story (None: the provider has none); one computation per story at a time. A failure
        is not hidden as "no analysis": it propagates, and the request answers 500 (the trace is logged)."""
        lock = self._analysis_locks.setdefault(story_id, threading.Lock())
        with lock:
            return self._analysis(self.reader(), story_id, self.config)

    async def analysis_async(self, story_id: str) -> StoryAnalysis | None:
        """Reading a stored analysis is quick (done inline); computing one goes to the threadpool."""
        if self._analysis is stored_analysis:
            return self.analysis(story_id)
        return await run_in_threadpool(self.analysis, story_id)

    # ---- cached reads: `rev` on the event loop (cheap), `build_*` in the threadpool (on a change)

    def lookup(self, path: str, query: bytes) -> tuple[bytes, bytes] | None:
        """(body, content type) of a cached GET answer that is current, for :class:`CachedReadMiddleware`;
        None whenever the endpoint should handle the request. Keys are the endpoints' own."""
        parts = path.split("/")
        cache = self.cache
        if len(parts) == 2:
            if parts[1] == "stories":
                q = _simple_query(query, {"limit": (20, 1, MAX_PAGE), "offset": (0, 0, 10**9)})
                if q is None:
                    return None
                rev = self.reader().stories_revision()
                body = cache.get(("stories", q["limit"], q["offset"], (None, None, None, None)), rev)
                return (body, _JSON_B) if body is not None and rev is not None else None
            if parts[1] == "" and not query:
                store = self.reader()
                stories_rev = store.stories_revision()
                if stories_rev is None:
                    return None
                body = cache.get(("page:index", 1, None), (stories_rev, store.articles_revision()))
                return (body, _HTML_B) if body is not None else None
            return None
        if len(parts) != 3 or query or not parts[2] or len(parts[2]) > 64:
            return None
        kind, ident = parts[1], parts[2]
        store = self.reader()
        if kind in ("stories", "story"):
            sid = store.resolve_story_id(ident)
            rev = store.story_revision(sid) if sid else None
            if rev is None:
                return None
            key = ("story", sid, 0, STORY_ARTICLES) if kind == "stories" else ("page:story", sid, 1)
            body = cache.get(key, rev)
            if body is None and self.writing:
                # the story changed in a write group the ingest worker has not finished: it builds the
                # new views and hands them over with its answers, so until then (no POST of that group
                # has been answered yet) the kept version is what the client would have read a moment
                # earlier; building it here as well would stall every read for tens of ms
                body = cache.peek(key)
                if body is not None:
                    self.stale_while_writing += 1
            return (body, _JSON_B if kind == "stories" else _HTML_B) if body is not None else None
        if kind in ("articles", "article"):
            rev = store.article_revision(ident)
            if rev is None:
                return None
            body = cache.get(("article" if kind == "articles" else "page:article", ident), rev)
            return (body, _JSON_B if kind == "articles" else _HTML_B) if body is not None else None
        return None

    async def cached(
        self,
        key: Any,
        rev: Any,
        build: Callable[[], bytes],
        media_type: str = JSON_TYPE,
        inline: bool = False,
        slow: bool = False,
        stale_ok: bool = False,
    ) -> Response:
        return Response(await self.cache.fetch(key, rev, build, inline, slow, stale_ok), media_type=media_type)

    def story_view_builders(self, story_id: str) -> list[tuple[Any, Callable[[], bytes]]]:
        """(cache key, build) of a story's default views: its JSON answer and, with the web pages
        mounted, its page; what a write rebuilds for every story it changed."""
        from ..web import build_story_page

        out: list[tuple[Any, Callable[[], bytes]]] = [
            (("story", story_id, 0, STORY_ARTICLES), lambda: self.build_story(story_id, 0, STORY_ARTICLES))
        ]
        if self.web_env is not None:
            out.append((("page:story", story_id, 1), lambda: build_story_page(self, self.web_env, story_id, 1)))
        return out

    def story_views(self, story_id: str) -> list[tuple[Any, Any, bytes]]:
        """The default views of a story as (cache key, revision, body), built now (none for no story).
        The revision is read before the views are built, so a view is never kept under a revision
        newer than the data it shows."""
        rev = self.reader().story_revision(story_id)
        if rev is None:
            return []
        return [(key, rev, build()) for key, build in self.story_view_builders(story_id)]

    async def refresh_stories(self, story_ids: list[str], warming: bool = False) -> None:
        """After a write: rebuild the changed stories' default views before the POST is answered, so
        that a read made after the answer never gets a version from before the write. ``warming``
        (start-up): build them all, however long it takes."""
        store = self.reader()
        jobs, keys = [], []
        for sid in dict.fromkeys(i for i in story_ids if i):
            rev = store.story_revision(sid)
            if rev is None:
                continue
            for key, build in self.story_view_builders(sid):
                if self.cache.has(key, rev):  # built by the ingest worker
                    continue
                keys.append((key, rev))
                jobs.append(self.cache.fetch(key, rev, build, inline=self.inline_stories))
        if not jobs:
            return

        async def one_by_one() -> None:
            # one view at a time, letting the waiting reads through in between: builds run on the event
            # loop, and a group of writes changes several stories (10 views in a row would stall reads)
            for job in jobs:
                try:
                    await job
                except Exception as exc:  # noqa: BLE001 - the write itself succeeded; the next read rebuilds
                    log.warning("could not refresh a story after a write: %r", exc)
                await asyncio.sleep(0)

        runner = asyncio.ensure_future(one_by_one())
        if warming:
            await runner
            return
        done, pending = await asyncio.wait([runner], timeout=REFRESH_WAIT)
        if pending:
            # slow to rebuild (busy cores): drop the versions from before this write instead of waiting,
            # so that no read from now on can get them (those already rebuilt stay); the builds go on
            # and the next reads wait for them
            for key, rev in keys:
                if not self.cache.has(key, rev):
                    self.cache.drop(key)
            for t in pending:
                t.add_done_callback(lambda f: f.cancelled() or f.exception())

    def _story_page(self, store: Store, story_id: str, offset: int, limit: int) -> tuple[Story, list[Any]]:
        """A story and the briefs of a page of its articles (inside the caller's snapshot); 404 if none."""
        story = store.get_story(story_id)
        if story is None:
            raise HTTPException(404, f"no story {story_id!r}")
        return story, self.briefs.get(store, story.article_ids[offset : offset + limit])

    def build_story(self, story_id: str, offset: int, limit: int) -> bytes:
        analysis = self.analysis(story_id)  # before the snapshot: computing one writes it to the store
        store = self.reader()
        with store.snapshot():
            story, listed = self._story_page(store, story_id, offset, limit)
            n_links, links = store.edges_among([a.id for a in listed], GRAPH_EDGES)
        return dumps(story_view(story, listed, links, n_links, analysis, offset, limit))

    def build_story_articles(self, story_id: str, offset: int, limit: int) -> bytes:
        store = self.reader()
        with store.snapshot():
            story, listed = self._story_page(store, story_id, offset, limit)
        event_of = {aid: ev.id for ev in story.events for aid in ev.article_ids}
        more = offset + limit < len(story.article_ids)
        return dumps(
            {
                "story_id": story.id,
                "items": [article_brief(a, story.id) | {"event_id": event_of.get(a.id)} for a in listed],
                "limit": limit,
                "offset": offset,
                "next_offset": offset + limit if more else None,
                "total_articles": len(story.article_ids),
            }
        )

    def build_story_edges(self, story_id: str, offset: int, limit: int) -> bytes:
        store = self.reader()
        with store.snapshot():
            total, page = store.story_edge_page(story_id, limit, offset)
        return dumps(
            {
                "story_id": story_id,
                "items": [edge_light(e, n) for e, n in page],
                "limit": limit,
                "offset": offset,
                "next_offset": offset + limit if offset + limit < total else None,
                "total_edges": total,
            }
        )

    def build_article(self, article_id: str) -> bytes:
        store = self.reader()
        with store.snapshot():
            a = store.get_article(article_id)
            if a is None:
                raise HTTPException(404, f"no article {article_id!r}")
            edges = store.edge_json_for(a.id)
            story_id = store.story_of(a.id)
        return dumps(article_view(a, story_id, edges))


_WORKER: dict[str, Any] = {}


def _worker_init(
    db_path: str, config_json: str, nice: int = 0, views: bool = False
) -> None:  # pragma: no cover - ingest process
    if nice > 0:
        with contextlib.suppress(OSError):  # reads are what people wait for: let the ingest worker yield the CPU
            os.nice(nice)
    # a read-only Service around the worker's pipeline: it builds the views of the stories a write
    # changed (``views``), here, so that the serving process only has to keep them
    service = Service(db_path, Config.from_json(config_json), stored_analysis, warm_stories=0, cache_bytes=0)
    if views:
        from ..web import make_env

        service.web_env = make_env()
    try:  # build the later stages (and load their models) now, not on the first POST
        _ = (service.pipeline.reuse_stage, service.pipeline.cluster_stage)
    except Exception:  # noqa: BLE001 - the first ingest will report it
        logging.getLogger("storyline.api").exception("could not build the pipeline stages")
    _WORKER["service"] = service
    _WORKER["views"] = views


def _worker_ping() -> bool:  # pragma: no cover - ingest process
    return "service" in _WORKER


def _worker_ingest(payload: list[dict[str, Any]]) -> dict[str, Any]:  # pragma: no cover - ingest process
    """Ingest, then (with ``views``) build the default views of every story the write changed:
    ``{"answers": [...], "views": [(cache key, revision, body), ...]}``."""
    service: Service = _WORKER["service"]
    store = service.writer  # the pipeline's store, as the SQLiteStore it is (edge marks are SQLite's)
    mark = store.edge_mark() if _WORKER["views"] else 0
    answers = ingest_answers(service.pipeline, [ArticleIn(**d) for d in payload])
    views: list[tuple[Any, Any, bytes]] = []
    if _WORKER["views"]:
        # the stories the new articles joined, and those whose articles the new edges touch
        changed = [a["story_id"] for a in answers if a["status"] == "stored" and a["story_id"]]
        for sid in dict.fromkeys(changed + store.stories_with_edges_since(mark)):
            try:
                views += service.story_views(sid)
            except Exception:  # noqa: BLE001 - the write succeeded; the serving process builds them instead
                logging.getLogger("storyline.api").exception("could not build the views of story %s", sid)
    return {"answers": answers, "views": views}
