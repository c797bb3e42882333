"""The HTTP API's former home, kept for one release: the code is now the package :mod:`storyline.serve`, one part
per file (``app``, ``service``, ``cache``, ``views``, ...). Every public name is imported back here, so
``from storyline.api import create_app`` and ``uvicorn storyline.api:app_from_env --factory`` still work.

A name imported back is not the one the code reads: to patch a setting (``STALE_WAIT``, ``REFRESH_WAIT``) or
a function (``ingest_answers``), patch it in the module that uses it (``storyline.serve.cache``,
``storyline.serve.service``); classes are the same objects here and there.
"""

from __future__ import annotations

from .serve.analysis import AnalysisProvider, default_analysis, stored_analysis
from .serve.app import SERVE_ENV, app_from_env, create_app
from .serve.briefs import ArticleBrief, BriefCache
from .serve.cache import DEFAULT_BUILDERS, DEFAULT_CACHE_BYTES, STALE_WAIT, ResponseCache
from .serve.encoding import HTML_TYPE, JSON_TYPE, dumps, loads, raw_json
from .serve.gc_pauses import GcPauses
from .serve.middleware import SECURITY_HEADERS, BodyLimitMiddleware, CachedReadMiddleware, SecurityHeadersMiddleware
from .serve.service import DEFAULT_INGEST_NICE, DEFAULT_MAX_PENDING_WRITES, DEFAULT_WARM_STORIES, REFRESH_WAIT, Service
from .serve.views import (
    GRAPH_EDGES,
    MAX_EDGE_PAGE,
    MAX_PAGE,
    MAX_STORY_ARTICLES,
    STORY_ARTICLES,
    article_brief,
    article_view,
    edge_light,
    edge_view,
    passage_refs,
    snippet,
    story_brief,
    story_brief_row,
    story_detail,
    story_edges,
    story_view,
)
from .serve.writes import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_BODY_BYTES,
    MAX_TEXT_CHARS,
    ArticleIn,
    WriteQueueFull,
    ingest_answers,
)

__all__ = [
    "DEFAULT_BUILDERS",
    "DEFAULT_CACHE_BYTES",
    "DEFAULT_INGEST_NICE",
    "DEFAULT_MAX_BATCH",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_PENDING_WRITES",
    "DEFAULT_WARM_STORIES",
    "GRAPH_EDGES",
    "HTML_TYPE",
    "JSON_TYPE",
    "MAX_EDGE_PAGE",
    "MAX_PAGE",
    "MAX_STORY_ARTICLES",
    "MAX_TEXT_CHARS",
    "REFRESH_WAIT",
    "SECURITY_HEADERS",
    "SERVE_ENV",
    "STALE_WAIT",
    "STORY_ARTICLES",
    "AnalysisProvider",
    "ArticleBrief",
    "ArticleIn",
    "BodyLimitMiddleware",
    "BriefCache",
    "CachedReadMiddleware",
    "GcPauses",
    "ResponseCache",
    "SecurityHeadersMiddleware",
    "Service",
    "WriteQueueFull",
    "app_from_env",
    "article_brief",
    "article_view",
    "create_app",
    "default_analysis",
    "dumps",
    "edge_light",
    "edge_view",
    "ingest_answers",
    "loads",
    "passage_refs",
    "raw_json",
    "snippet",
    "story_brief",
    "story_brief_row",
    "story_detail",
    "story_edges",
    "story_view",
    "stored_analysis",
]
