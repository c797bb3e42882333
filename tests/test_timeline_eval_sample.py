"""eval/timeline.py end to end on a tiny made-up topic in Timeline17's layout (articles.jsonl + timelines.jsonl,
PTB-tokenized text as news-tls ships it): the loader's publication dates are the reference dates the text is
resolved against, report dates do not become event dates, and the ranking (not the calendar, not the number of
reports a day) picks the dates."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from storyline.config import AnalysisConfig

ROOT = Path(__file__).resolve().parents[1]

SPILL, WARNING, HEARING = date(2010, 4, 20), date(2010, 4, 12), date(2010, 5, 11)


@pytest.fixture(scope="module")
def ev():
    spec = importlib.util.spec_from_file_location("eval_timeline_sample", ROOT / "eval" / "timeline.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["eval_timeline_sample"] = mod
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def _rows(shift: int = 0) -> list[dict]:
    """Made-up reports on an oil rig fire at "Kestrel Reef". Tuesday 20 April 2010 is the fire; Monday 12 April
    a safety warning (named once); Tuesday 11 May a hearing. Many reports are published on 3 May, naming no date."""

    def row(i, day, text):
        return {"id": f"kestrel_x/{i}", "time": (day + timedelta(days=shift)).isoformat(), "text": text}

    rows = [
        # published Wed 21 April: "on Tuesday" is 20 April
        row(
            1,
            date(2010, 4, 21),
            "The Kestrel Reef rig caught fire on Tuesday , killing eleven workers .\nBoats sprayed water on the platform .",
        ),
        row(
            2,
            date(2010, 4, 22),
            "Oil leaked into the gulf after the Kestrel Reef rig fire on Tuesday , the coast guard said .",
        ),
        row(3, date(2010, 4, 23), "The Kestrel Reef platform sank two days after the fire of April 20 ."),
        row(4, date(2010, 4, 26), "Engineers had warned of a faulty valve on the Kestrel Reef rig on April 12 ."),
        # published Tue 11 May, the day of the hearing ("today", "on Tuesday")
        row(
            5,
            date(2010, 5, 11),
            "Executives were questioned at a hearing in the capital today about the Kestrel Reef fire .\n"
            "The rig burned on April 20 , a week after a warning .",
        ),
        row(
            6,
            date(2010, 5, 11),
            "Senators at a hearing on Tuesday asked why the Kestrel Reef warning of April 12 was ignored .",
        ),
    ]
    rows += [
        row(
            10 + i,
            date(2010, 5, 3),
            f"Crews laid booms along the coast to hold back the oil slick , crew member {i} told reporters .",
        )
        for i in range(6)
    ]
    return rows


def _topic(tmp: Path, shift: int = 0) -> Path:
    d = tmp / f"data{shift}" / "kestrel"
    d.mkdir(parents=True)
    (d / "articles.jsonl").write_text("\n".join(json.dumps(r) for r in _rows(shift)) + "\n")
    ref = [
        [SPILL.isoformat(), ["The Kestrel Reef rig catches fire; eleven workers die."]],
        [HEARING.isoformat(), ["Executives are questioned at a hearing."]],
    ]
    (d / "timelines.jsonl").write_text(json.dumps(ref) + "\n")
    return d.parent


def test_loader_reads_publication_dates_and_detokenizes(ev, tmp_path):
    (topic,) = ev.load(_topic(tmp_path))
    assert topic.name == "kestrel" and len(topic.articles) == 12
    first = topic.articles[0]
    assert first.published.date() == date(2010, 4, 21)
    assert first.paragraphs[0] == "The Kestrel Reef rig caught fire on Tuesday, killing eleven workers."
    assert topic.timelines == [
        {
            SPILL: ["The Kestrel Reef rig catches fire; eleven workers die."],
            HEARING: ["Executives are questioned at a hearing."],
        }
    ]


def test_storyline_ranks_named_dates_resolved_against_each_articles_date(ev, tmp_path):
    (topic,) = ev.load(_topic(tmp_path))
    (task,) = ev.tasks_of(topic)
    assert (task.l, task.k, task.start, task.end) == (2, 1, SPILL, HEARING)
    pred = ev.storyline_system(task, AnalysisConfig(), {})
    # the fire (named by 5 sources) and the hearing (2 sources): not the earlier warning
    # (the calendar's first date) and not 3 May (the day with the most reports, which names nothing)
    assert list(pred) == [SPILL, HEARING]
    assert ev.date_prf(pred, task.reference if isinstance(task.reference, list) else [task.reference])[2] == 1.0
    # the publication-count baseline takes the busiest report day: the report dates leak in there
    assert date(2010, 5, 3) in ev.pubcount_lead(task)


def test_a_wrong_reference_date_gives_wrong_dates(ev, tmp_path):
    """The same texts published a week later: "on Tuesday" now resolves a week later; absolute dates stay."""
    (topic,) = ev.load(_topic(tmp_path, shift=7))
    arts = topic.articles
    from storyline.timeline import rank_timeline

    dates = {e.date for e in rank_timeline(arts, dates=10, sentences=1)}
    assert SPILL + timedelta(days=7) in dates and HEARING + timedelta(days=7) in dates
    assert SPILL in dates and WARNING in dates  # "April 20", "April 12" do not move
    assert HEARING not in dates
