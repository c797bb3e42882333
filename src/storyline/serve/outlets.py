"""The outlet network over HTTP: ``GET /outlets``, ``GET /outlets/{name}``, ``GET /stories/{id}/coverage``.

The numbers are :mod:`storyline.outlets`' (the graph cached per store revision, the coverage of one story); this
module only pages and shapes them as JSON, through the same dicts the CLI and the exports print
(:func:`~storyline.outlets.export.outlet_dict`, ``pair_dict``, ``coverage_dict``). :class:`OutletNetwork` keeps
the one store connection the graph is read through, so that the graph's cache (one aggregator per store object)
serves every request thread instead of one per thread.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ..outlets import OutletGraph, OutletStats, StoryCoverage, outlet_graph, story_coverage
from ..outlets.export import coverage_dict, outlet_dict, pair_dict
from ..store import SQLiteStore, Store
from .encoding import dumps
from .views import MAX_PAGE

if TYPE_CHECKING:  # pragma: no cover
    from .service import Service

MAX_NAME = 300  # longest outlet name looked up (as ArticleIn.outlet)
OUTLET_PAIRS = 20  # sources and copiers an outlet lists unless asked otherwise
MAX_OUTLET_PAIRS = 500

SORTS: dict[str, Any] = {  # GET /outlets?sort=...: key of each row, ties by name
    "articles": lambda o: (-o.articles, o.outlet),
    "original_share": lambda o: (-o.original_share, -o.articles, o.outlet),
    "first": lambda o: (-o.first, -o.articles, o.outlet),
    "delay": lambda o: (o.delay_hours_median is None, o.delay_hours_median or 0.0, o.outlet),
    "name": lambda o: (o.outlet.casefold(), o.outlet),
}
Sort = Literal["articles", "original_share", "first", "delay", "name"]


def outlet_path(name: str) -> str:
    """An outlet's name as one URL path segment (every character that is not a letter or digit quoted)."""
    return quote(name, safe="")


def outlet_links(name: str) -> dict[str, str]:
    return {"self": f"/outlets/{outlet_path(name)}", "page": f"/outlet/{outlet_path(name)}"}


class OutletNetwork:
    """The outlet graph of the served store, read through one connection of its own (the writer itself for
    an in-memory store), one reader at a time; :func:`storyline.outlets.outlet_graph` caches it per store
    revision and brings it up to date from what was stored since."""

    def __init__(self, service: Service):
        self.service = service
        self._store: Store | None = None
        self._lock = threading.Lock()

    def store(self) -> Store:
        if self._store is None:
            db = self.service.db_path
            self._store = self.service.writer if db == ":memory:" else SQLiteStore(db)
        return self._store

    def graph(self) -> OutletGraph:
        with self._lock:
            return outlet_graph(self.store())

    def revision(self) -> Any:
        """The revision the graph follows (None: unknown, build every time), read on a request's thread."""
        store = self.service.reader()
        revs = (store.articles_revision(), store.edges_revision(), store.stories_revision())
        return None if any(r is None for r in revs) else revs

    def close(self) -> None:
        with self._lock:
            if self._store is not None and self._store is not self.service.writer:
                self._store.close()
            self._store = None


# --------------------------------------------------------------------------- JSON views


def outlet_row(o: OutletStats) -> dict[str, Any]:
    return {**outlet_dict(o), "links": outlet_links(o.outlet)}


def outlets_view(graph: OutletGraph, limit: int, offset: int, sort: str = "articles") -> dict[str, Any]:
    """A page of the outlets with their network columns, in ``sort`` order."""
    rows = sorted(graph.outlets.values(), key=SORTS[sort])
    page = rows[offset : offset + limit]
    more = offset + limit < len(rows)
    return {
        "items": [outlet_row(o) for o in page],
        "limit": limit,
        "offset": offset,
        "sort": sort,
        "next_offset": offset + limit if more else None,
        "total_outlets": len(rows),
        "total_pairs": len(graph.pairs),
        "units": {"delay_hours_median": "hours", "delay_hours_p90": "hours"},
    }


def outlet_view(graph: OutletGraph, name: str, top: int = OUTLET_PAIRS) -> dict[str, Any] | None:
    """One outlet (matched ignoring case and spacing) with its pairs as copier (``sources``) and as source
    (``copiers``), most reuses first, ``top`` of each; None for an outlet the store does not have."""
    stats = graph.outlet(name)
    if stats is None:
        return None
    sources, copiers = graph.sources_of(stats.outlet), graph.copiers_of(stats.outlet)
    return {
        **outlet_row(stats),
        "sources": [pair_dict(p) | {"links": outlet_links(p.source)} for p in sources[:top]],
        "copiers": [pair_dict(p) | {"links": outlet_links(p.copier)} for p in copiers[:top]],
        "total_sources": len(sources),
        "total_copiers": len(copiers),
        "units": {
            "lag_hours_median": "hours",
            "lag_hours_p90": "hours",
            "delay_hours_median": "hours",
            "delay_hours_p90": "hours",
        },
    }


def coverage_view(cov: StoryCoverage) -> dict[str, Any]:
    """A story's coverage (:func:`~storyline.outlets.export.coverage_dict`) with links to the outlets."""
    return {
        **coverage_dict(cov),
        "outlets": {j.outlet: outlet_links(j.outlet) for j in cov.joined},
        "links": {"story": f"/stories/{cov.story_id}", "page": f"/story/{cov.story_id}"},
    }


# --------------------------------------------------------------------------- OpenAPI models (documentation)


class OutletReuses(BaseModel):
    outlet: str
    reuses: int


class OutletRow(BaseModel):
    outlet: str
    articles: int
    original: int = Field(description="Articles that copy or rewrite no other article.")
    original_share: float
    stories: int
    first: int = Field(description="Stories whose first report (earliest dated article) is this outlet's.")
    first_share: float
    delay_count: int
    delay_hours_median: float | None = Field(None, description="Hours behind a story's first report (median).")
    delay_hours_p90: float | None = None
    top_sources: list[OutletReuses]
    top_copiers: list[OutletReuses]
    links: dict[str, str]


class OutletPage(BaseModel):
    items: list[OutletRow]
    limit: int
    offset: int
    sort: str
    next_offset: int | None
    total_outlets: int
    total_pairs: int
    units: dict[str, str]


class Pair(BaseModel):
    source: str
    copier: str
    total: int
    copies: int = Field(description="Exact and near-duplicates.")
    exact: int
    near: int
    rewrites: int
    partial: int
    copier_articles: int
    share: float = Field(description="(copies + rewrites) / the copier's articles.")
    partial_share: float
    lag_count: int
    lag_hours_median: float | None
    lag_hours_p90: float | None
    source_kept: float | None = Field(description="Mean share of the source's text the copy keeps.")
    added: float | None = Field(description="Mean share of the copy's text not from the source.")
    cited: int
    named: int
    cited_share: float
    links: dict[str, str]


class OutletDetail(OutletRow):
    sources: list[Pair] = Field(description="Pairs into this outlet (what it takes, from whom), most reuses first.")
    copiers: list[Pair] = Field(description="Pairs out of this outlet (who takes from it).")
    total_sources: int
    total_copiers: int
    units: dict[str, str]


class ArticleRefOut(BaseModel):
    id: str
    outlet: str
    published: str | None
    seq: int


class Join(BaseModel):
    outlet: str
    first_article: ArticleRefOut
    articles: int
    delay_hours: float | None


class Chain(BaseModel):
    original: ArticleRefOut
    copies: list[ArticleRefOut]


class Coverage(BaseModel):
    story_id: str
    title: str | None
    first: ArticleRefOut | None = Field(description="The first report: the earliest dated article.")
    first_original: ArticleRefOut | None = Field(description="The original of the first report's copy chain.")
    chains: list[Chain]
    original_of: dict[str, str] = Field(description="Copy id -> the original its chain starts from.")
    joined: list[Join] = Field(description="Outlets in the order they joined the story.")
    per_day: dict[str, dict[str, int]] = Field(description='Outlet -> {ISO day or "undated": articles}.')
    days: list[str]
    outlets: dict[str, dict[str, str]]
    links: dict[str, str]


def _doc(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model}, 404: {"description": 'Not found: {"error": "not_found", "message"}'}}


# --------------------------------------------------------------------------- routes


def add_outlet_routes(app: FastAPI, service: Service, network: OutletNetwork) -> None:
    """The three endpoints, their answers kept in the service's response cache per store revision."""

    @app.get(
        "/outlets",
        tags=["outlets"],
        summary="Outlets with their place in the copy network",
        responses={200: {"model": OutletPage}},
    )
    async def list_outlets(
        limit: int = Query(20, ge=1, le=MAX_PAGE),
        offset: int = Query(0, ge=0, le=10**9),
        sort: Sort = Query(
            "articles", description="articles (most first), original_share, first, delay (least first) or name."
        ),
    ) -> Response:
        """Per outlet: articles, share original, top sources and copiers, stories it reported first, median
        delay behind a story's first report (hours)."""
        return await service.cached(
            ("outlets", limit, offset, sort),
            network.revision(),
            lambda: dumps(outlets_view(network.graph(), limit, offset, sort)),
        )

    @app.get(
        "/outlets/{name:path}",
        tags=["outlets"],
        responses=_doc(OutletDetail),
        summary="One outlet: whom it takes from and who takes from it (counts, shares, lags, text kept and added)",
    )
    async def get_outlet(
        name: str, top: int = Query(OUTLET_PAIRS, ge=1, le=MAX_OUTLET_PAIRS, description="Sources and copiers listed.")
    ) -> Response:
        """The outlet's name is matched ignoring case and spacing (URL-encode it: ``/outlets/The%20Times``)."""
        if len(name) > MAX_NAME:
            raise HTTPException(404, "no such outlet")

        def build() -> bytes:
            view = outlet_view(network.graph(), name, top)
            if view is None:
                raise HTTPException(404, f"no outlet {name!r}")
            return dumps(view)

        return await service.cached(("outlet", name, top), network.revision(), build)

    @app.get(
        "/stories/{story_id}/coverage",
        tags=["stories"],
        responses=_doc(Coverage),
        summary="A story by outlet: first report, the original of each copy chain, join order, articles per outlet per day",
    )
    async def get_story_coverage(story_id: str) -> Response:
        sid, rev = service.story_and_revision(story_id)

        def build() -> bytes:
            st = service.reader()
            with st.snapshot():
                cov = story_coverage(st, sid)
            if cov is None:
                raise HTTPException(404, f"no story {story_id!r}")
            return dumps(coverage_view(cov))

        return await service.cached(("story-coverage", sid), rev, build)
