"""One story seen by outlet: who reported first, where every copy chain starts, the order in which outlets
joined, and how many articles each outlet published on each day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .common import (
    COPY_RANK,
    ArticleMeta,
    LightEdge,
    OutletConfig,
    copy_source,
    follow_root,
    meta_from_row,
    story_record,
)

UNDATED = "undated"


@dataclass(frozen=True)
class ArticleRef:
    """An article as the outlet views cite it."""

    id: str
    outlet: str  # the name as shown (the configured "unknown" name when the text names none)
    published: datetime | None
    seq: int


@dataclass(frozen=True)
class OutletJoin:
    """An outlet's arrival in a story: its first article, its article count, hours behind the first report."""

    outlet: str
    first_article: ArticleRef
    articles: int
    delay_hours: float | None  # None when the outlet's articles here are undated (or no first report is dated)


@dataclass(frozen=True)
class CopyChain:
    """An original and every article of the story that copies it (directly or through other copies)."""

    original: ArticleRef
    copies: tuple[ArticleRef, ...]  # in date order (undated ones after, by ingest order)

    @property
    def outlets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.outlet for c in self.copies))


@dataclass(frozen=True)
class StoryCoverage:
    """Who covered a story, in what order, and how much each day."""

    story_id: str
    title: str | None
    first: ArticleRef | None  # the earliest dated article (ties: ingest order); None when none is dated
    chains: tuple[CopyChain, ...]  # every copy chain (exact/near-duplicates and rewrites), earliest original first
    original_of: dict[str, str]  # copy id -> the original its chain starts from
    joined: tuple[OutletJoin, ...]  # outlets in the order they joined (first article by date, then ingest order)
    per_day: dict[str, dict[str, int]]  # outlet -> {ISO day or "undated": articles}
    days: tuple[str, ...]  # the ISO days with articles, in order

    @property
    def first_original(self) -> ArticleRef | None:
        """The original of the first report's copy chain (the first report itself when it copies nothing)."""
        if self.first is None:
            return None
        root = self.original_of.get(self.first.id)
        for c in self.chains:
            if c.original.id == root:
                return c.original
        return self.first


def _ref(m: ArticleMeta, config: OutletConfig) -> ArticleRef:
    return ArticleRef(m.id, m.outlet or config.unknown, m.when, m.seq)


def _day(m: ArticleMeta) -> str:
    return date.fromordinal(m.day).isoformat() if m.day is not None else UNDATED


def coverage_of(
    story_id: str,
    title: str | None,
    metas: list[ArticleMeta],
    links: list[LightEdge],
    config: OutletConfig | None = None,
) -> StoryCoverage:
    """The pure part of :func:`story_coverage`: from the story's articles and the reuse edges between them."""
    config = config or OutletConfig()
    by_id = {m.id: m for m in metas}
    incoming: dict[str, list[LightEdge]] = {}
    for e in links:
        if e.relation in COPY_RANK and e.source_id in by_id and e.target_id in by_id and e.source_id != e.target_id:
            incoming.setdefault(e.target_id, []).append(e)
    copy_of = {}
    for t, edges in incoming.items():
        best = copy_source(edges, by_id)
        if best is not None:
            copy_of[t] = best.source_id
    original_of = {t: follow_root(t, copy_of) for t in copy_of}
    original_of = {t: r for t, r in original_of.items() if r != t}
    members: dict[str, list[ArticleMeta]] = {}
    for t, r in original_of.items():
        members.setdefault(r, []).append(by_id[t])
    chains = sorted(
        (
            CopyChain(_ref(by_id[r], config), tuple(_ref(m, config) for m in sorted(ms, key=ArticleMeta.sort_key)))
            for r, ms in members.items()
        ),
        key=lambda c: by_id[c.original.id].sort_key(),
    )
    rec = story_record(story_id, metas)
    names = {k: rec.first_of[k].outlet or config.unknown for k in rec.outlets}  # one name per outlet (first spelling)
    joined = tuple(
        OutletJoin(names[k], _ref(rec.first_of[k], config), rec.counts[k], rec.delays.get(k)) for k in rec.outlets
    )
    per_day: dict[str, dict[str, int]] = {}
    for m in sorted(metas, key=ArticleMeta.sort_key):
        row = per_day.setdefault(names[m.key], {})
        row[_day(m)] = row.get(_day(m), 0) + 1
    days = tuple(sorted({_day(m) for m in metas if m.day is not None}))
    return StoryCoverage(
        story_id,
        title,
        _ref(rec.first, config) if rec.first else None,
        tuple(chains),
        original_of,
        joined,
        per_day,
        days,
    )


def story_coverage(store: Any, story_id: str, config: OutletConfig | None = None) -> StoryCoverage | None:
    """A story (by id, unique prefix, or an id merged into another) by outlet; None for no such story.
    Copy chains follow exact/near-duplicate and rewrite edges between the story's articles back to their
    original (each copy attributed to one original as in the outlet graph)."""
    story = store.get_story(story_id)
    if story is None:
        return None
    metas = [meta_from_row(r) for r in store.article_meta(story.article_ids)]
    links = [LightEdge(s, t, rel, conf, 0.0, 0.0, "") for s, t, rel, conf in store.story_links(story.id)]
    return coverage_of(story.id, story.title, metas, links, config)
