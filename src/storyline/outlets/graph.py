"""Who copies whom: the outlet graph, a pure function of the store's articles, reuse edges and stories,
kept up to date incrementally.

For every ordered pair of outlets (source -> copier) it counts the copier's articles that copy the source's
(exact / near-duplicate), rewrite them or carry passages of them (partial reuse), with lags, how much text is
kept and added, and how often the copy credits its source; per outlet, how much of its output is original,
its top sources and copiers, how often it reports a story first and how far behind the first report it is.

Attribution (so that a wire story copied by ten outlets counts once per copier, not once per pair of
copies): each copy is attributed to one original, by :func:`common.copy_source` (the strongest relation, the
most confident edge, then the earliest source). A partial reuse is counted once per copy chain it draws on
(passages found both in an original and in its copies count for the original only), and not at all when the
article is itself a copy of that chain.

:class:`OutletAggregator` keeps the running counts; ``partial_fit(store)`` reads only what was stored since the
last call (articles after the last ingest number, edge rows after the last mark, stories whose revision
moved) and :meth:`OutletAggregator.graph` returns an immutable :class:`OutletGraph`, recomputing only the
pairs and outlets that changed. :func:`outlet_graph` keeps one aggregator per store and answers from it while
the store's revisions are unchanged.
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..reuse import citation_strength
from .common import (
    COPY_RANK,
    PARTIAL,
    ArticleMeta,
    LightEdge,
    OutletConfig,
    StoryRecord,
    copy_source,
    follow_root,
    lag_hours,
    meta_from_row,
    outlet_key,
    quantile,
    story_record,
)


@dataclass(frozen=True)
class PairStats:
    """source -> copier: what the copier's articles took from the source's. Lags in hours."""

    source: str
    copier: str
    exact: int  # copier articles attributed as exact duplicates of a source article
    near: int  # ... as near-duplicates
    rewrites: int  # ... as rewrites
    partial: int  # copier articles carrying passages of a source article (partial reuse)
    copier_articles: int  # all the copier's articles
    lag_count: int  # reuses with both ends dated
    lag_hours_median: float | None
    lag_hours_p90: float | None
    source_kept: float | None  # mean share of the source article's sentences found in the copy
    added: float | None  # mean share of the copy's sentences not from the source (1 - target_coverage)
    cited: int  # reuses whose text credits the source outlet ("according to X", "(X)", "X reported", ...)
    named: int  # reuses whose text at least names the source outlet (includes ``cited``)

    @property
    def copies(self) -> int:
        """Exact and near-duplicates."""
        return self.exact + self.near

    @property
    def total(self) -> int:
        return self.exact + self.near + self.rewrites + self.partial

    @property
    def share(self) -> float:
        """Share of the copier's articles that are copies or rewrites of the source's."""
        return (self.exact + self.near + self.rewrites) / self.copier_articles if self.copier_articles else 0.0

    @property
    def partial_share(self) -> float:
        return self.partial / self.copier_articles if self.copier_articles else 0.0

    @property
    def cited_share(self) -> float:
        return self.cited / self.total if self.total else 0.0


@dataclass(frozen=True)
class OutletStats:
    """One outlet: its output, where it comes from, who takes from it, and how early it reports."""

    outlet: str
    articles: int
    original: int  # articles with no incoming copy or rewrite edge
    top_sources: tuple[tuple[str, int], ...]  # (other outlet, its reuses by this one), most first
    top_copiers: tuple[tuple[str, int], ...]  # (other outlet, its reuses of this one), most first
    stories: int  # stories it has an article in
    first: int  # stories whose first report (earliest dated article) is its
    delay_count: int  # stories where it has a dated article and the story a dated first report
    delay_hours_median: float | None  # median hours from a story's first report to this outlet's first article
    delay_hours_p90: float | None

    @property
    def original_share(self) -> float:
        return self.original / self.articles if self.articles else 0.0

    @property
    def first_share(self) -> float:
        return self.first / self.stories if self.stories else 0.0


@dataclass(frozen=True)
class OutletGraph:
    """A snapshot of the outlet graph at one store revision. ``pairs``: (source, copier) -> stats, by outlet
    name as shown; ``outlets``: name -> stats; ``stories``: story id -> :class:`StoryRecord`."""

    revision: Any
    pairs: Mapping[tuple[str, str], PairStats]
    outlets: Mapping[str, OutletStats]
    stories: Mapping[str, StoryRecord] = field(repr=False)
    names: Mapping[str, str] = field(repr=False)  # outlet key -> name as shown
    config: OutletConfig = field(default_factory=OutletConfig, repr=False)

    def name(self, outlet: str | None) -> str | None:
        """The name an outlet is shown under (matched ignoring case and spacing); None if unknown here."""
        if not outlet:
            return None
        key = outlet_key(outlet)
        if key not in self.names and outlet == self.config.unknown:  # articles whose text names no outlet
            key = ""
        return self.names.get(key)

    def outlet(self, outlet: str) -> OutletStats | None:
        name = self.name(outlet)
        return self.outlets.get(name) if name is not None else None

    def pair(self, source: str, copier: str) -> PairStats | None:
        s, c = self.name(source), self.name(copier)
        return self.pairs.get((s, c)) if s is not None and c is not None else None

    def sources_of(self, outlet: str) -> list[PairStats]:
        """Pairs into this outlet (what it takes, from whom), most reuses first."""
        name = self.name(outlet)
        return sorted((p for p in self.pairs.values() if p.copier == name), key=lambda p: (-p.total, p.source))

    def copiers_of(self, outlet: str) -> list[PairStats]:
        name = self.name(outlet)
        return sorted((p for p in self.pairs.values() if p.source == name), key=lambda p: (-p.total, p.copier))


class _PairAcc:
    __slots__ = ("added", "cited", "counts", "kept", "lags", "n", "named")

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.lags: list[float] = []
        self.kept = 0.0
        self.added = 0.0
        self.n = 0
        self.cited = 0
        self.named = 0


class OutletAggregator:
    """The outlet graph's running state over one store; see the module's docstring.

    Size: over 300 lines, knowingly: it is one incremental computation whose parts (reading the store,
    copy attribution and contributions, stories, the snapshot) all read and update the same running
    counts and dirty sets; split into classes they would share every field.
    """

    def __init__(self, config: OutletConfig | None = None):
        self.config = config or OutletConfig()
        self.revision: Any = None
        self._seq = 0
        self._edge_mark: Any = None
        self._stories_rev: Any = object()  # never equal to a store's: the first fit reads the stories
        self.meta: dict[str, ArticleMeta] = {}
        self.names: dict[str, str] = {}  # outlet key -> name as shown (first spelling seen)
        self._n_articles: Counter[str] = Counter()
        self._copied: Counter[str] = Counter()  # outlet key -> its articles that are copies
        self._in_edges: dict[str, dict[str, LightEdge]] = {}  # target -> source -> edge (reuse relations only)
        self._copy_of: dict[str, str] = {}  # copy -> the article it is attributed to
        self._children: dict[str, set[str]] = {}  # article -> copies attributed to it
        self._partial_from: dict[str, set[str]] = {}  # source article -> targets with a partial edge from it
        # target -> its contributions to the pairs: (pair key, relation, lag hours or None, kept, added, citation)
        self._contrib: dict[str, list[tuple]] = {}
        self._pairs: dict[tuple[str, str], _PairAcc] = {}  # (source key, copier key) -> running sums
        self._by_target: dict[str, set[str]] = {}  # copier key -> source keys with a pair into it
        self._by_source: dict[str, set[str]] = {}
        self._pending: set[str] = set()  # targets with an edge from or to an article not read yet
        self.stories: dict[str, StoryRecord] = {}
        self._story_rev: dict[str, Any] = {}
        self._covered: Counter[str] = Counter()
        self._firsts: Counter[str] = Counter()
        self._delays: dict[str, dict[str, float]] = {}  # outlet key -> story id -> delay hours
        self._dirty_pairs: set[tuple[str, str]] = set()
        self._dirty_outlets: set[str] = set()
        self._grown: set[str] = set()  # outlets with new articles: the shares of the pairs into them moved
        self._pair_stats: dict[tuple[str, str], PairStats] = {}
        self._outlet_stats: dict[str, OutletStats] = {}
        self._graph: OutletGraph | None = None
        self.lock = threading.Lock()  # one reader or updater at a time (the HTTP server runs threads)

    # ------------------------------------------------------------------ reading the store
    def partial_fit(self, store: Any) -> OutletAggregator:
        """Take in what the store holds beyond what was read before: new articles, new edge rows (an edge
        stored again replaces its earlier version), and the stories whose revision changed."""
        with store.snapshot():
            revision = _store_revision(store)
            if revision is not None and revision == self.revision:
                return self
            rows = store.article_meta_since(self._seq)
            self._add_articles(rows)
            mark, edge_rows = store.edge_rows_since(self._edge_mark)
            self._edge_mark = mark
            self._add_edges(store, [LightEdge(*r) for r in edge_rows], new_articles=bool(rows))
            stories_rev = store.stories_revision()
            if stories_rev is None or stories_rev != self._stories_rev:
                self._update_stories(store)
                self._stories_rev = stories_rev
            self.revision = revision
        return self

    def _name(self, meta: ArticleMeta) -> str:
        return self.names.get(meta.key) or self.config.unknown

    def _add_articles(self, rows: list[tuple]) -> None:
        for row in rows:
            m = meta_from_row(row)
            if m.id in self.meta:
                continue
            self.meta[m.id] = m
            self._seq = max(self._seq, m.seq)
            if m.key not in self.names:
                self.names[m.key] = m.outlet or self.config.unknown
            self._n_articles[m.key] += 1
            self._dirty_outlets.add(m.key)
            self._grown.add(m.key)

    def _add_edges(self, store: Any, edges: list[LightEdge], new_articles: bool) -> None:
        dirty: set[str] = set(self._pending) if new_articles else set()
        for e in edges:
            if e.source_id == e.target_id:
                continue
            incoming = self._in_edges.get(e.target_id)
            if e.relation in COPY_RANK or e.relation == PARTIAL:
                self._in_edges.setdefault(e.target_id, {})[e.source_id] = e
                dirty.add(e.target_id)
                if e.relation == PARTIAL:
                    self._partial_from.setdefault(e.source_id, set()).add(e.target_id)
            elif incoming is not None and e.source_id in incoming:  # stored again as independent
                del incoming[e.source_id]
                dirty.add(e.target_id)
        if dirty:
            self._refresh_targets(store, dirty)

    # ------------------------------------------------------------------ attribution and contributions
    def _root(self, article_id: str) -> str:
        return follow_root(article_id, self._copy_of)

    def _refresh_targets(self, store: Any, targets: set[str]) -> None:
        # 1. each target's copy attribution; a changed one moves the roots of everything copied from it
        moved: list[str] = []
        for t in targets:
            edges = self._in_edges.get(t, {})
            if t not in self.meta or any(s not in self.meta for s in edges):
                self._pending.add(t)
            else:
                self._pending.discard(t)
            best = copy_source(edges.values(), self.meta) if t in self.meta else None
            new_src = best.source_id if best is not None else None
            old_src = self._copy_of.get(t)
            if new_src == old_src:
                continue
            if old_src is not None:
                self._children.get(old_src, set()).discard(t)
                self._copied[self.meta[t].key] -= 1
                del self._copy_of[t]
            if new_src is not None:
                self._copy_of[t] = new_src
                self._children.setdefault(new_src, set()).add(t)
                self._copied[self.meta[t].key] += 1
            self._dirty_outlets.add(self.meta[t].key)
            moved.append(t)
        # 2. partial reuses depend on roots and on what their sources draw on (see _plan): redo the targets
        # with new edges and the copies below a moved attribution, the targets drawing on those, and (roots
        # having moved) the targets drawing on articles that draw on moved ones
        below: set[str] = set()
        stack = list(moved)
        while stack:
            x = stack.pop()
            if x not in below:
                below.add(x)
                stack += self._children.get(x, ())
        pf = self._partial_from
        todo = set(targets) | below
        todo |= {y for x in todo for y in pf.get(x, ())}
        todo |= {z for x in below for y in pf.get(x, ()) for z in pf.get(y, ())}
        # 3. plan every target's contributions, then read the texts their citation checks need (those of
        # (target, source outlet) pairs it did not contribute before)
        plans = {t: self._plan(t) for t in todo}
        cites = {(t, c[0][0]): c[5] for t in plans for c in self._contrib.get(t, ())}
        self._fill_cites(store, cites, {(t, self.meta[s].key) for t, plan in plans.items() for s, _ in plan})
        for t, plan in plans.items():
            self._apply(t, plan, cites)

    def _partial_sources(self, t: str) -> list[tuple[str, LightEdge]]:
        return [(s, e) for s, e in self._in_edges.get(t, {}).items() if e.relation == PARTIAL and s in self.meta]

    def _plan(self, t: str) -> list[tuple[str, LightEdge]]:
        """[(source id, edge)] that target ``t`` contributes: its attributed copy, then its partial reuses,
        one per copy chain (the chain's original when it is among the sources, else the strongest), leaving
        out a chain ``t`` itself copies, and a source whose shared passages may come from a chain that ``t``
        draws on too (the source itself carries passages of that chain: counted for the chain only)."""
        if t not in self.meta:
            return []
        edges = self._in_edges.get(t, {})
        out: list[tuple[str, LightEdge]] = []
        src = self._copy_of.get(t)
        if src is not None:
            out.append((src, edges[src]))
        root = self._root
        own_root = root(t)
        partial = self._partial_sources(t)
        roots = {s: root(s) for s, _ in partial}
        draws = {own_root, *roots.values()}
        chains: dict[str, tuple[tuple, str, LightEdge]] = {}
        for s, e in partial:
            r = roots[s]
            if r in (own_root, t):
                continue
            upstream = {root(p) for p, _ in self._partial_sources(s)} - {r}
            if upstream & draws:
                continue
            rank = (s != r, -e.confidence, self.meta[s].sort_key())
            if r not in chains or rank < chains[r][0]:
                chains[r] = (rank, s, e)
        out += [(s, e) for _, s, e in sorted(chains.values(), key=lambda x: x[0])]
        return out

    def _fill_cites(self, store: Any, cites: dict[tuple[str, str], float], wanted: set[tuple[str, str]]) -> None:
        """Citation strengths of the (target, source outlet key) pairs not in ``cites``, added to it. Per
        source outlet only the texts containing its name's first word are read (every cue contains it)."""
        by_outlet: dict[str, list[str]] = {}
        for t, key in wanted:
            if (t, key) not in cites:
                by_outlet.setdefault(key, []).append(t)
        for key, targets in by_outlet.items():
            name = self.names.get(key) if key else None
            word = _first_word(name)
            texts = store.article_texts(targets, containing=word) if word else {}
            for t in targets:
                text = texts.get(t)
                cites[(t, key)] = citation_strength(text, name) if text else 0.0

    def _apply(self, t: str, plan: list[tuple[str, LightEdge]], cites: dict[tuple[str, str], float]) -> None:
        old = self._contrib.pop(t, None)
        if old:
            for c in old:
                self._add_contribution(c, -1)
        if not plan:
            return
        meta = self.meta
        tm = meta[t]
        new = []
        for s, e in plan:
            sm = meta[s]
            c = (
                (sm.key, tm.key),
                e.relation,
                lag_hours(sm, tm),
                e.source_coverage,
                1.0 - e.target_coverage,
                cites.get((t, sm.key), 0.0),
            )
            self._add_contribution(c, +1)
            new.append(c)
        self._contrib[t] = new

    def _add_contribution(self, c: tuple, sign: int) -> None:
        pair, relation, lag, kept, added, cite = c
        acc = self._pairs.get(pair)
        if acc is None:
            acc = self._pairs[pair] = _PairAcc()
            self._by_target.setdefault(pair[1], set()).add(pair[0])
            self._by_source.setdefault(pair[0], set()).add(pair[1])
        acc.counts[relation] += sign
        acc.n += sign
        acc.kept += sign * kept
        acc.added += sign * added
        acc.cited += sign * (cite >= self.config.cite_threshold)
        acc.named += sign * (cite >= self.config.name_threshold)
        if lag is not None:
            if sign > 0:
                acc.lags.append(lag)
            else:
                acc.lags.remove(lag)
        self._dirty_pairs.add(pair)

    # ------------------------------------------------------------------ stories
    def _update_stories(self, store: Any) -> None:
        revs = store.story_revisions()
        gone = [sid for sid in self.stories if sid not in revs]
        changed = [sid for sid, rev in revs.items() if self._story_rev.get(sid, object()) != rev]
        for sid in gone:
            self._set_story(sid, None)
            self._story_rev.pop(sid, None)
        if changed:
            members = store.story_members(None if len(changed) == len(revs) else changed)
            for sid in changed:
                metas = [self.meta[a] for a in members.get(sid, ()) if a in self.meta]
                self._set_story(sid, story_record(sid, metas))
                self._story_rev[sid] = revs[sid]

    def _set_story(self, sid: str, record: StoryRecord | None) -> None:
        old = self.stories.pop(sid, None)
        for rec, sign in ((old, -1), (record, +1)):
            if rec is None:
                continue
            for k in rec.outlets:
                self._covered[k] += sign
                self._dirty_outlets.add(k)
            if rec.first is not None:
                self._firsts[rec.first.key] += sign
            for k, d in rec.delays.items():
                if sign > 0:
                    self._delays.setdefault(k, {})[sid] = d
                else:
                    self._delays.get(k, {}).pop(sid, None)
        if record is not None:
            self.stories[sid] = record

    # ------------------------------------------------------------------ the snapshot
    def graph(self) -> OutletGraph:
        """The graph as of the last :meth:`partial_fit` (the same object while nothing changed)."""
        if (
            self._graph is not None
            and not self._dirty_pairs
            and not self._dirty_outlets
            and self._graph.revision == self.revision
        ):
            return self._graph
        for pair in self._dirty_pairs:  # an outlet's top sources / copiers follow its pairs
            self._dirty_outlets.update(pair)
        unk = self.config.unknown
        for pair in self._dirty_pairs:
            name = (self.names.get(pair[0], unk), self.names.get(pair[1], unk))
            stats = self._pair(pair)
            if stats is None:
                self._pair_stats.pop(name, None)
            else:
                self._pair_stats[name] = stats
        # a pair's share depends on the copier's article count: only that field moves for the other pairs
        for k in self._grown:
            n = self._n_articles[k]
            copier = self.names.get(k, unk)
            for s in self._by_target.get(k, ()):
                old = self._pair_stats.get((self.names.get(s, unk), copier))
                if old is not None and old.copier_articles != n and (s, k) not in self._dirty_pairs:
                    self._pair_stats[(old.source, copier)] = dataclasses.replace(old, copier_articles=n)
        self._grown.clear()
        for k in self._dirty_outlets:
            outlet_name = self.names.get(k, self.config.unknown)
            outlet_stats = self._outlet(k)
            if outlet_stats is None:
                self._outlet_stats.pop(outlet_name, None)
            else:
                self._outlet_stats[outlet_name] = outlet_stats
        self._dirty_pairs.clear()
        self._dirty_outlets.clear()
        self._graph = OutletGraph(
            self.revision,
            dict(self._pair_stats),
            dict(self._outlet_stats),
            dict(self.stories),
            dict(self.names),
            self.config,
        )
        return self._graph

    def _pair(self, pair: tuple[str, str]) -> PairStats | None:
        acc = self._pairs.get(pair)
        if acc is None or acc.n <= 0:
            return None
        lags = sorted(acc.lags)
        unk = self.config.unknown
        return PairStats(
            source=self.names.get(pair[0], unk),
            copier=self.names.get(pair[1], unk),
            exact=acc.counts["exact-duplicate"],
            near=acc.counts["near-duplicate"],
            rewrites=acc.counts["rewrite"],
            partial=acc.counts[PARTIAL],
            copier_articles=self._n_articles[pair[1]],
            lag_count=len(lags),
            lag_hours_median=quantile(lags, 0.5),
            lag_hours_p90=quantile(lags, 0.9),
            source_kept=round(acc.kept / acc.n, 4),
            added=round(acc.added / acc.n, 4),
            cited=acc.cited,
            named=acc.named,
        )

    def _outlet(self, k: str) -> OutletStats | None:
        n = self._n_articles[k]
        if n <= 0:
            return None
        unk = self.config.unknown

        def top(keys: Iterable[str], pair_of) -> tuple[tuple[str, int], ...]:
            ranked = []
            for o in keys:
                acc = self._pairs.get(pair_of(o))
                if o != k and acc is not None and acc.n > 0:
                    ranked.append((-acc.n, self.names.get(o, unk), acc.n))
            return tuple((name, cnt) for _, name, cnt in sorted(ranked)[: self.config.top])

        delays = sorted(self._delays.get(k, {}).values())
        return OutletStats(
            outlet=self.names.get(k, unk),
            articles=n,
            original=n - self._copied[k],
            top_sources=top(self._by_target.get(k, ()), lambda o: (o, k)),
            top_copiers=top(self._by_source.get(k, ()), lambda o: (k, o)),
            stories=self._covered[k],
            first=self._firsts[k],
            delay_count=len(delays),
            delay_hours_median=quantile(delays, 0.5),
            delay_hours_p90=quantile(delays, 0.9),
        )


def _first_word(outlet: str | None) -> str | None:
    """The word every citation cue for ``outlet`` contains (:func:`storyline.reuse.citation_strength` drops
    a leading "The" and matches the rest of the name)."""
    if not outlet:
        return None
    words = outlet.split()
    if len(words) > 1 and words[0].casefold() == "the":
        words = words[1:]
    return words[0] if words else None


def _store_revision(store: Any) -> tuple | None:
    revs = (store.articles_revision(), store.edges_revision(), store.stories_revision())
    return None if any(r is None for r in revs) else revs


# ---------------------------------------------------------------------- one aggregator per store

_AGGREGATORS: weakref.WeakKeyDictionary[Any, OutletAggregator] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def build_outlet_graph(store: Any, config: OutletConfig | None = None) -> OutletGraph:
    """The outlet graph computed from scratch (no cache): the reference :func:`outlet_graph` must equal."""
    return OutletAggregator(config).partial_fit(store).graph()


def outlet_graph(store: Any, config: OutletConfig | None = None) -> OutletGraph:
    """The store's outlet graph: the cached one while the store's article, edge and story revisions are
    unchanged, else brought up to date from what was stored since (a store that keeps no revisions gets
    a fresh build every call)."""
    config = config or OutletConfig()
    with _LOCK:
        agg = _AGGREGATORS.get(store)
        if agg is None or agg.config != config or _store_revision(store) is None:
            agg = OutletAggregator(config)
            _AGGREGATORS[store] = agg
    with agg.lock:
        return agg.partial_fit(store).graph()
