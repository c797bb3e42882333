"""Citation cues: whether a text credits an outlet as its source, the cue behind direction and the outlet graph."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storyline.model import Article
from storyline.reuse.direction import citation_strength, cites, decide_direction


def _art(text: str, outlet: str | None = None, aid: str = "a") -> Article:
    return Article(id=aid, source=aid, paragraphs=[text], outlet=outlet)


@pytest.mark.parametrize(
    "text",
    [
        "MOSCOW, January 26. /TASS/. The United States handed over its written reply.",
        "The reply was handed over on Wednesday, TASS reported.",
        "According to TASS, the reply was handed over on Wednesday.",
        "The reply was handed over on Wednesday (TASS).",
        "The reply, the Washington   Post reported, was handed over on Wednesday.",
    ],
)
def test_a_credited_outlet_is_cited(text):
    outlet = "The Washington Post" if "Post" in text else "TASS"
    assert cites(_art(text), outlet)
    assert citation_strength(text, outlet) == 0.85


@pytest.mark.parametrize(
    "text, outlet",
    [
        ("TASS journalists were not allowed into the briefing.", "TASS"),  # named, not credited
        ("The reply was handed over on Wednesday, Reuters reported.", "TASS"),  # another outlet credited
        ("Brass bands played as the tassels swayed.", "TASS"),  # the name inside other words
        ("The reply was handed over on Wednesday.", None),
        ("The reply was handed over, X reported.", "X"),  # a one-letter name is no cue
    ],
)
def test_a_named_or_absent_outlet_is_not_cited(text, outlet):
    assert not cites(_art(text), outlet)


def test_a_named_outlet_is_weaker_than_a_credited_one():
    assert citation_strength("TASS journalists were not allowed in.", "TASS") == 0.6
    assert citation_strength("Nothing about the agency here.", "TASS") == 0.0


@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200),
    st.sampled_from(["TASS", "Reuters", "The Washington Post", "Tasnim News Agency"]),
)
def test_cited_implies_named(text, outlet):
    """Whatever the text (regex metacharacters included), crediting an outlet means its name is in the text."""
    if cites(_art(text), outlet):
        name = outlet.removeprefix("The ").lower().split()[0]
        assert name in text.lower()


def test_undated_copy_that_credits_its_source_points_back_to_it():
    body = "The United States handed over its written reply on security guarantees to Russia on Wednesday."
    original = _art(body, outlet="TASS", aid="tass")
    copy = _art(body + " TASS reported.", outlet="Tasnim", aid="tasnim")
    for a, b in ((original, copy), (copy, original)):
        src, tgt, rule, _ = decide_direction(a, b)
        assert (src.id, tgt.id, rule) == ("tass", "tasnim", "citation")
