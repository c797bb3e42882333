"""Timeline: temporal expressions resolved against the article date, merged across sources."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storyline.clean import Cleaner
from storyline.config import AnalysisConfig
from storyline.ingest import read_inputs
from storyline.model import Article
from storyline.timeline import build_timeline, resolve_weekday, sentence_mentions

SEEDS = Path(__file__).resolve().parents[1] / "examples" / "seeds"

SAT = date(2022, 1, 22)  # a Saturday


def _art(aid: str, paras: list[str], published: datetime | None = None, outlet: str | None = None) -> Article:
    return Article(id=aid, source=aid, paragraphs=paras, published=published, outlet=outlet)


def _one(sentence: str, base: date | None = SAT):
    ms = sentence_mentions(sentence, base)
    assert len(ms) == 1, [(m.expression, m.date) for m in ms]
    return ms[0]


# --------------------------------------------------------------------------- seeds


@pytest.fixture(scope="module")
def seed_articles() -> list[Article]:
    raws = list(read_inputs([SEEDS]))
    cleaner = Cleaner().fit(raws)
    arts = [cleaner.transform(r) for r in raws]
    assert all(isinstance(a, Article) for a in arts)
    return arts  # type: ignore[return-value]


@pytest.fixture(scope="module")
def seed_timeline(seed_articles):
    return build_timeline(seed_articles)


def _ids(seed_articles, *prefixes: str) -> set[str]:
    by_file = {a.source.split("/")[-1][:3]: a.id for a in seed_articles}
    return {by_file[p] for p in prefixes}


def _entries_on(timeline, d: date):
    return [e for e in timeline if e.date == d and e.precision == "day"]


@pytest.mark.parametrize(
    "day, files, words",
    [
        (date(2021, 12, 17), ("000", "001"), ["draft"]),
        (date(2022, 1, 10), ("000", "001"), ["geneva"]),
        (date(2022, 1, 12), ("000", "001"), ["brussels"]),
        (date(2022, 1, 13), ("000", "001"), ["vienna"]),
        (date(2022, 1, 21), ("000", "001"), ["lavrov", "blinken"]),  # "Friday's meeting"
        (date(2022, 1, 21), ("002",), ["psaki"]),
        (date(2022, 1, 26), ("003",), ["duma"]),
        (date(2022, 1, 26), ("003",), ["grushko"]),
        (date(2022, 2, 2), ("004",), ["el pais"]),
    ],
)
def test_seed_timeline_dates_and_sources(seed_articles, seed_timeline, day, files, words):
    want = _ids(seed_articles, *files)
    hits = [
        e
        for e in _entries_on(seed_timeline, day)
        if all(any(w in (c.text or "").lower() for c in e.sources) or w in e.text.lower() for w in words)
    ]
    assert len(hits) == 1, f"expected ONE entry on {day} about {words}, got {[(e.text, e.sources) for e in hits]}"
    got = {c.article_id for c in hits[0].sources}
    assert want <= got


def test_seed_timeline_ordered_and_cited(seed_articles, seed_timeline):
    dates = [e.date for e in seed_timeline]
    assert dates == sorted(dates)
    from storyline.text import article_sentences

    by_id = {a.id: article_sentences(a) for a in seed_articles}
    for e in seed_timeline:
        assert e.sources
        for c in e.sources:
            assert by_id[c.article_id][c.sentence_index].text == c.text
    # the dateline "WASHINGTON, January 22. /TASS/." is no event
    assert not any("/TASS/" in e.text for e in seed_timeline)


def test_seed_undated_article_resolved_from_story(seed_articles, seed_timeline):
    psaki = [e for e in _entries_on(seed_timeline, date(2022, 1, 21)) if "Psaki" in e.text]
    assert psaki and psaki[0].resolved_from == "story"  # 002 carries no date of its own


# --------------------------------------------------------------------------- resolution units


def test_weekday_resolution_against_saturday():
    assert _one("The two ministers met on Friday in Geneva.").date == date(2022, 1, 21)
    assert _one("Following Friday's meeting, they agreed.").date == date(2022, 1, 21)
    assert _one("Officials said Tuesday that talks had stalled.").date == date(2022, 1, 18)
    assert _one("Officials spoke last Saturday.").date == date(2022, 1, 15)
    assert _one("The minister will fly to Paris on Friday.").date == date(2022, 1, 28)


def test_week_month_year_precision():
    m = _one("The US will send its reply next week.")
    assert (m.precision, m.date, m.end_date) == ("range", date(2022, 1, 24), date(2022, 1, 30))
    m = _one("Tensions rose in December.")
    assert (m.precision, m.date) == ("month", date(2021, 12, 1))
    m = _one("Prices fell last month.")
    assert (m.precision, m.date) == ("month", date(2021, 12, 1))
    m = _one("The OSCE approved it at its 2010 summit.")
    assert (m.precision, m.date) == ("year", date(2010, 1, 1))
    m = _one("The deal was signed in December 2019.")
    assert (m.precision, m.date) == ("month", date(2019, 12, 1))


def test_absolute_and_yearless_dates():
    assert _one("On December 17, 2021, the ministry published a draft.").date == date(2021, 12, 17)
    assert _one("Talks took place on January 10.").date == date(2022, 1, 10)
    assert _one("Talks took place in Vienna on 13 January.").date == date(2022, 1, 13)
    assert _one("Earlier on Jan. 26, Lavrov briefed the Duma.", date(2022, 1, 26)).date == date(2022, 1, 26)
    # year-less dates take the year nearest the article: late December seen from early January
    assert _one("The vote was held on Dec. 28.", date(2022, 1, 3)).date == date(2021, 12, 28)
    assert _one("The States must respond by January 30.").date == date(2022, 1, 30)
    # other formats
    assert _one("It was signed on 2021-03-04 in Minsk.").date == date(2021, 3, 4)
    assert _one("It was signed on 5th of March 2019 in Minsk.").date == date(2019, 3, 5)
    assert _one("Blinken announced this afternoon that it was delivered.").date == SAT
    assert _one("The convoy left three days ago.").date == date(2022, 1, 19)
    assert _one("The convoy left yesterday.").date == date(2022, 1, 21)


def test_false_hits_filtered():
    s = (
        "Russia may decide now to publish the second reply to 3 proposals, and 100,000 troops may stay; "
        "the Founding Act 2.0 is one of 2 options, said the march organisers at 20:16."
    )
    assert sentence_mentions(s, SAT) == []


def test_relative_needs_anchor_absolute_does_not():
    assert sentence_mentions("They met on Friday.", None) == []
    assert _one("On December 17, 2021, it began.", None).date == date(2021, 12, 17)


@settings(max_examples=200, deadline=None)
@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)),
    st.sampled_from(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]),
    st.sampled_from(["They met on {}.", "{}'s meeting ended early.", "Officials said {} that it had ended."]),
)
def test_weekday_always_within_week_before_base(base, weekday, template):
    m = _one(template.format(weekday), base)
    assert 0 <= (base - m.date).days < 7
    assert m.date.strftime("%A") == weekday
    assert resolve_weekday(weekday, base, "last") < base


# --------------------------------------------------------------------------- story-level behaviour


def test_undated_article_resolved_from_story_and_merged():
    a = _art(
        "a1",
        [
            "WASHINGTON. The foreign ministers of Russia and the United States met in Geneva on Friday "
            "to discuss security guarantees for Europe."
        ],
        datetime(2022, 1, 22),
        "Wire",
    )
    b = _art(
        "b2",
        [
            "Russia and the United States held talks. Their foreign ministers met in Geneva on Friday "
            "and discussed security guarantees in Europe."
        ],
        None,
        "Copycat",
    )
    c = _art(
        "c3",
        [
            "Unrelated filler about weather in Oslo. On December 17, 2021, the ministry released a draft "
            "treaty on security guarantees."
        ],
        None,
        "Other",
    )
    tl = build_timeline([a, b, c])
    fri = [e for e in tl if e.date == date(2022, 1, 21)]
    assert len(fri) == 1
    assert {s.article_id for s in fri[0].sources} == {"a1", "b2"}
    assert fri[0].resolved_from == "article"
    dec = [e for e in tl if e.date == date(2021, 12, 17)]
    assert len(dec) == 1 and dec[0].resolved_from == "article" and dec[0].sources[0].article_id == "c3"

    # alone with another undated article, b still resolves against the story's date, and says so
    tl2 = build_timeline(
        [
            b,
            _art(
                "d4",
                ["Markets were calm in Tokyo on Monday as traders waited for news."],
                datetime(2022, 1, 25),
                "Daily",
            ),
        ]
    )
    fri2 = [e for e in tl2 if e.date == date(2022, 1, 21)]
    assert len(fri2) == 1 and fri2[0].resolved_from == "story"


def test_different_events_same_day_stay_apart_and_clauses_split():
    a = _art(
        "a",
        [
            "Consultations took place in Geneva on January 10, followed by a meeting of the council "
            "in Brussels on January 12 and a session in Vienna on January 13. "
            "Separately, farmers protested in Lyon about fuel prices on January 12."
        ],
        datetime(2022, 1, 22),
    )
    tl = build_timeline([a])
    on12 = [e for e in tl if e.date == date(2022, 1, 12)]
    assert len(on12) == 2
    texts = sorted(e.text for e in on12)
    assert "Brussels" in texts[0] and "Geneva" not in texts[0] and "Vienna" not in texts[0]
    assert any("Lyon" in t for t in texts)
    on10 = [e for e in tl if e.date == date(2022, 1, 10)]
    assert on10 and "Brussels" not in on10[0].text
    assert [e.date for e in tl] == sorted(e.date for e in tl)


def test_publication_lead_is_an_entry():
    a = _art(
        "p",
        [
            "The Spanish newspaper El Pais said it had received the replies and published details.",
            "This was reported by El Pais.",
        ],
        datetime(2022, 2, 2, 13, 29),
    )
    tl = build_timeline([a])
    assert [(e.date, e.expression, e.kind, e.reported) for e in tl] == [
        (date(2022, 2, 2), "(publication date)", "report", date(2022, 2, 2))
    ]


# --------------------------------------------------------------------------- event date vs report date
# The rule: an entry's date is the event's date resolved from the text, against the article's own
# publication date; the publication (report) date is kept apart in `reported`, and it is an event date
# only when the text says the event happened that day. The report's own time stamp or dateline is not.

MINE = "The council voted {} to close the old copper mine at Tullow after a long dispute."


@pytest.mark.parametrize(
    "published, expected",
    [
        (datetime(2021, 3, 6, 9, 0), date(2021, 3, 5)),  # a Saturday: "on Friday" is the day before
        (datetime(2021, 3, 13, 9, 0), date(2021, 3, 12)),  # a week later: the Friday before that
        (datetime(2019, 7, 1, 9, 0), date(2019, 6, 28)),  # a Monday
    ],
)
def test_relative_date_resolved_against_the_articles_publication_date(published, expected):
    tl = build_timeline([_art("m", [MINE.format("on Friday")], published)])
    events = [e for e in tl if e.kind == "event"]
    assert [(e.date, e.reported, e.expression) for e in events] == [(expected, published.date(), "on Friday")]
    assert not any(e.date == published.date() for e in tl)  # the report date did not leak in as an event


def test_text_saying_the_day_of_publication_makes_it_an_event_date():
    for when in ("today", "this morning", "on Saturday"):
        tl = build_timeline([_art("m", [MINE.format(when)], datetime(2021, 3, 6, 18, 0))])
        assert [(e.date, e.kind) for e in tl] == [(date(2021, 3, 6), "event")], when


def test_undated_lead_is_a_report_never_an_event():
    a = _art(
        "m",
        [
            "The council closed the old copper mine at Tullow after a long dispute with the union.",
            "Workers gathered at the gates.",
        ],
        datetime(2021, 3, 6, 9, 0),
    )
    tl = build_timeline([a])
    assert [(e.kind, e.date, e.reported) for e in tl] == [("report", date(2021, 3, 6), date(2021, 3, 6))]
    assert build_timeline([a], AnalysisConfig(timeline_publication_leads=False)) == []


@pytest.mark.parametrize(
    "stamped",
    [
        "Saturday 6 March 2021 09.15 GMT " + MINE.format("on Friday"),
        "TULLOW, March 6 (Wire) - " + MINE.format("on Friday"),
        "Mon Mar 8, 2021 4:23 pm EST " + MINE.format("on Friday"),
        "Last updated at 08:58 GMT, Saturday, 6 March 2021 " + MINE.format("on Friday"),
    ],
)
def test_report_time_stamp_or_dateline_is_not_an_event(stamped):
    tl = build_timeline([_art("m", [stamped], datetime(2021, 3, 6, 9, 15))])
    assert [(e.date, e.kind) for e in tl] == [(date(2021, 3, 5), "event")]


def test_report_lead_merges_into_the_event_the_text_dates():
    a = _art(
        "a",
        ["The council closed the old copper mine at Tullow after a vote of its members."],
        datetime(2021, 3, 6, 9, 0),
        "Wire",
    )
    b = _art(
        "b",
        ["The council closed the old copper mine at Tullow on Saturday after a vote of its members."],
        datetime(2021, 3, 8, 9, 0),
        "Daily",
    )
    tl = build_timeline([a, b])
    assert len(tl) == 1
    e = tl[0]
    assert (e.date, e.kind, e.expression, e.reported) == (date(2021, 3, 6), "event", "on Saturday", date(2021, 3, 6))
    assert {c.article_id for c in e.sources} == {"a", "b"}


def test_hundred_article_story_is_fast(seed_articles):
    import time

    many = []
    for i in range(20):
        for a in seed_articles:
            many.append(
                Article(
                    id=f"{a.id}-{i}",
                    source=a.source,
                    paragraphs=a.paragraphs,
                    outlet=a.outlet,
                    published=(a.published + timedelta(days=i)) if a.published else None,
                )
            )
    t = time.perf_counter()
    tl = build_timeline(many)
    assert time.perf_counter() - t < 5.0
    assert tl


def test_month_abbreviations_without_a_dot_only_before_a_number():
    assert _one("Talks resumed on Mar 2, 2009 in Geneva.").date == date(2009, 3, 2)
    assert _one("Talks resumed on Jun 3 in Geneva.").date == date(2022, 6, 3)
    assert sentence_mentions("Rain may mar the Jun festival and the jul fair.", SAT) == []


def test_report_stamp_cut_from_the_sentence():
    from storyline.timeline.resolve import strip_report_stamp

    assert (
        strip_report_stamp("Mine closes | Sat Mar 6, 2021 4:23 pm EST TULLOW (Wire) - The mine closed.")
        == "The mine closed."
    )
    assert (
        strip_report_stamp("Saturday 6 March 2021 09.15 GMT The council voted to close the mine.")
        == "The council voted to close the mine."
    )
    plain = "The mine closed on 6 March 2021 at 10:00 after a vote."
    assert strip_report_stamp(plain) == plain


def test_a_lead_in_another_script_is_a_sentence_not_a_dateline():
    """A Russian (or Arabic…) lead has no Latin letters: it is still an event sentence, not a dateline."""
    ru = _art(
        "ru",
        [
            "Совет директоров утвердил 2022-01-26 новый план развития компании на пять лет вперёд.",
            "Акционеры поддержали решение большинством голосов.",
        ],
        datetime(2022, 1, 27, 9, 0),
    )
    tl = build_timeline([ru])
    assert date(2022, 1, 26) in {e.date for e in tl if e.kind == "event"}
    ar = _art(
        "ar",
        ["وافق مجلس الإدارة في 2022-01-26 على خطة التطوير الجديدة للشركة لمدة خمس سنوات."],
        datetime(2022, 1, 27, 9, 0),
    )
    assert date(2022, 1, 26) in {e.date for e in build_timeline([ar]) if e.kind == "event"}
