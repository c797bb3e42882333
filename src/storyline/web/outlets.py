"""The outlet network's web pages: ``/network`` (the network drawn as SVG, and a table of outlets),
``/outlet/{name}`` (whom an outlet takes from and who takes from it), and the story page's coverage chart
(articles per outlet per day, and who reported first).

The numbers are :mod:`storyline.outlets`' (through :class:`storyline.serve.outlets.OutletNetwork`, the graph
cached per store revision); this module lays them out. Layouts are pure functions of the graph or coverage:
outlets on a circle, most articles first, clockwise from the top (the same store draws the same picture).
Names are untrusted text: the templates autoescape them, and links quote them (:func:`outlet_url`).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment

from ..outlets import OutletGraph, StoryCoverage

if TYPE_CHECKING:  # pragma: no cover
    from ..serve.outlets import OutletNetwork
    from ..serve.service import Service

MAX_NETWORK_NODES = 40  # outlets drawn (most articles first); the table lists them all
MAX_NETWORK_EDGES = 150  # pairs drawn among them (most reuses first)
OUTLETS_PAGE = 50  # outlets per page of the table
OUTLET_PAIRS = 50  # sources and copiers an outlet page lists
MAX_CHART_OUTLETS = 40  # rows of a story's coverage chart (outlets in the order they joined)
MAX_CHART_DAYS = 60  # columns (the story's first days)
LABEL_CHARS = 28
HTML = "text/html; charset=utf-8"


def outlet_url(name: str | None) -> str:
    """The page of an outlet (its name quoted as one path segment)."""
    return "/outlet/" + quote(name or "", safe="")


def hours(h: float | None) -> str:
    """Hours as shown: "3 h", "1.5 d"; "" for none."""
    if h is None:
        return ""
    return f"{h:.0f} h" if abs(h) < 72 else f"{h / 24:.1f} d"


def share(x: float | None) -> str:
    return "" if x is None else f"{x:.0%}"


def _label(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"


# --------------------------------------------------------------------------- the network


def layout_network(
    graph: OutletGraph, max_nodes: int = MAX_NETWORK_NODES, max_edges: int = MAX_NETWORK_EDGES
) -> dict[str, Any]:
    """Outlets on a circle (most articles first, clockwise from the top), each a disc whose area grows with
    its articles; an arrow from source to copier per pair, its width growing with the pair's reuses (copies,
    rewrites and partial reuses), bent to one side so that A -> B and B -> A stay apart."""
    outlets = sorted(graph.outlets.values(), key=lambda o: (-o.articles, o.outlet))
    drawn = outlets[:max_nodes]
    names = {o.outlet for o in drawn}
    pairs = sorted(
        (p for p in graph.pairs.values() if p.source in names and p.copier in names and p.source != p.copier),
        key=lambda p: (-p.total, p.source, p.copier),
    )
    hidden_edges = max(0, len(pairs) - max_edges)
    pairs = pairs[:max_edges]
    n = len(drawn)
    radius = 230.0 if n > 1 else 0.0
    margin_x, margin_y = 190.0, 60.0
    cx, cy = margin_x + 230.0, margin_y + 230.0
    top_articles = max((o.articles for o in drawn), default=1) or 1
    nodes: dict[str, dict[str, Any]] = {}
    for i, o in enumerate(drawn):
        angle = -math.pi / 2 + 2 * math.pi * i / max(1, n)
        x, y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        r = 6.0 + 20.0 * math.sqrt(o.articles / top_articles)
        cos = math.cos(angle) if n > 1 else 0.0
        lx, ly = x + (r + 8) * cos, y + (r + 8) * (math.sin(angle) if n > 1 else 1.0) + 4
        anchor = "start" if cos > 0.2 else "end" if cos < -0.2 else "middle"
        if anchor == "middle":
            ly += 8 if ly > y else -4
        nodes[o.outlet] = {
            "name": o.outlet,
            "label": _label(o.outlet),
            "x": round(x, 1),
            "y": round(y, 1),
            "r": round(r, 1),
            "lx": round(lx, 1),
            "ly": round(ly, 1),
            "anchor": anchor,
            "articles": o.articles,
            "original_share": o.original_share,
            "href": outlet_url(o.outlet),
        }
    top_total = max((p.total for p in pairs), default=1) or 1
    edges = []
    for p in pairs:
        s, t = nodes[p.source], nodes[p.copier]
        dx, dy = t["x"] - s["x"], t["y"] - s["y"]
        dist = math.hypot(dx, dy) or 1.0
        # control point: off the chord's middle, to the right of the direction of travel
        qx, qy = (s["x"] + t["x"]) / 2 - dy * 0.18, (s["y"] + t["y"]) / 2 + dx * 0.18
        x1, y1 = _towards(s["x"], s["y"], qx, qy, s["r"] + 1)
        x2, y2 = _towards(t["x"], t["y"], qx, qy, t["r"] + 2)
        width = 1.0 + 5.0 * p.total / top_total
        edges.append(
            {
                "source": p.source,
                "copier": p.copier,
                "total": p.total,
                "copies": p.copies,
                "rewrites": p.rewrites,
                "partial": p.partial,
                "width": round(width, 2),
                "lag": hours(p.lag_hours_median),
                "kind": "copies"
                if p.copies >= p.rewrites + p.partial and p.copies
                else "rewrites"
                if p.rewrites >= p.partial
                else "partial",
                "d": f"M{x1:.1f},{y1:.1f} Q{qx:.1f},{qy:.1f} {x2:.1f},{y2:.1f}",
                "dist": round(dist, 1),
            }
        )
    return {
        "nodes": list(nodes.values()),
        "edges": edges,
        "width": int(cx + radius + margin_x),
        "height": int(cy + radius + margin_y),
        "hidden": len(outlets) - n,
        "hidden_edges": hidden_edges,
    }


def _towards(x: float, y: float, tx: float, ty: float, d: float) -> tuple[float, float]:
    """The point at distance ``d`` from (x, y) towards (tx, ty)."""
    dx, dy = tx - x, ty - y
    n = math.hypot(dx, dy) or 1.0
    return x + dx / n * d, y + dy / n * d


def outlet_rows(graph: OutletGraph, page: int, size: int = OUTLETS_PAGE) -> tuple[list[dict[str, Any]], bool]:
    """A page of the outlets table (most articles first) and whether more follow."""
    outlets = sorted(graph.outlets.values(), key=lambda o: (-o.articles, o.outlet))
    start = (page - 1) * size
    rows = [
        {
            "name": o.outlet,
            "href": outlet_url(o.outlet),
            "articles": o.articles,
            "original": share(o.original_share),
            "stories": o.stories,
            "first": o.first,
            "delay": hours(o.delay_hours_median),
            "top_source": o.top_sources[0] if o.top_sources else None,
            "top_copier": o.top_copiers[0] if o.top_copiers else None,
        }
        for o in outlets[start : start + size]
    ]
    return rows, start + size < len(outlets)


def pair_rows(pairs: list[Any], other: str) -> list[dict[str, Any]]:
    """Rows of an outlet page's sources (``other="source"``) or copiers table."""
    return [
        {
            "name": getattr(p, other),
            "href": outlet_url(getattr(p, other)),
            "copies": p.copies,
            "rewrites": p.rewrites,
            "partial": p.partial,
            "share": share(p.share),
            "lag": hours(p.lag_hours_median),
            "lag_p90": hours(p.lag_hours_p90),
            "kept": share(p.source_kept),
            "added": share(p.added),
            "cites": share(p.cited_share),
        }
        for p in pairs
    ]


# --------------------------------------------------------------------------- a story's coverage chart


def coverage_chart(
    cov: StoryCoverage | None, max_outlets: int = MAX_CHART_OUTLETS, max_days: int = MAX_CHART_DAYS
) -> dict[str, Any] | None:
    """A heat grid: a row per outlet (in the order they joined), a column per day with articles ("undated"
    last when some are), a cell per outlet and day with articles (shade and number: how many)."""
    if cov is None or not cov.joined:
        return None
    undated = any("undated" in per for per in cov.per_day.values())
    days = list(cov.days[:max_days]) + (["undated"] if undated else [])
    outlets = [j.outlet for j in cov.joined[:max_outlets]]
    label_w, cell_w, cell_h, head_h = 190, 44, 26, 34
    top = max((n for o in outlets for d, n in cov.per_day.get(o, {}).items() if d in days), default=1)
    cells, rows = [], []
    for i, o in enumerate(outlets):
        y = head_h + i * cell_h
        rows.append({"name": o, "label": _label(o), "href": outlet_url(o), "y": y + cell_h / 2 + 4})
        for k, d in enumerate(days):
            n = cov.per_day.get(o, {}).get(d, 0)
            if n:
                cells.append(
                    {
                        "outlet": o,
                        "day": d,
                        "count": n,
                        "x": label_w + k * cell_w + 2,
                        "y": y + 2,
                        "w": cell_w - 4,
                        "h": cell_h - 4,
                        "opacity": round(0.25 + 0.75 * n / top, 3),
                        "tx": label_w + k * cell_w + cell_w / 2,
                        "ty": y + cell_h / 2 + 4,
                    }
                )
    cols = [
        {"day": d, "label": d[5:] if d != "undated" else "undated", "x": label_w + k * cell_w + cell_w / 2}
        for k, d in enumerate(days)
    ]
    first = cov.first
    original = cov.first_original
    return {
        "rows": rows,
        "cols": cols,
        "cells": cells,
        "width": label_w + len(days) * cell_w + 10,
        "height": head_h + len(outlets) * cell_h + 6,
        "hidden_outlets": max(0, len(cov.joined) - len(outlets)),
        "hidden_days": max(0, len(cov.days) - max_days),
        "first": _ref(first),
        "original": _ref(original) if original and first and original.id != first.id else None,
        "chains": len(cov.chains),
    }


def _ref(ref: Any) -> dict[str, Any] | None:
    if ref is None:
        return None
    when: datetime | None = ref.published
    return {
        "id": ref.id,
        "outlet": ref.outlet,
        "href": outlet_url(ref.outlet),
        "date": when.strftime("%d %b %Y %H:%M") if when else "",
    }


# --------------------------------------------------------------------------- pages


def build_network_page(env: Environment, graph: OutletGraph, page: int) -> bytes:
    rows, more = outlet_rows(graph, page)
    return (
        env.get_template("outlets.html")
        .render(
            title="Outlets",
            net=layout_network(graph),
            rows=rows,
            page=page,
            more=more,
            n_outlets=len(graph.outlets),
            n_pairs=len(graph.pairs),
        )
        .encode("utf-8")
    )


def build_outlet_page(env: Environment, graph: OutletGraph, name: str) -> bytes | None:
    o = graph.outlet(name)
    if o is None:
        return None
    sources, copiers = graph.sources_of(o.outlet), graph.copiers_of(o.outlet)
    return (
        env.get_template("outlet.html")
        .render(
            title=o.outlet,
            o=o,
            original=share(o.original_share),
            first_share=share(o.first_share),
            delay=hours(o.delay_hours_median),
            delay_p90=hours(o.delay_hours_p90),
            sources=pair_rows(sources[:OUTLET_PAIRS], "source"),
            copiers=pair_rows(copiers[:OUTLET_PAIRS], "copier"),
            sources_more=max(0, len(sources) - OUTLET_PAIRS),
            copiers_more=max(0, len(copiers) - OUTLET_PAIRS),
        )
        .encode("utf-8")
    )


class _NoOutlet(Exception):
    pass


def mount_outlet_pages(
    app: FastAPI, service: Service, env: Environment, network: OutletNetwork, not_found: Any
) -> None:
    """``/network`` and ``/outlet/{name}``, kept in the response cache per store revision."""

    @app.get("/network", response_class=HTMLResponse, include_in_schema=False)
    async def network_page(page: int = Query(1, ge=1, le=100000)) -> Response:
        return await service.cached(
            ("page:network", page), network.revision(), lambda: build_network_page(env, network.graph(), page), HTML
        )

    @app.get("/outlet/{name:path}", response_class=HTMLResponse, include_in_schema=False)
    async def outlet_page(name: str) -> Response:
        name = name[:300]

        def build() -> bytes:
            html = build_outlet_page(env, network.graph(), name)
            if html is None:
                raise _NoOutlet()
            return html

        try:
            return await service.cached(("page:outlet", name), network.revision(), build, HTML)
        except _NoOutlet:
            return not_found("outlet")
