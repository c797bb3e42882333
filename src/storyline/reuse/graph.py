"""The reuse graph: groups of duplicates over the exact/near-duplicate edges, and one article's edges."""

from __future__ import annotations

from typing import Any

from ..model import DUPLICATE_RELATIONS, Article, ReuseEdge


def duplicate_groups(edges: list[ReuseEdge]) -> list[list[str]]:
    """Connected components over exact/near-duplicate edges (each group: earliest source first)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    incoming: dict[str, int] = {}
    for e in edges:
        if e.relation not in DUPLICATE_RELATIONS:
            continue
        ra, rb = find(e.source_id), find(e.target_id)
        if ra != rb:
            parent[rb] = ra
        incoming[e.target_id] = incoming.get(e.target_id, 0) + 1
        incoming.setdefault(e.source_id, 0)
    groups: dict[str, list[str]] = {}
    for x in list(parent):
        groups.setdefault(find(x), []).append(x)
    out = [sorted(g, key=lambda x: (incoming.get(x, 0), x)) for g in groups.values() if len(g) > 1]
    return sorted(out, key=lambda g: g[0])


def edges_of(store: Any, article_id: str) -> tuple[Article | None, list[ReuseEdge]]:
    """An article (id or unique prefix) and its reuse edges (as source or target), strongest first."""
    a = store.get_article(article_id)
    if a is None:
        return None, []
    edges = [e for e in store.edges_for(a.id) if e.relation != "independent"]
    rank = {"exact-duplicate": 0, "near-duplicate": 1, "rewrite": 2, "partial-reuse": 3}
    edges.sort(key=lambda e: (rank.get(e.relation, 9), -e.confidence))
    return a, edges


def duplicates(store: Any) -> list[list[str]]:
    """Duplicate groups over the store's reuse graph."""
    return duplicate_groups(store.all_edges())
