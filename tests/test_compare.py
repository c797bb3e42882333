"""Agreement and difference: claim groups on the seeds (README facts) and difference flagging."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seedutil import by_file

from storyline.compare import compare_claims, differences, source_keys, unique_by_outlet
from storyline.config import AnalysisConfig
from storyline.model import Article
from storyline.text import article_sentences


@pytest.fixture(scope="module")
def groups(seeds, embedder):
    arts, copies = seeds
    return compare_claims(arts, embedder, AnalysisConfig(), copies)


def _group_of(groups, prefix: str, *keywords: str):
    a = by_file(prefix)
    for g in groups:
        for c in g.claims:
            if c.article_id == a.id and all(k.lower() in (c.text or "").lower() for k in keywords):
                return g
    raise AssertionError(f"no claim of {prefix} with {keywords}")


def test_copy_rule_finds_the_rewrite(seeds):
    arts, copies = seeds
    assert copies == {by_file("000").id: by_file("001").id}  # derived from the text, not hard-coded


def test_every_claim_in_exactly_one_group(groups, seeds):
    arts, _ = seeds
    seen = [(c.article_id, c.sentence_index) for g in groups for c in g.claims]
    assert len(seen) == len(set(seen))
    by_id = {a.id: a for a in arts}
    for g in groups:
        for c in g.claims:
            assert article_sentences(by_id[c.article_id])[c.sentence_index].text == c.text
        assert g.label in [c.text for c in g.claims]


def test_consensus_not_to_publish(groups, seeds):
    arts, copies = seeds
    src = source_keys(arts, copies)
    g = _group_of(groups, "001", "not to release")
    assert g.kind == "consensus"
    assert len(g.outlets) >= 3
    assert len({src[c.article_id] for c in g.claims}) >= 2
    other = by_file("002").id
    assert any(c.article_id == other and "not to publish" in c.text for c in g.claims)


def test_consensus_no_commitment_on_open_door(groups, seeds):
    arts, copies = seeds
    src = source_keys(arts, copies)
    g = _group_of(groups, "001", "openness policy")
    assert g.kind == "consensus" and len(g.outlets) >= 3
    others = [c for c in g.claims if src[c.article_id] != src[by_file("001").id]]
    assert others and all("open" in c.text.lower() for c in others)


@pytest.mark.parametrize(
    "prefix,keywords",
    [
        ("002", ("hour and a half",)),  # length of the Geneva meeting
        ("002", ("Dudakov",)),  # experts' views
        ("002", ("Suslov",)),
        ("003", ("Sullivan",)),  # the handover
        ("003", ("handed over",)),
        ("004", ("Tomahawk",)),  # transparency proposal
        ("004", ("medium-range",)),  # short- and medium-range missile talks
    ],
)
def test_unique_claims_attributed_to_the_right_article(groups, prefix, keywords):
    g = _group_of(groups, prefix, *keywords)
    a = by_file(prefix)
    assert g.kind == "unique"
    assert {c.article_id for c in g.claims} == {a.id}
    label = a.outlet or f"article {a.id[:8]}"
    assert g in unique_by_outlet(groups)[label]


def test_copies_count_as_one_source(seeds, embedder, groups):
    arts, copies = seeds
    copy_id = by_file("000").id
    # a claim only the copy and its original carry is unique (one source)...
    pair = [g for g in groups if {c.article_id for c in g.claims} == {copy_id, copies[copy_id]}]
    assert pair and all(g.kind == "unique" for g in pair)
    # labels are the original's wording, never the copy's, when the original is in the group
    for g in groups:
        if any(c.article_id == copies[copy_id] for c in g.claims):
            assert next(c for c in g.claims if c.text == g.label).article_id != copy_id
    # ...but counts as two outlets when the copy is not known
    without = compare_claims(arts, embedder, AnalysisConfig(), None)
    text = pair[0].claims[0].text
    g2 = next(g for g in without if text in [c.text for c in g.claims])
    assert g2.kind != "unique"


def _art(i: int, outlet: str, *paras: str) -> Article:
    return Article(id=f"t{i}", source=f"mem{i}", paragraphs=list(paras), outlet=outlet)


def test_difference_flagged_in_a_story(embedder):
    filler = [
        "The weather in the capital was cold and grey on Monday morning.",
        "Local football fans celebrated a late victory in the city derby.",
        "A new bakery opened near the central railway station this week.",
    ]
    arts = [
        _art(
            1, "Daily A", "Russia has deployed 100,000 troops near the border with Ukraine, officials said.", filler[0]
        ),
        _art(
            2, "Daily B", "Russia has deployed 120,000 troops near the border with Ukraine, officials said.", filler[1]
        ),
        _art(3, "Daily C", "Prices of wheat rose sharply after a poor harvest in the south of the country.", filler[2]),
    ]
    groups = compare_claims(arts, embedder, AnalysisConfig())
    g = next(g for g in groups if any("troops" in c.text for c in g.claims))
    assert {c.article_id for c in g.claims} == {"t1", "t2"}
    assert "number: 100,000 vs 120,000" in g.differences
    assert g.kind == "consensus"  # 2 of 3 outlets
    assert all(not x.differences for x in groups if x is not g)


def test_differences_on_made_up_pairs():
    assert differences(["He sent 100,000 troops.", "He sent 120,000 troops."]) == ["number: 100,000 vs 120,000"]
    assert differences(["He sent 100,000 troops.", "He sent 100,000 troops to the border."]) == []
    assert differences(["The talks were held on January 10.", "The talks were held on 12 January."]) == [
        "date: January 10 vs 12 January"
    ]
    assert differences(["The talks were held on January 10, 2022.", "The talks were held on 10 January."]) == []
    assert differences(["Lavrov met Blinken in Geneva on Friday.", "Lavrov met Blinken in Vienna on Friday."]) == [
        "name: Geneva vs Vienna"
    ]
    # a rewording that names the same people differently is no difference
    assert differences(["Sergey Lavrov met Antony Blinken.", "Sergei Lavrov met Blinken."]) == []
    assert differences(["Only one text."]) == []


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 10_000_000), st.integers(1, 10_000_000))
def test_number_difference_property(a, b):
    ta, tb = f"Officials counted {a:,} people at the rally.", f"Officials counted {b:,} people at the rally."
    d = differences([ta, tb])
    if a == b:
        assert d == []
    else:
        assert d == [f"number: {a:,} vs {b:,}"]
