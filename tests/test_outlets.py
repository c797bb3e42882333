"""Who copies whom (storyline.outlets): checked against a corpus of real article text with known copying
(tests/outlet_corpus.py) run through the real pipeline, against the bundled seeds, and, on random stores,
against a from-scratch reference (the incremental graph must equal it after every chunk)."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import numpy as np
import outlet_corpus as oc
import pytest
from conftest import SEEDS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyline.config import Config
from storyline.ingest import read_inputs
from storyline.model import Article, Citation, ClaimGroup, ReuseEdge, Story
from storyline.outlets import (
    GroupsError,
    blind_spots,
    build_outlet_graph,
    claim_carriers,
    load_groups,
    outlet_graph,
    parse_groups,
    quantile,
    saved_groups,
    story_blind_spots,
    story_coverage,
    to_csv,
    to_graphml,
    to_json,
)
from storyline.outlets.export import xml_text
from storyline.pipeline import Pipeline
from storyline.store import SQLiteStore
from storyline.text import split_sentences

GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


def _ingest(path, docs) -> SQLiteStore:
    store = SQLiteStore(path)
    report = Pipeline(store, Config(), workers=1).ingest(docs)
    assert not report.rejected and not report.duplicates, (report.rejected, report.duplicates)
    return store


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    built = oc.build()
    store = _ingest(tmp_path_factory.mktemp("outlets") / "corpus.db", built.docs)
    by_source = {a.source: a for a in store.iter_articles()}
    yield store, built, by_source
    store.close()


def _story_of(store, by_source, name: str) -> str:
    sids = {store.story_of(by_source[f"{name}/{r}"].id) for r in "OBEGD"}
    assert len(sids) == 1, f"the five articles of {name} must be one story: {sids}"
    return sids.pop()


# ---------------------------------------------------------------------------- the corpus with known copying


def test_pair_counts_are_what_the_corpus_was_built_with(corpus):
    store, built, _ = corpus
    g = outlet_graph(store)
    n, r = len(built.stories), len(built.rewrites)
    want = {
        ("Alpha Wire", "Beta Times"): (0, n, 0, 0),  # B = O + a paragraph: near-duplicates
        ("Beta Times", "Epsilon Herald"): (n, 0, 0, 0),  # E = B's words: exact, attributed to B, not O
        ("Alpha Wire", "Gamma Post"): (0, 0, 0, n),
    }  # once per story, not again for B's and E's copies
    if r:
        want[("Eta Agency", "Zeta Review")] = (0, 0, r, 0)
    got = {k: (p.exact, p.near, p.rewrites, p.partial) for k, p in g.pairs.items()}
    assert got == want
    assert g.pair("alpha  wire", "BETA TIMES").share == 1.0  # every Beta article copies Alpha
    assert g.pair("Alpha Wire", "Gamma Post").share == 0.0 and g.pair("Alpha Wire", "Gamma Post").partial_share == 1.0
    assert (
        g.pair("Beta Times", "Epsilon Herald").added == 0.0
        and g.pair("Beta Times", "Epsilon Herald").source_kept == 1.0
    )
    assert 0 < g.pair("Alpha Wire", "Beta Times").added < 0.2  # B adds one paragraph of its own
    assert g.pair("Alpha Wire", "Gamma Post").added > 0.4  # G is mostly its own report


def test_lags_in_hours(corpus):
    store, built, _ = corpus
    g = outlet_graph(store)
    n = len(built.stories)
    lags = sorted(oc.LAG_B[:n])
    ab = g.pair("Alpha Wire", "Beta Times")
    assert ab.lag_count == n
    assert ab.lag_hours_median == pytest.approx(np.percentile(lags, 50))
    assert ab.lag_hours_p90 == pytest.approx(np.percentile(lags, 90))
    assert g.pair("Beta Times", "Epsilon Herald").lag_hours_median == 1.0
    assert g.pair("Alpha Wire", "Gamma Post").lag_hours_p90 == 5.0
    if built.rewrites:
        assert g.pair("Eta Agency", "Zeta Review").lag_hours_median == pytest.approx(np.median(oc.REWRITE_LAGS))


def test_copies_credit_their_source_as_written(corpus):
    store, built, _ = corpus
    g = outlet_graph(store)
    n = len(built.stories)
    ab = g.pair("Alpha Wire", "Beta Times")
    cited = len(oc.CITED & set(range(n)))
    assert ab.cited == cited
    assert ab.named == cited + len(oc.NAMED & set(range(n)))
    # E copies B's text, which credits Alpha Wire, not Beta Times
    assert g.pair("Beta Times", "Epsilon Herald").cited == 0 == g.pair("Beta Times", "Epsilon Herald").named


def test_outlets_original_share_sources_copiers(corpus):
    store, built, _ = corpus
    g = outlet_graph(store)
    n = len(built.stories)
    assert {
        o: g.outlet(o).original_share
        for o in ("Alpha Wire", "Beta Times", "Epsilon Herald", "Gamma Post", "Delta Daily")
    } == {"Alpha Wire": 1.0, "Beta Times": 0.0, "Epsilon Herald": 0.0, "Gamma Post": 1.0, "Delta Daily": 1.0}
    assert g.outlet("Alpha Wire").top_copiers == (("Beta Times", n), ("Gamma Post", n))
    assert g.outlet("Epsilon Herald").top_sources == (("Beta Times", n),)
    assert g.outlet("Delta Daily").top_sources == () == g.outlet("Delta Daily").top_copiers
    if built.rewrites:
        assert g.outlet("Zeta Review").original == 0 and g.outlet("Eta Agency").first == len(built.rewrites)


def _expected_joins(story: dict) -> list[tuple[str, float]]:
    arts = story["articles"]
    order = sorted(arts, key=lambda r: (arts[r][1], "OBEGD".index(r)))  # ties: ingest order
    first = arts[order[0]][1]
    return [(arts[r][0], (arts[r][1] - first).total_seconds() / 3600) for r in order]


def test_first_report_chains_and_join_order_per_story(corpus):
    store, built, by_source = corpus
    for k, s in enumerate(built.stories):
        sid = _story_of(store, by_source, s["name"])
        cov = story_coverage(store, sid[:10])  # a unique prefix is enough
        first = "Delta Daily" if k == 0 else "Alpha Wire"
        assert cov.first.outlet == first and cov.first_original.outlet == first
        o, b, e = (by_source[f"{s['name']}/{r}"].id for r in "OBE")
        (chain,) = cov.chains
        assert chain.original.id == o and [c.id for c in chain.copies] == [b, e]
        assert cov.original_of == {b: o, e: o}  # E copies B, and its chain starts at O
        assert [(j.outlet, j.delay_hours) for j in cov.joined] == _expected_joins(s)
        day = s["articles"]["O"][1].date().isoformat()
        assert cov.per_day == {outlet: {day: 1} for outlet, _ in _expected_joins(s)} and cov.days == (day,)


def test_outlets_first_in_stories_and_delays(corpus):
    store, built, _ = corpus
    g = outlet_graph(store)
    n = len(built.stories)
    assert g.outlet("Delta Daily").first == 1 and g.outlet("Alpha Wire").first == n - 1
    for outlet in ("Alpha Wire", "Beta Times", "Gamma Post", "Delta Daily"):
        delays = sorted(dict(_expected_joins(s))[outlet] for s in built.stories)
        st_ = g.outlet(outlet)
        assert st_.stories == n and st_.delay_count == n
        assert st_.delay_hours_median == pytest.approx(np.median(delays))
        assert st_.delay_hours_p90 == pytest.approx(np.percentile(delays, 90))


def test_blind_spots_of_the_groups(corpus):
    store, built, by_source = corpus
    groups = load_groups(store, oc.GROUPS_CSV)
    assert saved_groups(store) == groups and groups.dimensions == ("country", "owner")
    assert groups.unmatched(outlet_graph(store).outlets) == ("Omega Tribune",)
    ids = [_story_of(store, by_source, s["name"]) for s in built.stories]
    spots = {b.story_id: b for b in blind_spots(store)}
    assert set(ids) <= set(spots)
    for sid in ids:
        country, owner = spots[sid].dimensions
        assert country.covered == {
            "Atlantis": ("Alpha Wire", "Gamma Post"),
            "Borduria": ("Beta Times", "Epsilon Herald"),
            "Carpathia": ("Delta Daily",),
        }
        assert country.missing == ("Elbonia", "Freedonia") and country.ungrouped == ()
        assert set(owner.covered) == {"Alpha Group", "Beta Media", "Delta Trust"}
        assert owner.missing == ("Eta Holdings", "Omega Corp") and owner.ungrouped == ("Gamma Post",)
    assert [b.story_id for b in blind_spots(store, story_ids=[ids[0][:12]], dimensions=["owner"])] == [ids[0]]
    with pytest.raises(GroupsError):
        blind_spots(store, dimensions=["leaning"])


def test_claims_carried_by_groups(corpus, embedder):
    from storyline.analyze import analysis_for

    store, built, by_source = corpus
    groups = load_groups(store, oc.GROUPS_CSV)
    s = built.stories[-1]
    sid = _story_of(store, by_source, s["name"])
    if store.get_analysis(sid) is None:
        assert story_blind_spots(store, sid, groups).analysed is False
    analysis = analysis_for(store, sid, embedder=embedder)
    spots = story_blind_spots(store, sid, analysis=analysis, kinds=None)
    assert spots.analysed and len(spots.claims) == len(analysis.claims) > 0
    sentences = {
        role: {" ".join(x.split()) for p in paras for x in split_sentences(p)}
        for role, (_, _, paras) in s["articles"].items()
    }
    story_countries = {"Atlantis", "Borduria", "Carpathia"}
    delta_only = 0
    for claim, carriers in zip(analysis.claims, spots.claims, strict=True):
        # the countries of the outlets whose built text carries one of the claim's sentences
        roles = {r for c in claim.claims for r, ss in sentences.items() if " ".join((c.text or "").split()) in ss}
        assert roles, claim.label
        built_countries = {oc.COUNTRY[s["articles"][r][0]] for r in roles}
        assert set(carriers.carried_by["country"]) == built_countries
        assert set(carriers.not_carried_by["country"]) == story_countries - built_countries
        delta_only += roles == {"D"}
        if roles == {"D"}:
            assert carriers.carried_by["country"] == ("Carpathia",) and carriers.kind == "unique"
    assert delta_only, "Delta's independent report has claims no other outlet carries"
    consensus = story_blind_spots(store, sid, analysis=analysis)  # default: consensus and unique claims only
    assert {c.kind for c in consensus.claims} <= {"consensus", "unique"}


def test_seeds_tass_is_rewritten_by_tasnim_and_first(tmp_path):
    store = _ingest(tmp_path / "seeds.db", read_inputs([str(SEEDS)]))
    g = outlet_graph(store)
    p = g.pair("TASS", "Tasnim")
    assert (p.rewrites, p.copies, p.partial) == (1, 0, 0) and p.share == 1.0
    assert p.cited == 1  # "/TASS/", "TASS reported": Tasnim credits its source
    assert p.lag_count == 0  # Tasnim's text gives no date
    assert g.outlet("Tasnim").original == 0 and g.outlet("TASS").top_copiers == (("Tasnim", 1),)
    (sid,) = g.stories
    cov = story_coverage(store, sid)
    assert cov.first.outlet == "TASS" and cov.first_original.outlet == "TASS"
    assert [c.original.outlet for c in cov.chains] == ["TASS"] and cov.chains[0].outlets == ("Tasnim",)
    assert g.outlet("TASS").first == 1
    assert g.outlet("(unknown)").articles == 1  # 004 names no outlet
    store.close()


# ---------------------------------------------------------------------------- hand-built stores


def _article(
    aid: str, outlet: str | None, when: datetime | None, precision: str | None = "minute", text: str = ""
) -> Article:
    return Article(
        id=aid,
        source=aid,
        paragraphs=[text or f"Body of {aid}."],
        outlet=outlet,
        published=when,
        date_precision=precision if when else None,
    )


def _edge(s: str, t: str, relation: str, conf: float = 0.9, sc: float = 1.0, tc: float = 1.0) -> ReuseEdge:
    return ReuseEdge(s, t, relation, conf, sc, tc, "date", 0.9)


T = datetime(2024, 5, 1, 12, 0)


def test_lags_at_the_precision_both_dates_have(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    with store.transaction():
        for a in [
            _article("a", "A", T),
            _article("b", "B", T + timedelta(minutes=90)),
            _article("c", "C", T.replace(hour=0) + timedelta(days=2), "day"),
            _article("d", "D", None),
        ]:
            store.put_article(a)
        store.put_edges([_edge("a", "b", "near-duplicate"), _edge("a", "c", "rewrite"), _edge("a", "d", "rewrite")])
    g = outlet_graph(store)
    assert g.pair("A", "B").lag_hours_median == 1.5
    assert g.pair("A", "C").lag_hours_median == 48.0  # a day-precision date: whole days
    assert g.pair("A", "D").lag_count == 0 and g.pair("A", "D").lag_hours_median is None


def test_update_reads_only_what_was_stored_since(tmp_path, monkeypatch):
    store = SQLiteStore(tmp_path / "s.db")
    with store.transaction():
        store.put_article(_article("x", "X", T))
        store.put_article(_article("a", "A", T))
        store.put_article(_article("b", "B", T + timedelta(hours=1)))
        store.put_edges([_edge("a", "b", "exact-duplicate")])
        store.save_story(Story("s0", ["x"]))
        store.save_story(Story("s1", ["a", "b"]))
    g1 = outlet_graph(store)
    assert outlet_graph(store) is g1  # unchanged store: the cached graph
    calls = []
    for name in ("article_meta_since", "edge_rows_since", "story_members"):
        orig = getattr(store, name)
        monkeypatch.setattr(store, name, lambda *a, _o=orig, _n=name, **k: calls.append((_n, a)) or _o(*a, **k))
    with store.transaction():
        store.put_article(_article("c", "C", T + timedelta(hours=3)))
        store.put_edges([_edge("b", "c", "rewrite")])
        store.save_story(Story("s2", ["c"]))
    g2 = outlet_graph(store)
    assert g2.pair("B", "C").rewrites == 1 and g1.pair("B", "C") is None  # snapshots are immutable
    assert ("article_meta_since", (3,)) in calls  # only articles after seq 3
    assert [a for n, a in calls if n == "edge_rows_since"] == [(1,)]  # only edge rows after the first
    # only the stories that changed: s2 (new) and s1 (an edge from its article b), not s0
    assert [sorted(a[0]) for n, a in calls if n == "story_members"] == [["s1", "s2"]]
    assert g2.pairs[("A", "B")] is g1.pairs[("A", "B")]  # an unchanged pair is not recomputed


def test_an_edge_stored_again_replaces_the_old_one(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    with store.transaction():
        store.put_article(_article("a", "A", T))
        store.put_article(_article("b", "B", T + timedelta(hours=1)))
        store.put_edges([_edge("a", "b", "rewrite")])
    assert outlet_graph(store).pair("A", "B").rewrites == 1
    store.put_edges([_edge("a", "b", "independent")])
    assert outlet_graph(store).pair("A", "B") is None and outlet_graph(store).outlet("B").original == 1


def test_partial_reuse_explained_by_a_common_source(tmp_path):
    """G carries passages of O; H carries passages of O and of G (the same ones): H drew on O's chain."""
    store = SQLiteStore(tmp_path / "s.db")
    with store.transaction():
        for k, (aid, outlet) in enumerate([("o", "O"), ("c", "C"), ("g", "G"), ("h", "H")]):
            store.put_article(_article(aid, outlet, T + timedelta(hours=k)))
        store.put_edges(
            [
                _edge("o", "c", "exact-duplicate"),
                _edge("o", "g", "partial-reuse"),
                _edge("c", "g", "partial-reuse"),
                _edge("o", "h", "partial-reuse"),
                _edge("g", "h", "partial-reuse"),
                _edge("c", "h", "partial-reuse"),
            ]
        )
    g = outlet_graph(store)
    assert {k: p.partial for k, p in g.pairs.items() if p.partial} == {("O", "G"): 1, ("O", "H"): 1}


@pytest.mark.parametrize("case", ["descendants", "two-levels"])
def test_a_moved_attribution_updates_what_depends_on_it(tmp_path, case):
    """An article becoming a copy moves the roots of its own copies (descendants: C copies X; P draws on C and
    on O) and what the articles drawing on it draw on (two-levels: Y draws on X, Z on Y and on O)."""
    store = SQLiteStore(tmp_path / "s.db")
    names = {"descendants": ["o", "x", "c", "p"], "two-levels": ["o", "x", "y", "z"]}[case]
    first = {
        "descendants": [
            _edge("x", "c", "exact-duplicate"),
            _edge("o", "p", "partial-reuse"),
            _edge("c", "p", "partial-reuse"),
        ],
        "two-levels": [
            _edge("x", "y", "partial-reuse"),
            _edge("y", "z", "partial-reuse"),
            _edge("o", "z", "partial-reuse"),
        ],
    }[case]
    with store.transaction():
        for k, aid in enumerate(names):
            store.put_article(_article(aid, aid.upper(), T + timedelta(hours=k)))
        store.put_edges(first)
    before = {k for k, p in outlet_graph(store).pairs.items() if p.partial}
    store.put_edges([_edge("o", "x", "exact-duplicate")])  # X turns out to copy O
    g = outlet_graph(store)
    assert dict(g.pairs) == dict(build_outlet_graph(store).pairs)
    after = {k for k, p in g.pairs.items() if p.partial}
    if case == "descendants":
        assert before == {("O", "P"), ("C", "P")} and after == {("O", "P")}  # C's passages are O's now
    else:
        assert before == {("X", "Y"), ("Y", "Z"), ("O", "Z")} and after == {("X", "Y"), ("O", "Z")}


def test_citation_cues(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    texts = {
        "b": "The treaty was signed, according to The Alpha Post.",
        "c": "Alpha Post readers saw it first.",
        "d": "Nothing credits anyone here at all.",
    }
    with store.transaction():
        store.put_article(_article("a", "The Alpha Post", T))
        for k, (aid, text) in enumerate(texts.items()):
            store.put_article(_article(aid, "X", T + timedelta(hours=k + 1), text=text))
        store.put_edges([_edge("a", x, "near-duplicate") for x in texts])
    p = outlet_graph(store).pair("the alpha post", "x")
    assert (p.cited, p.named, p.copies) == (1, 2, 3)


def _plain(sqlite: SQLiteStore):
    """A store with only the abstract interface (SQLite underneath): the base class's light-read defaults."""
    from storyline.store.base import Store

    methods = {
        name: (lambda self, *a, _n=name, **k: getattr(sqlite, _n)(*a, **k)) for name in Store.__abstractmethods__
    }
    return type("PlainStore", (Store,), methods)()


# ---------------------------------------------------------------------------- random stores vs a reference

OUTLETS = ["A", "B", "b", "C", None]
RELS = ["exact-duplicate", "near-duplicate", "rewrite", "partial-reuse", "independent"]
RANK = {"exact-duplicate": 0, "near-duplicate": 1, "rewrite": 2}


def _reference(arts: dict, edges: dict, stories: dict) -> dict:
    """From scratch: copy attribution, partial reuses per chain, originals, firsts (the rules of docs/outlets.md)."""

    def key(a):
        return (arts[a].published is None, arts[a].published or datetime.min, arts[a].seq, a)

    def name(a):
        o = arts[a].outlet
        return names.setdefault(o.casefold(), o) if o else "(unknown)"

    names: dict = {}
    for a in sorted(arts, key=lambda x: arts[x].seq):
        name(a)
    into: dict = {}
    for (s, t), e in edges.items():
        if e.relation != "independent" and s != t:
            into.setdefault(t, {})[s] = e
    copy_of = {}
    for t, es in into.items():
        cands = [(RANK[e.relation], -e.confidence, key(s), s) for s, e in es.items() if e.relation in RANK]
        if cands:
            copy_of[t] = min(cands)[3]

    def root(x):
        seen = {x}
        while x in copy_of and copy_of[x] not in seen:
            x = copy_of[x]
            seen.add(x)
        return x

    def partial_sources(x):
        return [s for s, e in into.get(x, {}).items() if e.relation == "partial-reuse"]

    counts: dict = {}
    for t in arts:
        contrib = [(copy_of[t], into[t][copy_of[t]].relation)] if t in copy_of else []
        draws = {root(t)} | {root(s) for s in partial_sources(t)}
        chains: dict = {}
        for s in partial_sources(t):
            r = root(s)
            if r in (root(t), t) or ({root(p) for p in partial_sources(s)} - {r}) & draws:
                continue
            rank = (s != r, -into[t][s].confidence, key(s))
            if r not in chains or rank < chains[r][0]:
                chains[r] = (rank, s)
        contrib += [(s, "partial-reuse") for _, s in chains.values()]
        for s, rel in contrib:
            c = counts.setdefault((name(s), name(t)), {r: 0 for r in RELS[:4]})
            c[rel] += 1
    firsts: dict = {}
    for members in stories.values():
        dated = [a for a in members if arts[a].published]
        if dated:
            f = min(dated, key=key)
            firsts[name(f)] = firsts.get(name(f), 0) + 1
    originals: dict = {}
    for a in arts:
        originals[name(a)] = originals.get(name(a), 0) + (a not in copy_of)
    return {"pairs": counts, "firsts": firsts, "originals": originals}


def _observed(g) -> dict:
    return {
        "pairs": {
            k: {"exact-duplicate": p.exact, "near-duplicate": p.near, "rewrite": p.rewrites, "partial-reuse": p.partial}
            for k, p in g.pairs.items()
        },
        "firsts": {o: s.first for o, s in g.outlets.items() if s.first},
        "originals": {o: s.original for o, s in g.outlets.items()},
    }


_art_st = st.tuples(
    st.sampled_from(OUTLETS), st.one_of(st.none(), st.integers(0, 40)), st.sampled_from(["minute", "day"])
)
_chunk_st = st.tuples(
    st.lists(_art_st, max_size=4),
    st.lists(
        st.tuples(st.integers(0, 99), st.integers(0, 99), st.sampled_from(RELS), st.sampled_from([0.7, 0.8, 0.9])),
        max_size=6,
    ),
    st.lists(st.integers(0, 3), max_size=4),
    st.booleans(),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunks=st.lists(_chunk_st, min_size=1, max_size=6), plain=st.booleans())
def test_incremental_graph_equals_a_fresh_build_and_the_reference(chunks, plain):
    with tempfile.TemporaryDirectory() as d:
        sqlite = SQLiteStore(f"{d}/r.db")
        store = _plain(sqlite) if plain else sqlite
        arts: dict = {}
        edges: dict = {}
        member: dict = {}  # article -> story number
        for new, new_edges, moves, wipe in chunks:
            with sqlite.transaction():
                for outlet, hours, precision in new:
                    aid = f"{len(arts):016x}"
                    when = T + timedelta(hours=hours) if hours is not None else None
                    if when is not None and precision == "day":
                        when = when.replace(hour=0, minute=0)
                    a = _article(aid, outlet, when, precision, text=f"Story {aid}, according to A.")
                    sqlite.put_article(a)
                    arts[aid] = a
                    member[aid] = len(arts) % 3
                ids = sorted(arts)
                for i, j, rel, conf in new_edges if ids else ():
                    s, t = sorted((ids[i % len(ids)], ids[j % len(ids)]), key=lambda x: arts[x].seq)
                    if s != t:
                        edges[(s, t)] = _edge(s, t, rel, conf)
                        sqlite.put_edges([edges[(s, t)]])
                for k, m in enumerate(moves):  # articles move between stories: every changed story is saved
                    if ids:
                        member[ids[(k * 7 + m) % len(ids)]] = m
                if wipe:
                    sqlite.delete_stories()
                else:
                    for sid in range(4):
                        got = [a for a in ids if member[a] == sid]
                        if got:
                            sqlite.save_story(Story(f"s{sid}", got))
                        elif sqlite.get_story(f"s{sid}") is not None:
                            sqlite.record_merge(f"s{sid}", "s0")
            g = outlet_graph(store)
            fresh = build_outlet_graph(store)
            assert dict(g.pairs) == dict(fresh.pairs) and dict(g.outlets) == dict(fresh.outlets)
            assert dict(g.stories) == dict(fresh.stories)
            stories = {} if wipe else {s: m for s, m in sqlite.story_members().items()}
            assert _observed(g) == _reference(arts, edges, stories)
        sqlite.close()


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=50), st.floats(0, 1))
def test_quantile_is_numpys_linear_percentile(values, q):
    assert quantile(sorted(values), q) == pytest.approx(float(np.percentile(values, 100 * q)), rel=1e-9, abs=1e-6)


# ---------------------------------------------------------------------------- exports and groups


def _graph_with_names(tmp_path, names: list[str]):
    store = SQLiteStore(tmp_path)
    with store.transaction():
        for k, n in enumerate(names):
            store.put_article(_article(f"{k:016x}", n, T + timedelta(hours=k)))
        store.put_edges([_edge(f"{k:016x}", f"{k + 1:016x}", "rewrite") for k in range(len(names) - 1)])
    return store, build_outlet_graph(store)


_names = st.lists(
    st.text(min_size=1, max_size=12).filter(lambda s: s.split() and xml_text(" ".join(s.split()))),
    min_size=2,
    max_size=5,
    unique_by=lambda s: " ".join(s.split()).casefold(),
)


@settings(max_examples=30, deadline=None)
@given(names=_names)
def test_exports_carry_any_outlet_name(names):
    with tempfile.TemporaryDirectory() as d:
        store, g = _graph_with_names(f"{d}/e.db", names)
        shown = {" ".join(n.split()) for n in names}
        root = ET.fromstring(to_graphml(g).encode("utf-8"))  # well-formed whatever the names hold
        labels = {d.text for d in root.iter(f"{GRAPHML}data") if d.get("key") == "n_label"}
        assert labels == {xml_text(n) for n in shown}
        edges = list(root.iter(f"{GRAPHML}edge"))
        assert len(edges) == len(g.pairs) == len(names) - 1
        rows = list(csv.DictReader(io.StringIO(to_csv(g))))
        assert {(r["source"], r["copier"]) for r in rows} == set(g.pairs)
        assert {r["outlet"] for r in csv.DictReader(io.StringIO(to_csv(g, "outlets")))} == shown
        data = json.loads(to_json(g))
        assert {(p["source"], p["copier"]) for p in data["pairs"]} == set(g.pairs) and data["units"]
        store.close()


_group_rows = st.dictionaries(
    st.text("abcdefgh XY", min_size=1, max_size=8).filter(str.strip),
    st.tuples(st.sampled_from(["north", "south", ""]), st.sampled_from(["state", "private"])),
    max_size=6,
)


@given(rows=_group_rows, delimiter=st.sampled_from([",", ";", "\t"]))
def test_groups_csv_round_trip(rows, delimiter):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(["Outlet", "region", "owner"])
    for outlet, (region, owner) in rows.items():
        w.writerow([outlet, region, owner])
    groups = parse_groups("\ufeff" + buf.getvalue())
    assert groups.dimensions == ("region", "owner")
    by_key: dict = {}
    for outlet, (region, owner) in rows.items():  # outlets that differ only in case/spacing are one
        got = by_key.setdefault(" ".join(outlet.split()).casefold(), ([], []))
        got[0].extend([region] if region and region not in got[0] else [])
        got[1].extend([owner] if owner not in got[1] else [])
    for key, (regions, owners) in by_key.items():
        assert groups.groups_of(key, "region") == tuple(regions) and groups.groups_of(key, "owner") == tuple(owners)
    assert type(groups).from_json(groups.to_json()) == groups


@pytest.mark.parametrize(
    "text", ["", "name,group\nA,x\n", "outlet\nA\n", "outlet,g,g\nA,x,y\n", "outlet,g\n,x\n", "outlet,g\nA,x,extra\n"]
)
def test_groups_csv_errors(text):
    with pytest.raises(GroupsError):
        parse_groups(text)


def test_one_group_column_and_claims_of_given_kinds():
    groups = parse_groups("outlet,group\nA,left\nA,centre\nB,right\nC,left\n")
    assert groups.dimensions == ("group",) and groups.groups_of("a", "group") == ("left", "centre")
    assert groups.outlets_in("group", "left") == ("A", "C")
    claims = [
        ClaimGroup(0, [Citation("x", 0, "A"), Citation("y", 0, "B")], ["A", "B"], "consensus", "both"),
        ClaimGroup(1, [Citation("z", 0, "C")], ["C"], "unique", "only C"),
        ClaimGroup(2, [Citation("z", 1, None)], ["article z"], "partial", "odd"),
    ]
    got = claim_carriers(claims, groups, ["A", "B", "C"])
    assert [(c.claim_id, c.carried_by["group"], c.not_carried_by["group"]) for c in got] == [
        (0, ("centre", "left", "right"), ()),
        (1, ("left",), ("centre", "right")),
    ]
    assert len(claim_carriers(claims, groups, ["A"], kinds=None)) == 3
