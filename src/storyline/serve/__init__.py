"""HTTP API and web pages over one store: ``create_app(db_path)`` in :mod:`storyline.serve.app` (``storyline serve``
runs it).

JSON API: ``POST /articles``, ``GET /articles``, ``GET /articles/{id}``, ``GET /stories``,
``GET /stories/{id}`` (+ ``/articles``, ``/edges``, ``/coverage``), ``GET /search``, ``GET /outlets``,
``GET /outlets/{name}``; OpenAPI schema at ``/openapi.json``.
Web pages (server-rendered, see :mod:`storyline.web`): ``/``, ``/story/{id}``, ``/article/{id}``, ``/network``,
``/outlet/{name}``.

Concurrency: writes go to ONE ingest worker (a separate process under ``storyline serve``, else a
thread), one batch at a time, with at most ``max_pending_writes`` requests waiting: beyond that a POST
gets 503 ``{"error": "busy"}`` with ``Retry-After`` at once instead of timing out. Being a separate
process, the CPU-bound pipeline never holds this process's GIL; ``ingest_nice`` > 0 also lowers its CPU
priority (reads first when the cores are contended, at the price of slower writes).

Reads: every read response (story, story page, lists, article, article page) is built once per
*revision* of what it shows and kept, encoded, in an in-memory LRU (:class:`ResponseCache`); a read
checks the revision (one indexed lookup: SQLite keeps per-story change counters with triggers) and
sends the cached bytes (:class:`CachedReadMiddleware` does it before FastAPI's routing when the
request has the endpoint's default parameters). A story that changed (an article joined, an edge or an
analysis was stored, whoever wrote it: this server, ``storyline watch``, another worker) is rebuilt on
its next read, once; concurrent readers get the previous version meanwhile (the reader that noticed
waits up to ``STALE_WAIT``), and a POST rebuilds (or drops) the stories it changed before answering, so
its client never reads a version older than its write. With analyses read from the store (``storyline
serve --analysis stored``) the ingest worker itself builds the changed stories' views after each write
group and hands them over with its answers, so this process keeps them instead of building them (tens
of ms each for a big story's page, during which every read would wait); until the group is back, reads
of the stories it changed get the kept version (no POST of the group has been answered yet). Under
``storyline serve`` the garbage collector's full passes skip what start-up created (``gc.freeze``), and
``/stats`` reports the collector's pauses and the time spent building on the event loop. Big stories are paged: a story lists its
first ``articles`` articles (default 100) and the reuse edges among them (strongest first, without the
aligned passages); ``/stories/{id}/articles`` and ``/stories/{id}/edges`` page through the rest, and
``/articles/{id}`` gives an article's edges with their passages.

Limits: request bodies larger than ``max_body_bytes`` get 413 (checked on Content-Length and by
counting the bytes actually streamed); more than ``max_batch`` articles or over-long fields get 422.
Every error is JSON ``{"error": code, "message": text}``; no stack trace ever reaches a client.

The parts, one file each: ``app`` (create_app: middlewares, JSON errors, the API's routes; app_from_env),
``service`` (Service: store connections, cached reads, the write queue; the ingest worker process),
``cache`` (ResponseCache), ``views`` (the JSON views and page sizes), ``briefs`` (ArticleBrief, BriefCache),
``writes`` (ArticleIn, ingest_answers, WriteQueueFull), ``middleware`` (body limit, security headers, the
cached-read fast path), ``analysis`` (default_analysis, stored_analysis), ``encoding`` (dumps, loads),
``gc_pauses`` (GcPauses), ``outlets`` (the outlet network's endpoints and OutletNetwork). The web pages are :mod:`storyline.web`: they use ``encoding`` and a Service, and
the app mounts them. :mod:`storyline.api` re-exports every public name for one release.

This file imports none of its parts, so that the web pages can import the parts they use without loading
the app (which imports them).
"""
