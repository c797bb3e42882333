"""The JSON views: articles, stories, reuse edges and search snippets as plain dicts (ready for
:func:`~storyline.serve.encoding.dumps`), and the page sizes (articles a story lists, edges its graph draws)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from ..model import Article, ReuseEdge, Story, StoryAnalysis, to_dict
from ..store import Store
from .encoding import loads, raw_json

MAX_PAGE = 200
STORY_ARTICLES = 100  # articles listed in a story (and drawn in its graph) unless asked otherwise
MAX_STORY_ARTICLES = 1000
GRAPH_EDGES = 200  # strongest reuse edges among the listed articles
MAX_EDGE_PAGE = 1000


def article_brief(a: Article, story_id: str | None = None) -> dict[str, Any]:
    return {
        "id": a.id,
        "title": a.title,
        "outlet": a.outlet,
        "author": a.author,
        "url": a.url,
        "published": a.published.isoformat() if a.published else None,
        "date_precision": a.date_precision,
        "words": a.word_count,
        "language": a.language,
        "story_id": story_id,
        "links": {"self": f"/articles/{a.id}", "page": f"/article/{a.id}"},
    }


def story_brief(s: Story) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "article_count": len(s.article_ids),
        "event_count": len(s.events),
        "outlets": s.outlets,
        "first_date": s.first_date.isoformat() if s.first_date else None,
        "last_date": s.last_date.isoformat() if s.last_date else None,
        "links": {"self": f"/stories/{s.id}", "page": f"/story/{s.id}"},
    }


def story_brief_row(d: dict[str, Any]) -> dict[str, Any]:
    """:func:`story_brief` from a :meth:`Store.story_briefs` row (no story decoded)."""
    return {**d, "links": {"self": f"/stories/{d['id']}", "page": f"/story/{d['id']}"}}


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


def edge_light(e: ReuseEdge, n_passages: int) -> dict[str, Any]:
    """An edge as JSON with only the number of its aligned passages."""
    d = {f.name: getattr(e, f.name) for f in dataclasses.fields(e) if f.name != "passages"}
    d["passages"] = n_passages
    return d


def passage_refs(e: ReuseEdge) -> list[dict[str, Any]]:
    """An edge's aligned passages without their texts (sentence numbers of both articles, kind, score)."""
    return [
        {"source_index": p.source_index, "target_index": p.target_index, "kind": p.kind, "score": p.score}
        for p in e.passages
    ]


def story_view(
    story: Story,
    listed: list[Any],
    links: list[tuple[ReuseEdge, int]],
    n_links: int,
    analysis: StoryAnalysis | None,
    offset: int = 0,
    limit: int = STORY_ARTICLES,
) -> dict[str, Any]:
    """A story as JSON: the listed page of its articles (``offset``, ``limit``) and, as its graph,
    those articles and the strongest reuse edges among them."""
    event_of = {aid: ev.id for ev in story.events for aid in ev.article_ids}
    nodes = [
        {
            "id": a.id,
            "outlet": a.outlet,
            "title": a.title,
            "published": a.published.isoformat() if a.published else None,
            "event_id": event_of.get(a.id),
        }
        for a in listed
    ]
    total = len(story.article_ids)
    more = offset + limit < total
    return {
        **story_brief(story),
        "entities": story.entities,
        "events": [to_dict(e) for e in story.events],
        "articles": [article_brief(a, story.id) | {"event_id": event_of.get(a.id)} for a in listed],
        "articles_offset": offset,
        "articles_next": f"/stories/{story.id}/articles?offset={offset + limit}&limit={min(limit, MAX_PAGE)}"
        if more
        else None,
        "analysis_available": analysis is not None,
        "timeline": to_dict(analysis.timeline) if analysis else [],
        "quotes": to_dict(analysis.quotes) if analysis else [],
        "claims": to_dict(analysis.claims) if analysis else [],
        "summary": to_dict(analysis.summary) if analysis else [],
        "graph": {
            "nodes": nodes,
            "edges": [edge_light(e, n) for e, n in links],
            "edges_among_nodes": n_links,
            "all_edges": f"/stories/{story.id}/edges",
        },
    }


def story_detail(
    store: Store, story: Story, analysis: StoryAnalysis | None, offset: int = 0, limit: int = STORY_ARTICLES
) -> dict[str, Any]:
    """:func:`story_view` read from the store (no caches)."""
    listed = store.get_articles(story.article_ids[offset : offset + limit])
    n_links, links = store.edges_among([a.id for a in listed], GRAPH_EDGES)
    return story_view(story, listed, links, n_links, analysis, offset, limit)


def article_view(
    a: Article, story_id: str | None, edges: list[tuple[str, str, str, str]] | list[ReuseEdge]
) -> dict[str, Any]:
    """One article: text, sentences, what it copies (edges with their passages) and who copies it
    (edges with passage references: sentence numbers, no texts). ``edges``: as
    :meth:`Store.edge_json_for` gives them (or edge objects)."""
    from ..text import article_sentences

    rows = [
        e if isinstance(e, tuple) else (e.source_id, e.target_id, e.relation, json.dumps(to_dict(e))) for e in edges
    ]
    rows = [r for r in rows if r[2] != "independent"]
    copied_by = []
    for src, _, _, data in rows:
        if src == a.id:
            e = loads(data)
            e["passages"] = [
                {k: p[k] for k in ("source_index", "target_index", "kind", "score")} for p in e.get("passages") or []
            ]
            copied_by.append(e)
    return {
        **to_dict(a),
        "text": a.text,
        "words": a.word_count,
        "story_id": story_id,
        "sentences": [{"index": s.index, "paragraph": s.paragraph, "text": s.text} for s in article_sentences(a)],
        "copies_of": [raw_json(data) for _, tgt, _, data in rows if tgt == a.id],
        "copied_by": copied_by,
        "links": {"self": f"/articles/{a.id}", "page": f"/article/{a.id}"},
    }


def snippet(a: Article, q: str, width: int = 160) -> str:
    text = a.text
    i = text.lower().find(q.lower())
    if i < 0:
        return text[:width]
    start = max(0, i - width // 2)
    return ("…" if start else "") + text[start : start + width] + ("…" if start + width < len(text) else "")
