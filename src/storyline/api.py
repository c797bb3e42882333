"""HTTP API and web pages over one store: ``create_app(db_path)`` (``storyline serve`` runs it).

JSON API: ``POST /articles``, ``GET /articles``, ``GET /articles/{id}``, ``GET /stories``,
``GET /stories/{id}``, ``GET /search``; OpenAPI schema at ``/openapi.json``.
Web pages (server-rendered, see :mod:`storyline.web`): ``/``, ``/story/{id}``, ``/article/{id}``.

Concurrency: one writer store + :class:`Pipeline` guarded by a lock (ingest is CPU-bound and runs
in the threadpool, one batch at a time); reads use one SQLite connection per worker thread (WAL
lets them read while a write is in progress). Every request reads the store afresh, so articles
added by ``POST /articles`` or by ``storyline watch`` in another process show up without a restart.

Limits: request bodies larger than ``max_body_bytes`` get 413 (checked on Content-Length and by
counting the bytes actually streamed); more than ``max_batch`` articles or over-long fields get 422.
Every error is JSON ``{"error": code, "message": text}``; no stack trace ever reaches a client.
"""

from __future__ import annotations

import dataclasses

import json
import logging
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any, Optional

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from .config import Config
from .model import Article, RawDocument, ReuseEdge, Story, StoryAnalysis, to_dict
from .pipeline import Pipeline
from .store import SQLiteStore, Store

log = logging.getLogger("storyline.api")

DEFAULT_MAX_BODY_BYTES = 5_000_000
DEFAULT_MAX_BATCH = 100
MAX_TEXT_CHARS = 2_000_000
MAX_PAGE = 200

AnalysisProvider = Callable[[Store, str, Config], Optional[StoryAnalysis]]


# --------------------------------------------------------------------------- request models


class ArticleIn(BaseModel):
    """One article to ingest: ``text`` (plain, as scraped) or ``html``; metadata optional."""

    model_config = ConfigDict(extra="ignore")

    text: Optional[str] = Field(None, max_length=MAX_TEXT_CHARS, description="Plain text as scraped.")
    html: Optional[str] = Field(None, max_length=MAX_TEXT_CHARS, description="Raw HTML (used when no text).")
    url: Optional[str] = Field(None, max_length=2048)
    title: Optional[str] = Field(None, max_length=1000)
    date: Optional[str] = Field(None, max_length=100, description="Publication date (ISO or as written).")
    outlet: Optional[str] = Field(None, max_length=300)
    author: Optional[str] = Field(None, max_length=300)


_ONE_OR_MANY = TypeAdapter(ArticleIn | list[ArticleIn])
_ARTICLE_SCHEMA = ArticleIn.model_json_schema()


# --------------------------------------------------------------------------- errors


def _json(data: Any) -> JSONResponse:
    """The views build JSON-ready dicts already: skip FastAPI's generic (slow) encoder."""
    return JSONResponse(data)


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status)


_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large", 422: "invalid", 500: "internal"}


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """413 for bodies over the limit: by the Content-Length header, and by counting streamed bytes
    (a chunked upload or a lying header cannot get past it)."""

    def __init__(self, app: Any, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def _send_413(self, send: Any) -> None:
        body = json.dumps(
            {"error": "too_large", "message": f"request body too large (limit {self.max_bytes:,} bytes)"}
        ).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers") or []:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    body = b'{"error": "bad_request", "message": "invalid Content-Length"}'
                    await send({"type": "http.response.start", "status": 400,
                                "headers": [(b"content-type", b"application/json")]})
                    await send({"type": "http.response.body", "body": body})
                    return
                if declared > self.max_bytes:
                    await self._send_413(send)
                    return
        received = 0
        started = False

        async def limited_receive() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._send_413(send)


SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


class SecurityHeadersMiddleware:
    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {k.lower() for k, _ in headers}
                for k, v in SECURITY_HEADERS.items():
                    if k.encode() not in present:
                        headers.append((k.encode(), v.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


# --------------------------------------------------------------------------- analysis


def default_analysis(store: Store, story_id: str, config: Config) -> StoryAnalysis | None:
    """The analysis stage (``storyline.analyze.analysis_for``) when installed; else whatever analysis
    the store already holds for the story; None when there is none ("analysis not available")."""
    try:
        from . import analyze  # noqa: PLC0415  (optional stage, imported lazily)
    except ImportError:
        analyze = None  # type: ignore[assignment]
    if analyze is not None and hasattr(analyze, "analysis_for"):
        return analyze.analysis_for(store, story_id, config)
    cached = store.get_analysis(story_id)
    return cached[1] if cached else None


def stored_analysis(store: Store, story_id: str, config: Config) -> StoryAnalysis | None:
    """Only what the store holds (never computes): for tests and read-only deployments."""
    cached = store.get_analysis(story_id)
    return cached[1] if cached else None


# --------------------------------------------------------------------------- the service


class Service:
    """The app's state: the writer (store + pipeline + lock) and per-thread readers."""

    def __init__(self, db_path: str | Path, config: Config | None = None, analysis: AnalysisProvider | None = None,
                 ingest_process: bool = False):
        self.db_path = str(db_path)
        self.writer = SQLiteStore(self.db_path)
        self.pipeline = Pipeline(self.writer, config)
        self.config = self.pipeline.config
        self.write_lock = threading.Lock()
        # ingest in a separate process keeps the CPU-bound pipeline off this process's GIL, so reads
        # stay fast while articles are being ingested; one worker = writes serialised
        self.ingest_process = ingest_process and self.db_path != ":memory:"
        self._executor: Any = None
        self._local = threading.local()
        self._readers: list[SQLiteStore] = []
        self._readers_lock = threading.Lock()
        self._analysis = analysis or default_analysis
        self._analysis_locks: dict[str, threading.Lock] = {}
        self._shared_reader = self.db_path == ":memory:"

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
                try:
                    s.close()
                except Exception:  # pragma: no cover
                    pass
            self._readers.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        self.writer.close()

    def _make_executor(self) -> Any:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_init, initargs=(self.db_path, self.config.to_json()))

    async def start(self) -> None:
        """Start the ingest worker before serving (its start-up must not delay the first POST)."""
        if self.ingest_process and self._executor is None:
            import asyncio

            self._executor = self._make_executor()
            await asyncio.wrap_future(self._executor.submit(_worker_ping))

    async def ingest_items(self, items: list[ArticleIn]) -> list[dict[str, Any]]:
        """Run the pipeline on posted articles (one batch at a time), off the event loop."""
        if not self.ingest_process:
            return await run_in_threadpool(self._ingest_locked, items)
        import asyncio
        from concurrent.futures.process import BrokenProcessPool

        payload = [it.model_dump() for it in items]
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
        """Analysis of a story; one computation per story at a time; failures -> None (logged)."""
        lock = self._analysis_locks.setdefault(story_id, threading.Lock())
        with lock:
            try:
                return self._analysis(self.reader(), story_id, self.config)
            except Exception:
                log.exception("analysis of story %s failed", story_id)
                return None

    async def analysis_async(self, story_id: str) -> StoryAnalysis | None:
        """Reading a stored analysis is quick (done inline); computing one goes to the threadpool."""
        if self._analysis is stored_analysis:
            return self.analysis(story_id)
        return await run_in_threadpool(self.analysis, story_id)


# --------------------------------------------------------------------------- views (plain dicts)


def article_brief(a: Article, story_id: str | None = None) -> dict[str, Any]:
    return {
        "id": a.id, "title": a.title, "outlet": a.outlet, "author": a.author, "url": a.url,
        "published": a.published.isoformat() if a.published else None, "date_precision": a.date_precision,
        "words": a.word_count, "story_id": story_id, "links": {"self": f"/articles/{a.id}", "page": f"/article/{a.id}"},
    }


def story_brief(s: Story) -> dict[str, Any]:
    return {
        "id": s.id, "title": s.title, "article_count": len(s.article_ids), "event_count": len(s.events),
        "outlets": s.outlets, "first_date": s.first_date.isoformat() if s.first_date else None,
        "last_date": s.last_date.isoformat() if s.last_date else None,
        "links": {"self": f"/stories/{s.id}", "page": f"/story/{s.id}"},
    }


def edge_view(e: ReuseEdge, with_passages: bool = False) -> dict[str, Any]:
    """An edge as JSON; without passages only their count (a big story has thousands of edges)."""
    if with_passages:
        return to_dict(e)
    d = {f.name: getattr(e, f.name) for f in dataclasses.fields(e) if f.name != "passages"}
    d["passages"] = len(e.passages)
    return d


def story_edges(store: Store, article_ids: list[str]) -> list[ReuseEdge]:
    """Non-independent reuse edges touching the story's articles (each once)."""
    seen: set[tuple[str, str]] = set()
    out: list[ReuseEdge] = []
    members = set(article_ids)
    for aid in article_ids:
        for e in store.edges_for(aid):
            key = (e.source_id, e.target_id)
            if key in seen or e.relation == "independent":
                continue
            if e.source_id in members or e.target_id in members:
                seen.add(key)
                out.append(e)
    return out


def story_detail(store: Store, story: Story, analysis: StoryAnalysis | None) -> dict[str, Any]:
    articles = store.get_articles(story.article_ids)
    edges = story_edges(store, story.article_ids)
    event_of = {aid: ev.id for ev in story.events for aid in ev.article_ids}
    nodes = [
        {"id": a.id, "outlet": a.outlet, "title": a.title,
         "published": a.published.isoformat() if a.published else None, "event_id": event_of.get(a.id)}
        for a in articles
    ]
    return {
        **story_brief(story),
        "entities": story.entities,
        "events": [to_dict(e) for e in story.events],
        "articles": [article_brief(a, story.id) | {"event_id": event_of.get(a.id)} for a in articles],
        "analysis_available": analysis is not None,
        "timeline": to_dict(analysis.timeline) if analysis else [],
        "quotes": to_dict(analysis.quotes) if analysis else [],
        "claims": to_dict(analysis.claims) if analysis else [],
        "summary": to_dict(analysis.summary) if analysis else [],
        "graph": {"nodes": nodes, "edges": [edge_view(e) for e in edges]},
    }


_WORKER: dict[str, Any] = {}


def _worker_init(db_path: str, config_json: str) -> None:  # pragma: no cover - runs in the ingest process
    store = SQLiteStore(db_path)
    pipeline = Pipeline(store, Config.from_json(config_json))
    try:  # build the later stages (and load their models) now, not on the first POST
        _ = (pipeline.reuse_stage, pipeline.cluster_stage)
    except Exception:  # noqa: BLE001 - the first ingest will report it
        logging.getLogger("storyline.api").exception("could not build the pipeline stages")
    _WORKER["pipeline"] = pipeline


def _worker_ping() -> bool:  # pragma: no cover - ingest process
    return "pipeline" in _WORKER


def _worker_ingest(payload: list[dict[str, Any]]) -> list[dict[str, Any]]:  # pragma: no cover - ingest process
    return ingest_answers(_WORKER["pipeline"], [ArticleIn(**d) for d in payload])


def ingest_answers(pipeline: Pipeline, items: list[ArticleIn]) -> list[dict[str, Any]]:
    """Run the pipeline on the posted articles; one answer per input, in input order."""
    docs: list[RawDocument] = []
    used: set[str] = set()
    for i, it in enumerate(items):
        base = it.url or "http-post"
        source = base if (it.url and base not in used) else f"{base}#{i}"
        used.add(source)
        meta = {k: getattr(it, k) for k in ("url", "title", "date", "outlet", "author") if getattr(it, k)}
        if it.text is not None:
            docs.append(RawDocument(source=source, text=it.text, meta=meta))
        else:
            docs.append(RawDocument(source=source, html=it.html, meta=meta))
    report = pipeline.ingest(docs)
    stored = {r.source: r for r in report.stored}
    dups = dict(report.duplicates)
    rejected = {r.source: r.reason for r in report.rejected}
    store = pipeline.store
    answers = []
    for i, doc in enumerate(docs):
        src = doc.source
        if src in stored:
            r = stored[src]
            answers.append({"index": i, "id": r.article_id, "status": "stored", "reason": None, "story_id": r.story_id,
                            "event_id": r.event_id, "copies_of": r.copies_of})
        elif src in dups:
            aid = dups[src]
            copies = [{"source_id": e.source_id, "relation": e.relation, "confidence": e.confidence}
                      for e in store.edges_for(aid) if e.target_id == aid and e.relation != "independent"]
            answers.append({"index": i, "id": aid, "status": "duplicate", "reason": "already stored",
                            "story_id": store.story_of(aid), "event_id": None, "copies_of": copies})
        else:
            answers.append({"index": i, "id": None, "status": "rejected", "reason": rejected.get(src, "not stored"),
                            "story_id": None, "event_id": None, "copies_of": []})
    return answers


# --------------------------------------------------------------------------- the app


def create_app(
    db_path: str | Path,
    config: Config | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_batch: int = DEFAULT_MAX_BATCH,
    analysis: AnalysisProvider | None = None,
    ingest_process: bool = False,
) -> FastAPI:
    """The HTTP API and the web pages over the store at ``db_path``.

    ``analysis`` computes a story's analysis (default: :func:`default_analysis`).
    ``ingest_process``: ingest in a separate worker process (``storyline serve`` does) instead of a thread.
    """
    service = Service(db_path, config, analysis, ingest_process)

    @asynccontextmanager
    async def _lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        await service.start()
        yield
        service.close()

    app = FastAPI(
        title="Storyline",
        version="0.1.0",
        description="Stories from a stream of news articles: ingest articles, read stories, timelines, quotes, "
        "agreement and cited summaries. Errors are JSON: {\"error\": code, \"message\": text}.",
        docs_url=None,  # the interactive docs load scripts from a CDN; the schema is at /openapi.json
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.service = service
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)

    # ---- errors: JSON, never a stack trace
    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        from starlette.exceptions import HTTPException as _SE  # noqa: F401

        message = exc.detail if isinstance(exc.detail, str) else "error"
        return _error(exc.status_code, _CODES.get(exc.status_code, "error"), message)

    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(StarletteHTTPException)
    async def _starlette_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        return _error(exc.status_code, _CODES.get(exc.status_code, "error"), message)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": list(e.get("loc", [])), "msg": e.get("msg", "")} for e in exc.errors()]
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(x) for x in first["loc"])
        return _error(422, "invalid", f"{where}: {first['msg']}" if where else first["msg"], details=details)

    @app.exception_handler(Exception)
    async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(500, "internal", "internal server error")

    # ---- JSON API
    @app.post(
        "/articles",
        tags=["articles"],
        summary="Ingest one article or a batch",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {
                    "anyOf": [_ARTICLE_SCHEMA, {"type": "array", "items": _ARTICLE_SCHEMA, "maxItems": max_batch}]
                }}},
            }
        },
    )
    async def post_articles(request: Request) -> JSONResponse:
        """Each article goes through the whole pipeline (clean, store, copies, story).
        The answer lists, in input order: id, status (stored / duplicate / rejected), reason, story_id, copies_of."""
        raw = await request.body()
        if not raw.strip():
            raise HTTPException(400, "empty body: send a JSON object or a list of objects")
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            msg = f"malformed JSON ({exc.msg} at line {exc.lineno} column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else "body is not UTF-8"
            raise HTTPException(400, msg) from None
        if isinstance(data, list):
            if not data:
                raise HTTPException(422, "empty batch")
            if len(data) > max_batch:
                raise HTTPException(422, f"batch too large: {len(data)} articles (limit {max_batch})")
        elif not isinstance(data, dict):
            raise HTTPException(422, "expected a JSON object or a list of objects")
        try:
            parsed = _ONE_OR_MANY.validate_python(data)
        except ValidationError as exc:
            details = [{"loc": list(e.get("loc", [])), "msg": e.get("msg", "")} for e in exc.errors()[:20]]
            where = ".".join(str(x) for x in details[0]["loc"]) if details else ""
            return _error(422, "invalid", f"{where}: {details[0]['msg']}" if details else "invalid article", details=details)
        items = parsed if isinstance(parsed, list) else [parsed]
        for i, it in enumerate(items):
            if it.text is None and it.html is None:
                raise HTTPException(422, f"article {i}: needs 'text' or 'html'")
        answers = await service.ingest_items(items)
        status = 201 if any(a["status"] == "stored" for a in answers) else 200
        return JSONResponse({"results": answers,
                             "stored": sum(a["status"] == "stored" for a in answers),
                             "duplicates": sum(a["status"] == "duplicate" for a in answers),
                             "rejected": sum(a["status"] == "rejected" for a in answers)}, status_code=status)

    @app.get("/articles", tags=["articles"], summary="List articles (ingest order)")
    async def list_articles(
        limit: int = Query(20, ge=1, le=MAX_PAGE), offset: int = Query(0, ge=0),
        outlet: Optional[str] = Query(None, max_length=300), q: Optional[str] = Query(None, max_length=200),
    ) -> JSONResponse:
        store = service.reader()
        items = store.list_articles(limit=limit + 1, offset=offset, outlet=outlet, q=q)
        more = len(items) > limit
        return _json({"items": [article_brief(a, store.story_of(a.id)) for a in items[:limit]], "limit": limit,
                      "offset": offset, "next_offset": offset + limit if more else None, "total_articles": store.count_articles()})

    @app.get("/articles/{article_id}", tags=["articles"], summary="One article: clean text, sentences, copies")
    async def get_article(article_id: str) -> JSONResponse:
        from .text import article_sentences

        if len(article_id) > 64:
            raise HTTPException(404, "no such article")
        store = service.reader()
        a = store.get_article(article_id)
        if a is None:
            raise HTTPException(404, f"no article {article_id!r}")
        edges = [e for e in store.edges_for(a.id) if e.relation != "independent"]
        return _json({
            **to_dict(a), "text": a.text, "words": a.word_count, "story_id": store.story_of(a.id),
            "sentences": [{"index": s.index, "paragraph": s.paragraph, "text": s.text} for s in article_sentences(a)],
            "copies_of": [edge_view(e, True) for e in edges if e.target_id == a.id],
            "copied_by": [edge_view(e, True) for e in edges if e.source_id == a.id],
            "links": {"self": f"/articles/{a.id}", "page": f"/article/{a.id}"},
        })

    @app.get("/stories", tags=["stories"], summary="Stories, newest activity first")
    async def list_stories(
        limit: int = Query(20, ge=1, le=MAX_PAGE), offset: int = Query(0, ge=0),
        date_from: Optional[date] = Query(None, description="Stories active on or after (YYYY-MM-DD)."),
        date_to: Optional[date] = Query(None, description="Stories active on or before (YYYY-MM-DD)."),
        outlet: Optional[str] = Query(None, max_length=300), q: Optional[str] = Query(None, max_length=200),
    ) -> JSONResponse:
        store = service.reader()
        filters = {"outlet": outlet, "q": q, "date_from": date_from.isoformat() if date_from else None,
                   "date_to": date_to.isoformat() if date_to else None}
        items = store.list_stories(limit=limit + 1, offset=offset, **filters)
        more = len(items) > limit
        return _json({"items": [story_brief(s) for s in items[:limit]], "limit": limit, "offset": offset,
                      "next_offset": offset + limit if more else None, "total_stories": store.count_stories()})

    @app.get("/stories/{story_id}", tags=["stories"],
             summary="One story: articles, events, timeline, quotes, claims, cited summary, reuse graph")
    async def get_story(story_id: str) -> JSONResponse:
        if len(story_id) > 64:
            raise HTTPException(404, "no such story")
        store = service.reader()
        s = store.get_story(story_id)
        if s is None:
            raise HTTPException(404, f"no story {story_id!r}")
        return _json(story_detail(store, s, await service.analysis_async(s.id)))

    @app.get("/search", tags=["search"], summary="Text search over articles and stories")
    async def search(q: str = Query(..., min_length=1, max_length=200), limit: int = Query(20, ge=1, le=MAX_PAGE)) -> JSONResponse:
        return _json(await run_in_threadpool(_search, service.reader, q, limit))  # a text scan: off the event loop

    # ---- web pages
    from .web import mount_web

    mount_web(app, service)
    return app


def _search(reader: Callable[[], Store], q: str, limit: int) -> dict[str, Any]:
    store = reader()
    arts = store.list_articles(limit=limit, q=q)
    stories = store.list_stories(limit=limit, q=q)
    # stories whose articles match, too (a story's own record holds only its title and metadata)
    have = {s.id for s in stories}
    for sid in dict.fromkeys(store.story_of(a.id) for a in arts):
        if sid and sid not in have and len(stories) < limit:
            st = store.get_story(sid)
            if st is not None:
                stories.append(st)
                have.add(st.id)
    return {"q": q, "articles": [article_brief(a, store.story_of(a.id)) | {"snippet": snippet(a, q)} for a in arts],
            "stories": [story_brief(s) for s in stories]}


SERVE_ENV = "STORYLINE_SERVE_OPTIONS"


def app_from_env() -> FastAPI:
    """App factory for ``uvicorn --factory`` / ``storyline serve --workers N``: options from
    ``$STORYLINE_SERVE_OPTIONS`` (JSON: db, max_body_bytes, max_batch, analysis, ingest_process)."""
    import os

    opts = json.loads(os.environ[SERVE_ENV])
    return create_app(
        opts["db"], max_body_bytes=int(opts.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)),
        max_batch=int(opts.get("max_batch", DEFAULT_MAX_BATCH)),
        analysis=stored_analysis if opts.get("analysis") == "stored" else default_analysis,
        ingest_process=bool(opts.get("ingest_process", True)),
    )


def snippet(a: Article, q: str, width: int = 160) -> str:
    text = a.text
    i = text.lower().find(q.lower())
    if i < 0:
        return text[:width]
    start = max(0, i - width // 2)
    return ("…" if start else "") + text[start : start + width] + ("…" if start + width < len(text) else "")
