"""What the outlet views share: settings, an article's outlet and date as the aggregates need them,
lags, quantiles, which edge a copy is attributed to, and the order of first reports in a story.

Pure functions over small value objects; nothing here reads the store.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import NamedTuple

from ..model import COPY_RELATIONS

HOUR = 3600.0
_EPOCH = datetime(1970, 1, 1)

# Relations that make the target a copy of the source, strongest first: a copy with several possible
# originals is attributed to the strongest relation, then the most confident edge, then the earliest source.
COPY_RANK: dict[str, int] = {r: k for k, r in enumerate(COPY_RELATIONS)}
PARTIAL = "partial-reuse"
REUSE_RELATIONS: tuple[str, ...] = COPY_RELATIONS + (PARTIAL,)


@dataclass(frozen=True)
class OutletConfig:
    """Settings of the outlet views.

    ``top``: how many top sources / copiers each outlet lists. ``cite_threshold``: the
    :func:`storyline.reuse.citation_strength` at which a copy counts as crediting its source (0.85: a cue
    such as "TASS reported", "according to TASS", "(TASS)", "/TASS/"; 0.6: the name only). ``unknown``: the
    outlet name given to articles whose text names none."""

    top: int = 5
    cite_threshold: float = 0.85
    name_threshold: float = 0.6
    unknown: str = "(unknown)"


def outlet_key(name: str | None) -> str:
    """How outlets are matched: case and spacing ignored ("The  Times" = "the times"); "" for none."""
    return " ".join(name.split()).casefold() if name else ""


def clean_name(name: str | None) -> str | None:
    """An outlet name as shown: spacing collapsed; None for an empty one."""
    if not name:
        return None
    out = " ".join(name.split())
    return out or None


class ArticleMeta(NamedTuple):
    """An article as the aggregates see it: ingest number, outlet, and its date at the precision known."""

    id: str
    seq: int
    outlet: str | None  # as written (spacing collapsed), None when the text names none
    key: str  # outlet_key(outlet)
    when: datetime | None  # publication time, naive (aware times converted to UTC); None when undated
    day: int | None  # proleptic ordinal of the publication date (day, minute precision); None otherwise
    hours: float | None  # hours since 1970 when the time is known to the minute, else None

    def sort_key(self) -> tuple:
        """As :meth:`storyline.model.Article.chronological_key`: dated first, by date, then ingest order."""
        return (self.when is None, self.when or datetime.min, self.seq, self.id)


@lru_cache(maxsize=65536)
def _names(outlet: str | None) -> tuple[str | None, str]:
    name = clean_name(outlet)
    return name, outlet_key(name)


def meta_from_row(row: Sequence) -> ArticleMeta:
    """An :class:`ArticleMeta` from a store row (seq, id, outlet, published ISO text, date_precision)."""
    seq, aid, outlet, published, precision = row
    when = day = hours = None
    if published:
        try:
            dt = datetime.fromisoformat(published) if isinstance(published, str) else published
        except ValueError:
            dt = None
        if dt is not None:
            local_day = dt.toordinal()
            if dt.tzinfo is not None:
                dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
            when = dt
            if precision is None or precision == "day" or precision == "minute":
                day = local_day
            if precision == "minute":
                hours = (dt - _EPOCH).total_seconds() / HOUR
    name, key = _names(outlet)
    return ArticleMeta(aid, seq or 0, name, key, when, day, hours)


def lag_hours(source: ArticleMeta, target: ArticleMeta) -> float | None:
    """Hours from ``source``'s publication to ``target``'s, at the precision both have (to the minute when
    both give a time, else whole days of 24 hours); None unless both are dated to the day or better."""
    if source.hours is not None and target.hours is not None:
        return round(target.hours - source.hours, 4)
    if source.day is not None and target.day is not None:
        return float(target.day - source.day) * 24.0
    return None


def quantile(sorted_values: Sequence[float], q: float) -> float | None:
    """The q-quantile of sorted values by linear interpolation (numpy's default method); None if empty."""
    n = len(sorted_values)
    if n == 0:
        return None
    pos = (n - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    return float(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo))


class LightEdge(NamedTuple):
    """A reuse edge's scalars (what :meth:`Store.edge_rows_since` gives): no passages."""

    source_id: str
    target_id: str
    relation: str
    confidence: float
    source_coverage: float
    target_coverage: float
    direction_rule: str


def copy_source(edges: Iterable[LightEdge], meta: dict[str, ArticleMeta]) -> LightEdge | None:
    """The edge a copy is attributed to among its incoming edges: exact over near-duplicate over rewrite,
    then the most confident, then the earliest source. Edges from articles not in ``meta`` are skipped."""
    best, best_key = None, None
    for e in edges:
        rank = COPY_RANK.get(e.relation)
        src = meta.get(e.source_id)
        if rank is None or src is None or e.source_id == e.target_id:
            continue
        key = (rank, -e.confidence, src.sort_key())
        if best_key is None or key < best_key:
            best, best_key = e, key
    return best


def follow_root(article_id: str, copy_of: dict[str, str]) -> str:
    """The original at the start of a copy chain (``copy_of``: copy id -> the id it copies); cycles stop."""
    cur, seen = article_id, {article_id}
    while cur in copy_of:
        nxt = copy_of[cur]
        if nxt in seen:
            break
        seen.add(nxt)
        cur = nxt
    return cur


@dataclass(frozen=True)
class StoryRecord:
    """What the aggregates keep of one story: its first report and, per outlet (by key), the outlet's first
    article, how many articles it has in the story and its delay behind the first report (hours)."""

    story_id: str
    first: ArticleMeta | None  # the earliest dated article (ties: ingest order); None when none is dated
    outlets: tuple[str, ...]  # outlet keys in the order they joined ("" for articles naming none)
    first_of: dict[str, ArticleMeta]  # outlet key -> its first article in the story
    counts: dict[str, int]  # outlet key -> articles in the story
    delays: dict[str, float]  # outlet key -> hours behind the first report (only outlets with a dated article)


def story_record(story_id: str, members: Iterable[ArticleMeta]) -> StoryRecord:
    """The first report of a story and the order in which outlets joined it (by their first article, in
    :meth:`ArticleMeta.sort_key` order: dated ones by date, undated ones after them by ingest order)."""
    arts = sorted(members, key=ArticleMeta.sort_key)
    first = arts[0] if arts and arts[0].when is not None else None
    first_of: dict[str, ArticleMeta] = {}
    first_dated: dict[str, ArticleMeta] = {}
    counts: dict[str, int] = {}
    for a in arts:
        first_of.setdefault(a.key, a)
        counts[a.key] = counts.get(a.key, 0) + 1
        if a.when is not None:
            first_dated.setdefault(a.key, a)
    delays = {}
    if first is not None:
        for k, a in first_dated.items():
            lag = lag_hours(first, a)
            if lag is not None:
                delays[k] = max(0.0, lag)
    return StoryRecord(story_id, first, tuple(first_of), first_of, counts, delays)
