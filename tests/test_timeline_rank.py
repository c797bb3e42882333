"""Ranked timeline (storyline.timeline.rank_timeline) and the timeline-summarization metrics of eval/timeline.py.

Every article here is made up: a bridge collapse in a town called Varna, May 2023.
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from storyline.config import AnalysisConfig
from storyline.model import Article
from storyline.timeline import rank_timeline

ROOT = Path(__file__).resolve().parents[1]

COLLAPSE, WARNING, INQUIRY, MAYOR, DIVERS = (
    date(2023, 5, 5),
    date(2023, 5, 2),
    date(2023, 5, 10),
    date(2023, 5, 7),
    date(2023, 5, 8),
)


def _art(aid: str, published: datetime | None, *paras: str, outlet: str | None = None) -> Article:
    return Article(id=aid, source=aid, paragraphs=list(paras), published=published, outlet=outlet or aid)


def _story() -> list[Article]:
    return [
        # Saturday 6 May: "on Friday" is 5 May
        _art(
            "a1",
            datetime(2023, 5, 6, 8),
            "The old bridge over the Varna river collapsed on Friday, killing four people.",
            "Rescue teams searched the water through the night with boats and divers.",
        ),
        _art(
            "a2",
            datetime(2023, 5, 7, 9),
            "The Varna bridge gave way on Friday after days of heavy rain upstream.",
            "The mayor of Varna resigned today, saying the town had failed its people.",
        ),
        _art(
            "a3",
            datetime(2023, 5, 9, 10),
            "Engineers had warned the council about deep cracks in the bridge on 2 May.",
            "The bridge collapsed on May 5 while a bus was crossing it.",
            "Mayor Ivo Petrov stepped down on 7 May after two days of protests.",
        ),
        _art(
            "a4",
            datetime(2023, 5, 11, 7),
            "Prosecutors opened an inquiry into the collapse on Wednesday.",
            "The bridge fell on 5 May, a week after an inspection had found it safe.",
        ),
    ] + [
        # five reports on Monday 8 May naming no date: a busy publication day, not an event date
        _art(
            f"d{i}",
            datetime(2023, 5, 8, 9 + i),
            f"Monday 8 May 2023 0{i}.15 GMT Divers recovered more wreckage of the bridge from the Varna river, "
            f"report number {i} said.",
            "Cranes lifted broken concrete slabs onto the banks of the river.",
        )
        for i in range(5)
    ]


def test_most_reported_date_first_and_n_k_respected():
    tl = rank_timeline(_story(), dates=3, sentences=2)
    assert [e.rank for e in tl] == [1, 2, 3]
    assert tl[0].date == COLLAPSE  # named by four sources
    assert all(1 <= len(e.sentences) <= 2 and e.text == " ".join(e.sentences) for e in tl)
    assert len({e.date for e in tl}) == len(tl)  # one entry a date
    assert [e.score for e in tl] == sorted((e.score for e in tl), reverse=True)
    one = rank_timeline(_story(), dates=2, sentences=1)
    assert len(one) == 2 and all(len(e.sentences) == 1 for e in one)
    assert [e.date for e in one] == [e.date for e in tl[:2]]


def test_defaults_come_from_the_config():
    tl = rank_timeline(_story(), config=AnalysisConfig(timeline_dates=2, timeline_sentences=1))
    assert len(tl) == 2 and all(len(e.sentences) == 1 for e in tl)
    assert rank_timeline(_story(), dates=0) == [] and rank_timeline([], dates=3) == []


def test_dates_resolved_against_each_articles_publication_date():
    tl = {e.date: e for e in rank_timeline(_story(), dates=10, sentences=2)}
    # "on Friday" in a1 (Sat 6 May) and a2 (Sun 7 May) are both 5 May; "today" in a2 is 7 May;
    # "on Wednesday" in a4 (Thu 11 May) is 10 May
    assert {COLLAPSE, MAYOR, INQUIRY, WARNING} <= set(tl)
    assert tl[COLLAPSE].reported == date(2023, 5, 6)  # the first report naming it, kept apart
    assert tl[INQUIRY].reported == date(2023, 5, 11) and tl[INQUIRY].date == INQUIRY
    assert any("Wednesday" in s for s in tl[INQUIRY].sentences)
    # against a wrong reference date (a week later) the same text gives other dates
    moved = [
        _art(a.id, a.published.replace(day=a.published.day + 7) if a.published else None, *a.paragraphs)
        for a in _story()[:2]
    ]
    assert rank_timeline(moved, dates=1, sentences=1)[0].date == date(2023, 5, 12)


def test_publication_dates_do_not_leak_in_as_event_dates():
    tl = rank_timeline(_story(), dates=20, sentences=1)
    dates = {e.date for e in tl}
    assert DIVERS not in dates  # five reports that day, their stamps included, but no text says anything happened then
    assert date(2023, 5, 6) not in dates and date(2023, 5, 9) not in dates and date(2023, 5, 11) not in dates
    assert all(e.kind == "event" for e in tl)


def test_copies_count_as_one_source():
    orig = _art(
        "o", datetime(2023, 5, 9), "The council met the engineers on 3 May to discuss the cracks in the bridge."
    )
    copies = [_art(f"c{i}", datetime(2023, 5, 9), *orig.paragraphs) for i in range(3)]
    others = [
        _art(f"x{i}", datetime(2023, 5, 9), f"Divers found the bus in the river on 6 May, witness {i} told reporters.")
        for i in range(2)
    ]
    arts = [orig, *copies, *others]
    assert rank_timeline(arts, dates=1, sentences=1)[0].date == date(2023, 5, 3)
    first = rank_timeline(arts, dates=2, sentences=1, copy_of={c.id: "o" for c in copies})
    assert first[0].date == date(2023, 5, 6)


def test_same_event_from_many_sources_is_one_entry_without_repeats():
    same = [
        _art(
            f"s{i}",
            datetime(2023, 5, 6),
            "The old bridge over the Varna river collapsed on Friday, killing four people.",
        )
        for i in range(3)
    ]
    tl = rank_timeline(
        same + [_art("t", datetime(2023, 5, 6), "A bus fell into the river when the bridge collapsed on Friday.")],
        dates=5,
        sentences=3,
    )
    assert [e.date for e in tl] == [COLLAPSE]
    assert len(tl[0].sentences) == len(set(tl[0].sentences)) == 2


def test_window_keeps_dates_inside_it():
    tl = rank_timeline(_story(), dates=10, sentences=1, start=date(2023, 5, 6), end=date(2023, 5, 31))
    assert tl and all(date(2023, 5, 6) <= e.date <= date(2023, 5, 31) for e in tl)


def test_undated_articles_borrow_the_storys_date():
    dated = _art(
        "a", datetime(2023, 5, 6), "The old bridge over the Varna river collapsed on Friday, killing four people."
    )
    undated = _art("u", None, "Survivors of the Varna bridge collapse on Friday told of the moment the river rose.")
    tl = rank_timeline([dated, undated], dates=1, sentences=2)
    assert tl[0].date == COLLAPSE and {c.article_id for c in tl[0].sources} == {"a", "u"}


# --------------------------------------------------------------------------- metrics (eval/timeline.py)


@pytest.fixture(scope="module")
def ev():
    spec = importlib.util.spec_from_file_location("eval_timeline", ROOT / "eval" / "timeline.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["eval_timeline"] = mod
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


D1, D2, D3, D4, D5 = (date(2023, 5, d) for d in (1, 2, 3, 4, 5))


def test_date_f1(ev):
    p, r, f = ev.date_prf({D1: ["x"], D2: ["x"], D3: ["x"]}, [{D2: ["y"], D3: ["y"], D4: ["y"], D5: ["y"]}])
    assert (p, r) == (2 / 3, 2 / 4) and f == pytest.approx(4 / 7)


def test_rouge_tokens_stem_and_drop_punctuation(ev):
    assert ev.rouge_tokens("Floods, bridges -LRB- Varna -RRB- collapsing") == ev.rouge_tokens(
        "floods bridges (varna) collapsing"
    )
    assert ev.rouge_tokens("Varna's bridges") == ("varna", "bridg")  # PTB clitic split off and dropped, Porter stem


def test_concat_and_agreement_by_hand(ev):
    pred = {D1: ["flood varna"], D2: ["bridge crane"]}
    ref = {D1: ["flood varna bridge"], D3: ["crane"]}
    # concat: pred tokens flood varna bridg crane (4), ref flood varna bridg crane (4): all 4 match
    assert ev.concat(pred, [ref], 1) == (1.0, 1.0, 1.0)
    # bigrams: pred (flood varna)(varna bridg)(bridg crane); ref the same three
    assert ev.concat(pred, [ref], 2)[2] == 1.0
    # agreement: only D1 is shared: 2 hits; precision over pred's 4 tokens, recall over ref's 4
    assert ev.agreement(pred, [ref], 1) == (0.5, 0.5, 0.5)


def test_alignment_by_hand(ev):
    # one day apart, same words: aligned at weight 1/2
    p, r, f = ev.align({D2: ["flood varna"]}, [{D1: ["flood varna"]}], 1)
    assert (p, r, f) == (0.5, 0.5, 0.5)
    assert ev.align({D2: ["flood varna"]}, [{D1: ["flood varna"]}], 2)[2] == 0.5
    # two predicted dates, one reference date: 1:1 leaves D2 unaligned (its words count in precision's
    # denominator only); m:1 aligns it too, at weight 1/2
    pred, ref = {D1: ["flood varna"], D2: ["flood varna"]}, [{D1: ["flood varna"]}]
    p, r, f = ev.align(pred, ref, 1, content=False, many_to_one=False)
    assert (p, r) == (0.5, 1.0) and f == pytest.approx(2 / 3)
    p, r, f = ev.align(pred, ref, 1)
    assert (p, r) == (0.75, 1.0) and f == pytest.approx(6 / 7)
    # the content cost prefers the reference date with the same words over a nearer one
    p, _, _ = ev.align({D3: ["crane river"]}, [{D2: ["flood varna"], D5: ["crane river"]}], 1)
    assert p == pytest.approx(1 / 3)  # aligned to D5 (2 days apart), not to D2 (1 day, no shared word)


def test_average_is_f1_of_averaged_precision_and_recall(ev):
    avg = ev.average([{"date": (1.0, 0.0, 0.0)}, {"date": (0.0, 1.0, 0.0)}])
    assert avg["date"] == 0.5  # P = R = 0.5 on average


def test_baselines_on_a_made_up_task(ev):
    arts = _story()
    task = ev.Task(
        "varna",
        0,
        arts,
        {COLLAPSE: ["The bridge collapsed."], MAYOR: ["The mayor resigned."]},
        date(2023, 5, 1),
        date(2023, 5, 31),
        2,
        1,
    )
    assert list(ev.pubcount_lead(task)) == [DIVERS, date(2023, 5, 6)]  # five reports on 8 May, then ties by date
    assert set(ev.mentioncount(task, {})) == {COLLAPSE, MAYOR}
    assert set(ev.storyline_system(task, AnalysisConfig(), {})) == {COLLAPSE, MAYOR}


# --------------------------------------------------------------------------- CLI


def test_cli_dates_and_sentences(tmp_path):
    import json

    from typer.testing import CliRunner

    from storyline.cli import app

    runner = CliRunner()
    db = str(tmp_path / "s.db")
    assert runner.invoke(app, ["ingest", str(ROOT / "examples" / "seeds"), "--db", db]).exit_code == 0
    (story,) = json.loads(runner.invoke(app, ["stories", "--db", db, "--json"]).stdout)
    r = runner.invoke(app, ["analyze", story["id"], "--db", db, "--dates", "3", "--sentences", "1", "--json"])
    assert r.exit_code == 0, r.output
    tl = json.loads(r.stdout)["timeline"]
    assert [e["rank"] for e in tl] == [1, 2, 3] and all(len(e["sentences"]) == 1 for e in tl)
    assert tl[0]["date"] == "2022-01-21"  # Lavrov and Blinken in Geneva: named by the most sources
    r = runner.invoke(app, ["story", story["id"], "--db", db, "--dates", "2"])
    assert r.exit_code == 0 and "#1 2022-01-21" in r.stdout and "#3" not in r.stdout
    full = json.loads(runner.invoke(app, ["analyze", story["id"], "--db", db, "--json"]).stdout)["timeline"]
    assert len(full) > 3 and all(e["rank"] is None for e in full)  # without --dates: every dated event
