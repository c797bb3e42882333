"""Server-rendered web pages: ``/`` (stories), ``/story/{id}``, ``/article/{id}``; the outlet network's
``/network`` and ``/outlet/{name}`` are in :mod:`storyline.web.outlets`.

Jinja2 with autoescape on; article text is untrusted and is never marked safe. The provenance
graph is laid out here and drawn as inline SVG; the only script (``static/app.js``) shows citation
popovers from markup the server rendered (escaped) into the page. Pages read the store on every
request, so new articles and stories show without a restart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader

from ..model import Article, Citation, ReuseEdge, Story, StoryAnalysis
from ..outlets import story_coverage
from ..serve.encoding import loads
from ..text import article_sentences
from .outlets import coverage_chart, hours, mount_outlet_pages, outlet_url

if TYPE_CHECKING:  # pragma: no cover
    from ..serve.outlets import OutletNetwork
    from ..serve.service import Service

HERE = Path(__file__).resolve().parent
PAGE_SIZE = 25


class Sourced(Protocol):
    """What :func:`source_label` reads: an :class:`Article`, a :class:`~storyline.serve.briefs.ArticleBrief`
    or just an id and an outlet."""

    @property
    def id(self) -> str: ...
    @property
    def outlet(self) -> str | None: ...


class ArticleLike(Sourced, Protocol):
    """What the page helpers read of an article: an :class:`Article` or an
    :class:`~storyline.serve.briefs.ArticleBrief`."""

    @property
    def title(self) -> str | None: ...
    @property
    def paragraphs(self) -> Sequence[str]: ...
    @property
    def published(self) -> datetime | None: ...
    @property
    def date_precision(self) -> str | None: ...
    @property
    def seq(self) -> int | None: ...


def make_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    env.filters["day"] = fmt_date
    env.globals["safe_url"] = safe_url
    env.globals["display_title"] = display_title
    env.globals["outlet_url"] = outlet_url
    env.filters["hours"] = hours
    return env


def fmt_date(value: datetime | date | str | None, precision: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return text
    if precision == "year":
        return value.strftime("%Y")
    if precision == "month":
        return value.strftime("%b %Y")
    if precision == "minute" and isinstance(value, datetime):
        return value.strftime("%d %b %Y %H:%M")
    return value.strftime("%d %b %Y")


def safe_url(url: str | None) -> str | None:
    """Only http(s) URLs become links (never ``javascript:`` or ``data:``)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def source_label(a: Sourced) -> str:
    return a.outlet or f"unnamed site {a.id[:6]}"


def display_title(a: ArticleLike) -> str:
    if a.title:
        return a.title
    first = a.paragraphs[0] if a.paragraphs else a.id
    return first if len(first) <= 90 else first[:88].rsplit(" ", 1)[0] + "…"


def span_of(first_date: Any, last_date: Any) -> str:
    if not first_date:
        return ""
    first = fmt_date(first_date)
    last = fmt_date(last_date) if last_date else first
    return first if last == first else f"{first} – {last}"


def span(s: Story) -> str:
    if not s.first_date:
        return ""
    first = fmt_date(s.first_date)
    last = fmt_date(s.last_date) if s.last_date else first
    return first if last == first else f"{first} – {last}"


# --------------------------------------------------------------------------- citations


class CitationIndex:
    """Numbers citations per cited article and resolves each to its sentence text."""

    def __init__(self, articles: dict[str, Article]):
        self.articles = articles
        self.numbers: dict[str, int] = {}
        self.sentences: dict[str, list[str]] = {}
        self.pops: dict[str, dict[str, Any]] = {}

    def _sentences(self, aid: str) -> list[str]:
        if aid not in self.sentences:
            a = self.articles.get(aid)
            self.sentences[aid] = [s.text for s in article_sentences(a)] if a else []
        return self.sentences[aid]

    def cite(self, c: Citation) -> dict[str, Any]:
        n = self.numbers.setdefault(c.article_id, len(self.numbers) + 1)
        key = f"cite-{c.article_id}-{c.sentence_index if c.sentence_index is not None else 'x'}"
        if key not in self.pops:
            sents = self._sentences(c.article_id)
            idx = c.sentence_index
            text = sents[idx] if idx is not None and 0 <= idx < len(sents) else (c.text or "")
            a = self.articles.get(c.article_id)
            self.pops[key] = {
                "key": key,
                "article_id": c.article_id,
                "sentence_index": idx,
                "text": text,
                "outlet": (source_label(a) if a else c.outlet) or c.article_id,
                "title": a.title if a else None,
                "href": f"/article/{c.article_id}" + (f"#s{idx}" if idx is not None else ""),
            }
        return {"n": n, "key": key, **self.pops[key]}


# --------------------------------------------------------------------------- provenance graph


MAX_GRAPH_NODES = 40


MAX_GRAPH_EDGES = 120


def layout_graph(
    articles: Sequence[ArticleLike],
    edges: list[ReuseEdge],
    max_nodes: int = MAX_GRAPH_NODES,
    max_edges: int = MAX_GRAPH_EDGES,
) -> dict[str, Any]:
    """Nodes left to right by date (then ingest order); rows by copy depth (originals on top).

    A big story keeps the articles that take part in copies first, up to ``max_nodes``, and draws the
    ``max_edges`` strongest edges among them."""
    ids = {a.id for a in articles}
    edges = [e for e in edges if e.source_id in ids and e.target_id in ids and e.source_id != e.target_id]
    hidden = 0
    if len(articles) > max_nodes:
        linked_ids = {e.source_id for e in edges} | {e.target_id for e in edges}
        keep = [a for a in articles if a.id in linked_ids][:max_nodes]
        keep += [a for a in articles if a.id not in linked_ids][: max_nodes - len(keep)]
        hidden = len(articles) - len(keep)
        articles = keep
        ids = {a.id for a in articles}
        edges = [e for e in edges if e.source_id in ids and e.target_id in ids]
    hidden_edges = max(0, len(edges) - max_edges)
    if hidden_edges:
        edges = sorted(edges, key=lambda e: -e.confidence)[:max_edges]
    order = sorted(articles, key=lambda a: (a.published or datetime.max, a.seq or 0))
    parents: dict[str, list[str]] = defaultdict(list)
    for e in edges:
        parents[e.target_id].append(e.source_id)
    depth: dict[str, int] = {}

    def depth_of(aid: str, stack: frozenset[str] = frozenset()) -> int:
        if aid in depth:
            return depth[aid]
        if aid in stack:
            return 0
        ps = parents.get(aid) or []
        d = 0 if not ps else 1 + max(depth_of(p, stack | {aid}) for p in ps)
        depth[aid] = min(d, 6)
        return depth[aid]

    box_w, box_h, gap_x, gap_y, pad = 150, 46, 40, 80, 20
    linked = {e.source_id for e in edges} | {e.target_id for e in edges}
    nodes: dict[str, dict[str, Any]] = {}
    for i, a in enumerate(order):
        d = depth_of(a.id)
        x = pad + i * (box_w + gap_x)
        y = pad + 24 + d * (box_h + gap_y)
        nodes[a.id] = {
            "id": a.id,
            "x": x,
            "y": y,
            "w": box_w,
            "h": box_h,
            "cx": x + box_w / 2,
            "label": source_label(a)[:22],
            "date": fmt_date(a.published, a.date_precision) if a.published else "no date",
            "title": display_title(a),
            "linked": a.id in linked,
        }
    max_depth = max((n_["y"] for n_ in nodes.values()), default=pad) + box_h
    drawn = []
    for e in edges:
        s, t = nodes[e.source_id], nodes[e.target_id]
        x1, x2 = s["cx"], t["cx"]
        if t["y"] > s["y"]:
            y1, y2 = s["y"] + box_h, t["y"]
            c1, c2 = (x1, y1 + gap_y * 0.6), (x2, y2 - gap_y * 0.6)
        elif t["y"] < s["y"]:
            y1, y2 = s["y"], t["y"] + box_h
            c1, c2 = (x1, y1 - gap_y * 0.6), (x2, y2 + gap_y * 0.6)
        else:  # same row: arc above
            y1 = y2 = s["y"]
            lift = 30 + abs(x2 - x1) * 0.15
            c1, c2 = (x1, y1 - lift), (x2, y2 - lift)
        # label at t=0.7 on the curve (near the copy, so labels of edges leaving one node do not collide)
        t_ = 0.7
        b = [(1 - t_) ** 3, 3 * (1 - t_) ** 2 * t_, 3 * (1 - t_) * t_**2, t_**3]
        lx = b[0] * x1 + b[1] * c1[0] + b[2] * c2[0] + b[3] * x2
        ly = b[0] * y1 + b[1] * c1[1] + b[2] * c2[1] + b[3] * y2 - 4
        drawn.append(
            {
                "source": e.source_id,
                "target": e.target_id,
                "relation": e.relation,
                "confidence": e.confidence,
                "d": f"M{x1:.1f},{y1:.1f} C{c1[0]:.1f},{c1[1]:.1f} {c2[0]:.1f},{c2[1]:.1f} {x2:.1f},{y2:.1f}",
                "lx": lx,
                "ly": ly,
                "css": e.relation.replace("-", "_"),
            }
        )
    width = pad * 2 + max(1, len(order)) * (box_w + gap_x) - gap_x
    return {
        "nodes": list(nodes.values()),
        "edges": drawn,
        "width": width,
        "height": max_depth + pad,
        "hidden": hidden,
        "hidden_edges": hidden_edges,
    }


# --------------------------------------------------------------------------- coverage grid


def coverage_grid(articles: Sequence[Sourced], analysis: StoryAnalysis | None, cites: CitationIndex) -> dict[str, Any]:
    cols: list[str] = []
    col_articles: dict[str, set[str]] = defaultdict(set)
    for a in articles:
        label = source_label(a)
        if label not in col_articles:
            cols.append(label)
        col_articles[label].add(a.id)
    rows = []
    order = {"consensus": 0, "partial": 1, "unique": 2}
    for g in sorted(analysis.claims if analysis else [], key=lambda g: (order.get(g.kind, 3), g.id)):
        cells: list[dict[str, Any]] = []
        for col in cols:
            hit = next((c for c in g.claims if c.article_id in col_articles[col]), None)
            if hit is None and col in (g.outlets or []):
                hit = next((c for c in g.claims if c.outlet == col), None)
            reported = hit is not None or col in (g.outlets or [])
            cells.append({"outlet": col, "reported": reported, "cite": cites.cite(hit) if hit else None})
        rows.append(
            {
                "id": g.id,
                "label": g.label,
                "kind": g.kind,
                "cells": cells,
                "differences": g.differences,
                "count": sum(c["reported"] for c in cells),
            }
        )
    return {"cols": cols, "rows": rows}


# --------------------------------------------------------------------------- pages


def mount_web(app: FastAPI, service: Service, network: OutletNetwork | None = None) -> None:
    """The pages; with ``network`` (the served store's outlet graph) also the outlet network's."""
    env = make_env()
    service.web_env = env
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    def render(name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**ctx), status_code=status)

    def not_found(what: str) -> HTMLResponse:
        return render("error.html", status=404, title="Not found", message=f"No {what} here.")

    def page_bytes(name: str, **ctx: Any) -> bytes:
        return env.get_template(name).render(**ctx).encode("utf-8")

    HTML = "text/html; charset=utf-8"
    if network is not None:
        mount_outlet_pages(app, service, env, network, not_found)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index(page: int = Query(1, ge=1, le=100000), q: str | None = Query(None, max_length=200)) -> Response:
        q = (q or "").strip() or None

        def build() -> bytes:
            store = service.reader()
            with store.snapshot():
                stories = store.story_briefs(limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE, q=q)
                more = len(stories) > PAGE_SIZE
                total = store.count_articles()
                latest: Sequence[ArticleLike]
                if q:
                    latest = store.list_articles(limit=PAGE_SIZE, q=q)
                else:
                    latest = service.briefs.get(store, store.latest_article_ids(15))
                rows = [
                    {
                        "id": s["id"],
                        "title": s["title"] or "(untitled story)",
                        "outlets": s["outlets"],
                        "count": s["article_count"],
                        "events": s["event_count"],
                        "span": span_of(s["first_date"], s["last_date"]),
                    }
                    for s in stories[:PAGE_SIZE]
                ]
                arts = [
                    {
                        "id": a.id,
                        "title": display_title(a),
                        "outlet": source_label(a),
                        "date": fmt_date(a.published, a.date_precision),
                        "story_id": store.story_of(a.id),
                    }
                    for a in latest
                ]
                n_stories = store.count_stories()
            return page_bytes(
                "index.html",
                title="Stories",
                stories=rows,
                page=page,
                more=more,
                q=q,
                articles=arts,
                n_articles=total,
                n_stories=n_stories,
            )

        store = service.reader()
        stories_rev = store.stories_revision()
        rev = None if stories_rev is None else (stories_rev, store.articles_revision())
        return await service.cached(("page:index", page, q), rev, build, HTML, inline=not q)

    @app.get("/story/{story_id}", response_class=HTMLResponse, include_in_schema=False)
    async def story_page(story_id: str, page: int = Query(1, ge=1, le=100000)) -> Response:
        store = service.reader()
        sid = store.resolve_story_id(story_id[:64])
        rev = store.story_revision(sid) if sid else None
        if sid is None or rev is None:
            return not_found("story")
        return await service.cached(
            ("page:story", sid, page),
            rev,
            lambda: build_story_page(service, env, sid, page),
            HTML,
            stale_ok=True,
            inline=service.inline_stories,
        )

    @app.get("/article/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    async def article_page(article_id: str) -> Response:
        article_id = article_id[:64]
        rev = service.reader().article_revision(article_id)

        def build() -> bytes:
            html = build_article_page(service, env, article_id)
            if html is None:
                raise _NotFound()
            return html

        try:
            return await service.cached(("page:article", article_id), rev, build, HTML, inline=True)
        except _NotFound:
            return not_found("article")


class _NotFound(Exception):
    pass


class _Labelled:
    """Just enough of an article for :func:`source_label`."""

    __slots__ = ("id", "outlet")

    def __init__(self, id: str, outlet: str | None):
        self.id = id
        self.outlet = outlet


STORY_PAGE_ARTICLES = 100  # articles listed per story page
COPY_LINKS = 3  # links after a sentence to the articles that reused it (the rest are counted)
REUSE_LINES = 10  # "Reuses X" / "Reused by Y" lines on an article page, strongest first (the rest are counted)
EVENT_ARTICLES = 5  # articles listed under each event (the rest are counted)
GRAPH_CANDIDATES = 2 * MAX_GRAPH_NODES  # articles considered for the provenance graph


def build_story_page(service: Service, env: Environment, story_id: str, page: int) -> bytes:
    """The story page. A big story lists its articles a page at a time, each event's first articles,
    and draws its graph from its first articles (those taking part in copies first)."""
    analysis = service.analysis(story_id)  # before the snapshot: computing one writes it to the store
    store = service.reader()
    with store.snapshot():
        s = store.get_story(story_id)
        if s is None:
            return env.get_template("error.html").render(title="Not found", message="No story here.").encode()
        start = (page - 1) * STORY_PAGE_ARTICLES
        listed_ids = s.article_ids[start : start + STORY_PAGE_ARTICLES]
        event_ids = [aid for ev in s.events for aid in ev.article_ids[:EVENT_ARTICLES]]
        graph_ids = s.article_ids[:GRAPH_CANDIDATES]
        all_briefs = service.briefs.get(store, s.article_ids) if analysis else []  # coverage grid: every outlet
        need = list(dict.fromkeys([*listed_ids, *event_ids, *graph_ids]))
        by_id = {a.id: a for a in (all_briefs or service.briefs.get(store, need))}
        if all_briefs:
            by_id.update({a.id: a for a in service.briefs.get(store, [i for i in need if i not in by_id])})
        _, links = store.edges_among(graph_ids, light=True)
        # citations resolve to sentences: the cited articles in full (also those outside the story)
        cited: set[str] = set()
        if analysis:
            for ss in analysis.summary:
                cited |= {c.article_id for c in ss.citations}
            for t in analysis.timeline:
                cited |= {c.article_id for c in t.sources}
            for qt in analysis.quotes:
                cited.add(qt.article_id)
            for g in analysis.claims:
                cited |= {c.article_id for c in g.claims}
        full = {a.id: a for a in store.get_articles(sorted(cited))}
        chart = coverage_chart(story_coverage(store, story_id))  # articles per outlet per day, first report
    cites = CitationIndex(full)
    summary = [
        {"text": ss.text, "cites": [cites.cite(c) for c in ss.citations]}
        for ss in (analysis.summary if analysis else [])
    ]
    timeline = [
        {
            "date": t.date,
            "end": t.end_date,
            "precision": t.precision,
            "text": t.text,
            "expression": t.expression,
            "cites": [cites.cite(c) for c in t.sources],
        }
        for t in sorted(analysis.timeline if analysis else [], key=lambda t: t.date)
    ]
    grid = coverage_grid(all_briefs, analysis, cites)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for qt in analysis.quotes if analysis else []:
        speaker = qt.speaker or "Unattributed"
        groups[speaker].append(
            {
                "text": qt.text,
                "kind": qt.kind,
                "as_written": qt.speaker_as_written,
                "cite": cites.cite(Citation(qt.article_id, qt.sentence_index)),
            }
        )
    quotes = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    event_rows = [
        {
            "title": ev.title or f"Event {i + 1}",
            "start": ev.start,
            "end": ev.end,
            "articles": [by_id[a] for a in ev.article_ids[:EVENT_ARTICLES] if a in by_id],
            "more": max(0, len(ev.article_ids) - EVENT_ARTICLES),
        }
        for i, ev in enumerate(s.events)
    ]
    graph_articles = [by_id[a] for a in graph_ids if a in by_id]
    graph = layout_graph(graph_articles, [e for e, _ in links])
    graph["hidden"] += len(s.article_ids) - len(graph_articles)
    articles = [by_id[a] for a in listed_ids if a in by_id]
    n = len(s.article_ids)
    pages = (n + STORY_PAGE_ARTICLES - 1) // STORY_PAGE_ARTICLES
    return (
        env.get_template("story.html")
        .render(
            title=s.title or "Story",
            story=s,
            span=span(s),
            articles=articles,
            n_articles=n,
            summary=summary,
            timeline=timeline,
            grid=grid,
            quotes=quotes,
            events=event_rows,
            graph=graph,
            analysis=analysis is not None,
            pops=list(cites.pops.values()),
            source_label=source_label,
            page=page,
            pages=pages,
            first_index=start,
            chart=chart,
        )
        .encode("utf-8")
    )


def _linked(
    edges: list[dict[str, Any]], others: dict[str, Any], article_id: str, this_end: str, other_end: str
) -> list[dict[str, Any]]:
    """The edges whose this_end is the article, as links to their other end, surest first."""
    links = [
        {
            "id": e[other_end],
            "relation": e["relation"],
            "confidence": e["confidence"],
            "label": source_label(others[e[other_end]]) if e[other_end] in others else e[other_end],
        }
        for e in edges
        if e[this_end] == article_id
    ]
    links.sort(key=lambda c: -c["confidence"])
    return links


def build_article_page(service: Service, env: Environment, article_id: str) -> bytes | None:
    store = service.reader()
    with store.snapshot():
        a = store.get_article(article_id)
        if a is None:
            return None
        edges = [loads(data) for _, _, rel, data in store.edge_json_for(a.id) if rel != "independent"]
        outlets = store.article_outlets({e["source_id"] for e in edges} | {e["target_id"] for e in edges})
        others = {i: _Labelled(i, o) for i, o in outlets.items()}  # only their names are shown
        story_id = store.story_of(a.id)
        head = store.story_title(story_id) if story_id else None
        story = {"id": head[0], "title": head[1]} if head else None
    taken: dict[int, list[dict[str, Any]]] = defaultdict(list)  # this article's sentence <- source
    given: dict[int, list[dict[str, Any]]] = defaultdict(list)  # this article's sentence -> copies
    for e in edges:
        if e["target_id"] == a.id:
            src = others.get(e["source_id"])
            label = source_label(src) if src else e["source_id"]
            for p in e.get("passages") or []:
                taken[p["target_index"]].append(
                    {"id": e["source_id"], "index": p["source_index"], "kind": p["kind"], "label": label}
                )
        if e["source_id"] == a.id:
            tgt = others.get(e["target_id"])
            label = source_label(tgt) if tgt else e["target_id"]
            for p in e.get("passages") or []:
                given[p["source_index"]].append(
                    {"id": e["target_id"], "index": p["target_index"], "kind": p["kind"], "label": label}
                )
    paragraphs: list[list[dict[str, Any]]] = [[] for _ in a.paragraphs]
    for sent in article_sentences(a):
        g = given.get(sent.index, [])  # a widely copied sentence links its first few copies, counts the rest
        t = taken.get(sent.index, [])
        paragraphs[sent.paragraph].append(
            {
                "index": sent.index,
                "text": sent.text,
                "taken": t[:COPY_LINKS],
                "taken_more": max(0, len(t) - COPY_LINKS),
                "given": g[:COPY_LINKS],
                "given_more": max(0, len(g) - COPY_LINKS),
            }
        )
    copies_of = _linked(edges, others, a.id, "target_id", "source_id")
    copied_by = _linked(edges, others, a.id, "source_id", "target_id")
    return (
        env.get_template("article.html")
        .render(
            title=a.title or "Article",
            a=a,
            label=source_label(a),
            paragraphs=paragraphs,
            date=fmt_date(a.published, a.date_precision),
            url=safe_url(a.url),
            story=story,
            copies_of=copies_of[:REUSE_LINES],
            copies_of_more=max(0, len(copies_of) - REUSE_LINES),
            copied_by=copied_by[:REUSE_LINES],
            copied_by_more=max(0, len(copied_by) - REUSE_LINES),
            n_taken=len(taken),
        )
        .encode("utf-8")
    )
