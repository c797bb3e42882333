"""Quotes: direct and indirect, with speakers resolved and normalised across articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyline.clean import Cleaner
from storyline.ingest import read_inputs
from storyline.model import Article
from storyline.quotes import QuoteExtractor, name_clusters

SEEDS = Path(__file__).resolve().parents[1] / "examples" / "seeds"


@pytest.fixture(scope="module")
def qx() -> QuoteExtractor:
    return QuoteExtractor()


@pytest.fixture(scope="module")
def seeds() -> dict[str, Article]:
    raws = list(read_inputs([SEEDS]))
    cleaner = Cleaner().fit(raws)
    arts = [cleaner.transform(r) for r in raws]
    assert all(isinstance(a, Article) for a in arts)
    return {a.source.split("/")[-1][:3]: a for a in arts}  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def seed_quotes(qx, seeds):
    return qx.extract(list(seeds.values()))


def _find(quotes, article: Article, fragment: str):
    return [q for q in quotes if q.article_id == article.id and fragment.lower() in q.text.lower()]


def _art(text: str, aid: str = "x") -> Article:
    return Article(id=aid, source=aid, paragraphs=[p for p in text.split("\n\n")])


# --------------------------------------------------------------------------- seeds (README facts)


@pytest.mark.parametrize(
    "file, fragment", [("000", "one decision-maker in Russia"), ("001", "There is a decision maker in Russia")]
)
def test_seed_unnamed_biden_official(seeds, seed_quotes, file, fragment):
    qs = _find(seed_quotes, seeds[file], fragment)
    assert qs, fragment
    q = qs[0]
    assert q.kind == "direct" and q.speaker_kind == "unnamed"
    assert "Biden administration official" in (q.speaker or "")


def test_seed_lavrov_to_duma_and_on_publishing(seeds, seed_quotes):
    duma = _find(seed_quotes, seeds["003"], "In case of a response that is not constructive")
    assert duma and duma[0].speaker_kind == "person" and "Lavrov" in duma[0].speaker
    assert duma[0].speaker_as_written == "he"  # resolved from the pronoun
    publish = _find(seed_quotes, seeds["002"], "I think it would be right to make")
    assert publish and "Lavrov" in publish[0].speaker
    assert publish[0].speaker == duma[0].speaker  # one name across articles
    # "the Foreign Minister said" resolves to the man the article introduced with that role
    fm = _find(seed_quotes, seeds["002"], "The experience of our communication")
    assert fm and fm[0].speaker == duma[0].speaker and fm[0].speaker_as_written == "the Foreign Minister"


def test_seed_blinken_psaki_nato(seeds, seed_quotes):
    bl = _find(seed_quotes, seeds["003"], "diplomacy has the best chance to succeed")
    assert bl and bl[0].kind == "direct" and "Blinken" in bl[0].speaker and bl[0].speaker_kind == "person"
    sec = _find(seed_quotes, seeds["002"], "I told him")
    assert sec and sec[0].speaker == bl[0].speaker  # "the Secretary of State said"; Antony/Anthony Blinken
    ps = _find(seed_quotes, seeds["002"], "We will put in writing")
    assert ps and ps[0].speaker_kind == "person" and "Psaki" in ps[0].speaker and ps[0].speaker_as_written == "she"
    nato = _find(seed_quotes, seeds["004"], "we call on Russia to de-escalate")
    assert nato and nato[0].speaker == "NATO" and nato[0].speaker_kind == "organization"
    assert nato[0].speaker_as_written == "the NATO statement"


def test_seed_analysts(seeds, seed_quotes):
    dud = _find(seed_quotes, seeds["002"], "non-bloc status of Ukraine")
    assert dud and dud[0].speaker == "Malek Dudakov" and dud[0].speaker_as_written == "the expert"
    sus = [q for q in seed_quotes if q.article_id == seeds["002"].id and q.speaker == "Dmitry Suslov"]
    assert sus and any("Founding Act" in q.text for q in sus)


def test_seed_name_normalisation(seeds, seed_quotes):
    lavrov = {q.speaker for q in seed_quotes if q.speaker and "Lavrov" in q.speaker}
    psaki = {q.speaker for q in seed_quotes if q.speaker and "Psaki" in q.speaker}
    assert len(lavrov) == 1 and len(psaki) == 1
    assert lavrov.pop() in ("Sergei Lavrov", "Sergey Lavrov")
    arts_with_lavrov = {q.article_id for q in seed_quotes if q.speaker and "Lavrov" in q.speaker}
    assert {seeds["000"].id, seeds["001"].id, seeds["002"].id, seeds["003"].id} <= arts_with_lavrov
    written = {q.speaker_as_written for q in seed_quotes if q.speaker and "Psaki" in q.speaker}
    assert "White House press secretary Jen Psaki" in written and "Psaki" in written


def test_seed_quotes_cite_real_sentences(seeds, seed_quotes):
    from storyline.text import article_sentences

    by_id = {a.id: article_sentences(a) for a in seeds.values()}
    for q in seed_quotes:
        sent = by_id[q.article_id][q.sentence_index].text
        # the quote starts in the sentence it cites
        assert q.text.split()[0] in sent


# --------------------------------------------------------------------------- patterns on made-up text


def test_speaker_after_and_before(qx):
    a = _art(
        "“The bridge will reopen on Monday after the repairs,” Mayor Anna Kowalski said.\n\n"
        "Transport minister Piet de Vries told reporters: “We have no money left for a second bridge.”\n\n"
        "“Nobody was hurt in the collapse,” said Kowalski."
    )
    qs = qx.extract([a])
    by = {q.text[:12]: q for q in qs}
    assert by["The bridge w"].speaker == "Anna Kowalski" and by["The bridge w"].kind == "direct"
    assert by["We have no m"].speaker == "Piet de Vries"
    assert by["Nobody was h"].speaker == "Anna Kowalski"  # surname alone -> the full name


def test_pronoun_and_continuation(qx):
    a = _art(
        "Prime Minister Helena Marsh visited the flooded town on Sunday.\n\n"
        "“We will rebuild every house,” she said. “The state will pay for all of it.”\n\n"
        "“Nobody will be left behind,” she added."
    )
    qs = [q for q in qx.extract([a]) if q.kind == "direct"]
    assert len(qs) == 3
    assert {q.speaker for q in qs} == {"Helena Marsh"}
    assert qs[0].speaker_as_written == "she"


def test_according_to_and_indirect(qx):
    a = _art(
        "According to police spokesman Tom Berg, the suspect fled the city before dawn.\n\n"
        "Finance Minister Laura Chen said that inflation would fall below three percent next year.\n\n"
        "The governor told reporters that the roads would stay closed until Friday."
    )
    qs = qx.extract([a])
    berg = [q for q in qs if "suspect fled" in q.text]
    assert berg and berg[0].speaker == "Tom Berg" and berg[0].kind == "indirect"
    chen = [q for q in qs if "inflation" in q.text]
    assert chen and chen[0].speaker == "Laura Chen" and chen[0].kind == "indirect"
    assert not chen[0].text.lower().startswith("that ")


def test_relative_and_appositive_subjects(qx):
    a = _art(
        "He got support from opposition leader Mesut Yilmaz, who said his party would back the new cabinet.\n\n"
        "The leader of the farmers' union, Anna Berglund, said that the protests would go on all winter."
    )
    qs = qx.extract([a])
    y = [q for q in qs if "back the new cabinet" in q.text]
    assert y and y[0].speaker == "Mesut Yilmaz"
    b = [q for q in qs if "protests" in q.text]
    assert b and b[0].speaker == "Anna Berglund"


def test_negated_speech_is_no_quote(qx):
    a = _art("Mrs. Ciller has not said if she would back an Ecevit-led government in the vote.")
    assert [q for q in qx.extract([a]) if q.kind == "indirect"] == []


def test_unnamed_sources_stay_unnamed(qx):
    a = _art(
        "“The talks have collapsed,” a senior State Department official said.\n\n"
        "Another Western diplomat said that the deadline would slip again this month."
    )
    qs = qx.extract([a])
    first = [q for q in qs if "collapsed" in q.text][0]
    assert first.speaker_kind == "unnamed" and first.speaker == "a senior State Department official"
    second = [q for q in qs if "deadline" in q.text][0]
    assert second.speaker_kind == "unnamed" and "diplomat" in second.speaker


def test_quoted_as_saying_and_organisation(qx):
    a = _art(
        "“Prices will keep rising through the winter,” the newspaper quoted an energy analyst as saying.\n\n"
        "“All member states must raise their defence spending now,” the NATO statement said."
    )
    qs = qx.extract([a])
    an = [q for q in qs if "Prices" in q.text][0]
    assert an.speaker == "an energy analyst" and an.speaker_kind == "unnamed"
    nato = [q for q in qs if "defence" in q.text][0]
    assert nato.speaker == "NATO" and nato.speaker_kind == "organization"


def test_role_noun_resolved_to_named_person(qx):
    a = _art(
        "German Foreign Minister Klaus Weber met his French counterpart in Paris.\n\n"
        "“We agree on every point of the plan,” the Foreign Minister said after the meeting."
    )
    qs = qx.extract([a])
    q = [q for q in qs if "every point" in q.text][0]
    assert q.speaker == "Klaus Weber" and q.speaker_as_written == "the Foreign Minister"


def test_scare_quotes_are_not_quotes(qx):
    a = _art('The so-called "security guarantees" were discussed in the “red lines” debate yesterday.')
    assert qx.extract([a]) == []


def test_name_clusters():
    canon = name_clusters(
        [
            "Sergey Lavrov",
            "Sergei Lavrov",
            "Sergei Lavrov",
            "Lavrov",
            "Jen Psaki",
            "Jennifer Psaki",
            "Psaki",
            "Anna Smith",
            "John Smith",
            "Smith",
        ]
    )
    assert canon["Sergey Lavrov"] == canon["Sergei Lavrov"] == canon["Lavrov"] == "Sergei Lavrov"
    assert canon["Jen Psaki"] == canon["Jennifer Psaki"] == canon["Psaki"] == "Jennifer Psaki"
    assert canon["Anna Smith"] != canon["John Smith"]
    assert canon["Smith"] == "Smith"  # ambiguous surname stays as written
