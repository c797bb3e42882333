"""The FastAPI app: :func:`create_app` (middlewares, JSON errors, the API's routes, the web pages mounted) and
:func:`app_from_env`, its factory for ``uvicorn --factory`` (``storyline serve --workers N``)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import TypeAdapter, ValidationError

from ..config import Config
from ..store import Store
from .analysis import AnalysisProvider, default_analysis, stored_analysis
from .cache import DEFAULT_CACHE_BYTES
from .encoding import dumps, loads
from .middleware import BodyLimitMiddleware, CachedReadMiddleware, SecurityHeadersMiddleware
from .outlets import OutletNetwork, add_outlet_routes
from .service import DEFAULT_INGEST_NICE, DEFAULT_MAX_PENDING_WRITES, DEFAULT_WARM_STORIES, Service
from .views import MAX_EDGE_PAGE, MAX_PAGE, MAX_STORY_ARTICLES, STORY_ARTICLES, article_brief, snippet, story_brief_row
from .writes import DEFAULT_MAX_BATCH, DEFAULT_MAX_BODY_BYTES, ArticleIn, WriteQueueFull

log = logging.getLogger("storyline.api")


# --------------------------------------------------------------------------- request models


_ONE_OR_MANY = TypeAdapter(ArticleIn | list[ArticleIn])
_ARTICLE_SCHEMA = ArticleIn.model_json_schema()


# --------------------------------------------------------------------------- errors


def _json(data: Any) -> JSONResponse:
    """The views build JSON-ready dicts already: skip FastAPI's generic (slow) encoder."""
    return JSONResponse(data)


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status)


_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    422: "invalid",
    500: "internal",
    503: "busy",
}


# --------------------------------------------------------------------------- the app


def create_app(
    db_path: str | Path,
    config: Config | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_batch: int = DEFAULT_MAX_BATCH,
    analysis: AnalysisProvider | None = None,
    ingest_process: bool = False,
    max_pending_writes: int = DEFAULT_MAX_PENDING_WRITES,
    ingest_nice: int = DEFAULT_INGEST_NICE,
    cache_bytes: int = DEFAULT_CACHE_BYTES,
    warm_stories: int = DEFAULT_WARM_STORIES,
    freeze_gc: bool = False,
) -> FastAPI:
    """The HTTP API and the web pages over the store at ``db_path``.

    ``analysis`` computes a story's analysis (default: :func:`default_analysis`).
    ``ingest_process``: ingest in a separate worker process (``storyline serve`` does) instead of a thread.
    ``freeze_gc``: after start-up, move every object then alive out of the garbage collector's reach
    (``gc.freeze``; process-wide, so for a server process, as ``storyline serve`` sets it, not a test run).
    """
    service = Service(
        db_path,
        config,
        analysis,
        ingest_process,
        max_pending_writes=max_pending_writes,
        ingest_nice=ingest_nice,
        cache_bytes=cache_bytes,
        warm_stories=warm_stories,
        freeze_gc=freeze_gc,
    )
    network = OutletNetwork(service)  # the outlet graph, for /outlets and the outlet pages

    @asynccontextmanager
    async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        yield
        network.close()
        service.close()

    app = FastAPI(
        title="Storyline",
        version="0.1.0",
        description="Stories from a stream of news articles: ingest articles, read stories, timelines, quotes, "
        'agreement and cited summaries, and the outlet network (who copies whom). Errors are JSON: {"error": code, "message": text}.',
        docs_url=None,  # the interactive docs load scripts from a CDN; the schema is at /openapi.json
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.service = service
    app.add_middleware(CachedReadMiddleware, service=service)  # innermost: inside the body limit and the headers
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
        details: list[dict[str, Any]] = [{"loc": list(e.get("loc", [])), "msg": e.get("msg", "")} for e in exc.errors()]
        first: dict[str, Any] = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(x) for x in first["loc"])
        return _error(422, "invalid", f"{where}: {first['msg']}" if where else first["msg"], details=details)

    @app.exception_handler(WriteQueueFull)
    async def _busy(request: Request, exc: WriteQueueFull) -> JSONResponse:
        return JSONResponse(
            {
                "error": "busy",
                "message": f"too many writes waiting ({exc.pending}); retry shortly",
                "pending_writes": exc.pending,
            },
            status_code=503,
            headers={"retry-after": "1"},
        )

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
                "content": {
                    "application/json": {
                        "schema": {
                            "anyOf": [
                                _ARTICLE_SCHEMA,
                                {"type": "array", "items": _ARTICLE_SCHEMA, "maxItems": max_batch},
                            ]
                        }
                    }
                },
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
            msg = (
                f"malformed JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
                if isinstance(exc, json.JSONDecodeError)
                else "body is not UTF-8"
            )
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
            return _error(
                422, "invalid", f"{where}: {details[0]['msg']}" if details else "invalid article", details=details
            )
        items = parsed if isinstance(parsed, list) else [parsed]
        for i, it in enumerate(items):
            if it.text is None and it.html is None:
                raise HTTPException(422, f"article {i}: needs 'text' or 'html'")
        answers = await service.ingest_items(items)
        await service.refresh_stories([a["story_id"] for a in answers if a["status"] == "stored"])
        status = 201 if any(a["status"] == "stored" for a in answers) else 200
        return JSONResponse(
            {
                "results": answers,
                "stored": sum(a["status"] == "stored" for a in answers),
                "duplicates": sum(a["status"] == "duplicate" for a in answers),
                "rejected": sum(a["status"] == "rejected" for a in answers),
            },
            status_code=status,
        )

    @app.get("/articles", tags=["articles"], summary="List articles (ingest order)")
    async def list_articles(
        limit: int = Query(20, ge=1, le=MAX_PAGE),
        offset: int = Query(0, ge=0),
        outlet: str | None = Query(None, max_length=300),
        q: str | None = Query(None, max_length=200),
    ) -> Response:
        store = service.reader()

        def build() -> bytes:
            st = service.reader()
            with st.snapshot():
                items = st.list_articles(limit=limit + 1, offset=offset, outlet=outlet, q=q)
                more = len(items) > limit
                return dumps(
                    {
                        "items": [article_brief(a, st.story_of(a.id)) for a in items[:limit]],
                        "limit": limit,
                        "offset": offset,
                        "next_offset": offset + limit if more else None,
                        "total_articles": st.count_articles(),
                    }
                )

        rev = _rev(store.articles_revision(), store.stories_revision())
        return await service.cached(("articles", limit, offset, outlet, q), rev, build)

    @app.get(
        "/articles/{article_id}",
        tags=["articles"],
        summary="One article: clean text, sentences, what it copies (with passages) and who copies it",
    )
    async def get_article(article_id: str) -> Response:
        if len(article_id) > 64:
            raise HTTPException(404, "no such article")
        rev = service.reader().article_revision(article_id)  # None for a prefix: built, not kept
        return await service.cached(
            ("article", article_id), rev, lambda: service.build_article(article_id), inline=True
        )

    @app.get("/stories", tags=["stories"], summary="Stories, newest activity first")
    async def list_stories(
        limit: int = Query(20, ge=1, le=MAX_PAGE),
        offset: int = Query(0, ge=0),
        date_from: date | None = Query(None, description="Stories active on or after (YYYY-MM-DD)."),
        date_to: date | None = Query(None, description="Stories active on or before (YYYY-MM-DD)."),
        outlet: str | None = Query(None, max_length=300),
        q: str | None = Query(None, max_length=200),
    ) -> Response:
        filters = {
            "outlet": outlet,
            "q": q,
            "date_from": date_from.isoformat() if date_from else None,
            "date_to": date_to.isoformat() if date_to else None,
        }

        def build() -> bytes:
            st = service.reader()
            with st.snapshot():
                items = st.story_briefs(limit=limit + 1, offset=offset, **filters)
                more = len(items) > limit
                return dumps(
                    {
                        "items": [story_brief_row(d) for d in items[:limit]],
                        "limit": limit,
                        "offset": offset,
                        "next_offset": offset + limit if more else None,
                        "total_stories": st.count_stories(),
                    }
                )

        rev = service.reader().stories_revision()
        slow = bool(q or outlet)  # a text filter scans every story: off the event loop
        return await service.cached(("stories", limit, offset, tuple(filters.values())), rev, build, inline=not slow)

    _story_rev = service.story_and_revision

    @app.get(
        "/stories/{story_id}",
        tags=["stories"],
        summary="One story: events, timeline, quotes, claims, cited summary; a page of its articles and their reuse graph",
    )
    async def get_story(
        story_id: str,
        articles: int = Query(
            STORY_ARTICLES, ge=0, le=MAX_STORY_ARTICLES, description="How many articles to list (and draw)."
        ),
        offset: int = Query(0, ge=0, description="First article listed."),
    ) -> Response:
        sid, rev = _story_rev(story_id)
        return await service.cached(
            ("story", sid, offset, articles),
            rev,
            lambda: service.build_story(sid, offset, articles),
            stale_ok=True,
            inline=service.inline_stories,
        )

    @app.get("/stories/{story_id}/articles", tags=["stories"], summary="A story's articles, a page at a time")
    async def get_story_articles(
        story_id: str, limit: int = Query(MAX_PAGE, ge=1, le=MAX_STORY_ARTICLES), offset: int = Query(0, ge=0)
    ) -> Response:
        sid, rev = _story_rev(story_id)
        return await service.cached(
            ("story-articles", sid, offset, limit), rev, lambda: service.build_story_articles(sid, offset, limit)
        )

    @app.get(
        "/stories/{story_id}/edges",
        tags=["stories"],
        summary="Reuse edges touching a story's articles, strongest first, without passages (see /articles/{id})",
    )
    async def get_story_edges(
        story_id: str, limit: int = Query(MAX_PAGE, ge=1, le=MAX_EDGE_PAGE), offset: int = Query(0, ge=0)
    ) -> Response:
        sid, rev = _story_rev(story_id)
        return await service.cached(
            ("story-edges", sid, offset, limit), rev, lambda: service.build_story_edges(sid, offset, limit)
        )

    @app.get("/search", tags=["search"], summary="Text search over articles and stories")
    async def search(
        q: str = Query(..., min_length=1, max_length=200), limit: int = Query(20, ge=1, le=MAX_PAGE)
    ) -> Response:
        # Matching articles are the first `limit` in ingest order, and stored articles never change: once
        # a query has `limit` matches its article list is final, otherwise only newer articles can add to
        # it. So the text scan runs once per query (again only while it has fewer than `limit` matches and
        # articles were added); the answer around it is rebuilt when the stories change.
        store = service.reader()
        arts_rev = store.articles_revision()
        found = service.search_ids.get((q, limit))
        if found is None or (found[0] != "final" and found[0] != arts_rev):
            body = await service.cache.fetch(
                ("search-ids", q, limit),
                _rev(arts_rev),
                lambda: dumps([a.id for a in service.reader().list_articles(limit=limit, q=q)]),
            )
            found = ("final" if len(loads(body)) >= limit else arts_rev, loads(body))
            if len(service.search_ids) >= 10_000:  # arbitrary queries: keep the memory bounded
                service.search_ids.clear()
            service.search_ids[(q, limit)] = found
        ids = found[1]
        rev = _rev(store.stories_revision(), tuple(ids))
        return await service.cached(
            ("search", q, limit), rev, lambda: dumps(_search(service.reader, q, limit, ids)), inline=True
        )  # known article ids: a few lookups and a scan of the story rows

    add_outlet_routes(app, service, network)

    @app.get("/stats", include_in_schema=False)
    async def stats() -> JSONResponse:
        """Cache and write-queue counters (for load checks)."""
        return JSONResponse(
            {
                "cache": service.cache.stats(),
                "fast_hits": service.fast_hits,
                "pending_writes": service.pending_writes,
                "write_groups": service.write_groups,
                "stale_while_writing": service.stale_while_writing,
                "gc": service.gc_pauses.stats(),
                "max_pending_writes": service.max_pending_writes,
            }
        )

    # ---- web pages
    from ..web import mount_web

    mount_web(app, service, network)
    return app


def _rev(*parts: Any) -> Any:
    """A combined revision; None (do not cache) when any part is unknown."""
    return None if any(p is None for p in parts) else parts


def _search(reader: Callable[[], Store], q: str, limit: int, article_ids: list[str] | None = None) -> dict[str, Any]:
    """Articles (the first ``limit`` matches in ingest order; ``article_ids`` when already known) and stories."""
    store = reader()
    with store.snapshot():
        arts = store.list_articles(limit=limit, q=q) if article_ids is None else store.get_articles(article_ids)
        stories = store.story_briefs(limit=limit, q=q)
        story_of = {a.id: store.story_of(a.id) for a in arts}
        # stories whose articles match, too (a story's own record holds only its title and metadata)
        have = {s["id"] for s in stories}
        extra = [sid for sid in dict.fromkeys(story_of.values()) if sid and sid not in have][
            : max(0, limit - len(stories))
        ]
        if extra:
            found = {d["id"]: d for d in store.story_briefs(limit=len(extra), ids=extra)}
            stories += [found[i] for i in extra if i in found]
    return {
        "q": q,
        "articles": [article_brief(a, story_of[a.id]) | {"snippet": snippet(a, q)} for a in arts],
        "stories": [story_brief_row(s) for s in stories],
    }


SERVE_ENV = "STORYLINE_SERVE_OPTIONS"


def app_from_env() -> FastAPI:
    """App factory for ``uvicorn --factory`` / ``storyline serve --workers N``: options from
    ``$STORYLINE_SERVE_OPTIONS`` (JSON: db, max_body_bytes, max_batch, analysis, ingest_process)."""
    import os

    opts = json.loads(os.environ[SERVE_ENV])
    return create_app(
        opts["db"],
        max_body_bytes=int(opts.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)),
        max_batch=int(opts.get("max_batch", DEFAULT_MAX_BATCH)),
        analysis=stored_analysis if opts.get("analysis") == "stored" else default_analysis,
        ingest_process=bool(opts.get("ingest_process", True)),
        max_pending_writes=int(opts.get("max_pending_writes", DEFAULT_MAX_PENDING_WRITES)),
        ingest_nice=int(opts.get("ingest_nice", DEFAULT_INGEST_NICE)),
        cache_bytes=int(opts.get("cache_bytes", DEFAULT_CACHE_BYTES)),
        warm_stories=int(opts.get("warm_stories", DEFAULT_WARM_STORIES)),
        freeze_gc=bool(opts.get("freeze_gc", True)),
    )
