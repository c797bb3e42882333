"""One shared quote extractor, several stories at once: each thread gets exactly its single-thread quotes.

The HTTP API's story builders call ``extract_quotes`` (one module-level extractor) from several threads. The
extractor must keep nothing of a call on itself: the speaker of "he said" or "the minister said" is resolved
against the article being read, never against another thread's article.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple

import pytest
from seedutil import by_file

import storyline.quotes.extractor as extractor_module
from storyline.model import Article
from storyline.quotes import QuoteExtractor, extract_quotes

WORKERS = 4
REPEATS = 3
QUOTES_CODE = os.path.join("storyline", "quotes")  # the module quotes.py or the package quotes/


def _art(aid: str, *paragraphs: str) -> Article:
    return Article(id=aid, source=aid, paragraphs=list(paragraphs))


def _made_up() -> dict[str, list[Article]]:
    """Short stories full of pronouns, roles and bare surnames: what resolves against the article read so far."""
    bridge = [
        _art(
            "bridge-1",
            "Mayor Anna Kowalski visited the collapsed bridge on Monday with Transport Minister Piet de Vries.",
            "“The bridge will reopen in the spring after the repairs,” she said. “Nobody was hurt.”",
            "“We have no money left for a second bridge this year,” the Transport Minister said.",
            "De Vries added that the army would build a temporary crossing within two weeks.",
        ),
        _art(
            "bridge-2",
            "“Every family that lost a car in the river will be paid back,” Kowalski told reporters.",
            "According to police spokesman Tom Berg, the lorry that hit the pillar was twice the weight limit.",
            "“The driver had ignored three warning signs before the bridge,” he said.",
        ),
    ]
    flood = [
        _art(
            "flood-1",
            "Prime Minister Helena Marsh visited the flooded town of Lorn on Sunday.",
            "“We will rebuild every house that the water destroyed,” she said. “The state will pay for all of it.”",
            "“Nobody will be left behind in this valley,” she added.",
            "A senior government official said that the damage would exceed two billion euros.",
        ),
        _art(
            "flood-2",
            "Finance Minister Laura Chen said that the flood fund would be doubled next year.",
            "“The money is there and it will reach the families before winter,” the Finance Minister said.",
            "“We cannot wait for the insurers to pay every claim,” Marsh said in Lorn.",
        ),
    ]
    talks = [
        _art(
            "talks-1",
            "German Foreign Minister Klaus Weber met his French counterpart Marie Dubois in Paris.",
            "“We agree on every point of the plan for the border,” the Foreign Minister said after the meeting.",
            "“The talks have collapsed twice before, and they will not collapse again,” Dubois said.",
            "“All member states must raise their defence spending now,” the NATO statement said.",
        ),
        _art(
            "talks-2",
            "“Prices will keep rising through the winter,” the newspaper quoted an energy analyst as saying.",
            "Weber told reporters that the next round of talks would be held in Berlin in March.",
            "“I told him that the deadline cannot slip again,” he said.",
        ),
    ]
    return {"bridge": bridge, "flood": flood, "talks": talks}


@pytest.fixture(scope="module")
def stories() -> dict[str, list[Article]]:
    s0, s1, s2, s3, s4 = (by_file(f"00{i}") for i in range(5))
    made = _made_up()
    return {
        "seeds-all": [s0, s1, s2, s3, s4],
        "seeds-biden": [s0, s1],
        "seeds-lavrov": [s2, s3],
        "seeds-nato": [s4],
        **made,
        "mixed": [s3, *made["flood"], s2],  # the seeds' Lavrov/Blinken next to made-up ministers
    }


def _yield_in_quotes_code(frame, event, arg):
    """Trace hook of the worker threads: let another thread run whenever a function of storyline.quotes starts."""
    if event == "call" and QUOTES_CODE in frame.f_code.co_filename:
        time.sleep(0)  # releases the GIL
    return None


def _rows(quotes) -> list[tuple]:
    return [astuple(q) for q in quotes]  # speaker, its kind and as written, text, article, sentence: every field


def test_shared_extractor_threads_give_single_thread_results(stories):
    reference = {name: _rows(extract_quotes(arts)) for name, arts in stories.items()}
    assert all(reference.values()), {n: len(r) for n, r in reference.items()}
    # the stories differ, so one thread's state leaking into another shows in the speakers it resolves
    assert len({tuple(r) for r in reference.values()}) == len(stories)

    jobs = [name for name in stories for _ in range(REPEATS)]
    random.Random(7).shuffle(jobs)

    def run(name: str) -> tuple[str, list[tuple]]:
        return name, _rows(extract_quotes(stories[name]))

    # switch threads often, and at every call into the quotes code: with instance state, the default 5 ms
    # interval got one job in 24 wrong now and then; this way about a third of the jobs go wrong in every run
    interval, tracer = sys.getswitchinterval(), threading.gettrace()
    sys.setswitchinterval(1e-5)
    threading.settrace(_yield_in_quotes_code)
    try:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            results = list(pool.map(run, jobs))
    finally:
        threading.settrace(tracer)  # type: ignore[arg-type]
        sys.setswitchinterval(interval)

    assert len(results) == len(jobs)
    wrong = {}
    for name, rows in results:
        if rows != reference[name]:
            missing = [r for r in reference[name] if r not in rows]
            extra = [r for r in rows if r not in reference[name]]
            wrong.setdefault(name, (missing[:3], extra[:3]))
    assert not wrong, wrong


def test_extractor_keeps_nothing_of_a_call(stories):
    qx = QuoteExtractor()
    before = dict(vars(qx))
    qx.extract(stories["seeds-lavrov"])
    assert vars(qx) == before
    with pytest.raises(AttributeError):
        qx.batch_size = 8


def test_stats_come_with_the_call(stories):
    qx = QuoteExtractor()
    arts = stories["seeds-all"]
    quotes, stats = qx.extract_with_stats(arts)
    assert [astuple(q) for q in quotes] == [astuple(q) for q in qx.extract(arts)]
    assert stats.articles == len(arts)
    assert stats.parsed > 0 and stats.ner_only >= 0
    _, small = qx.extract_with_stats(stories["seeds-nato"])
    assert small.articles == 1 and small.parsed < stats.parsed


def test_default_extractor_is_built_once_under_concurrent_first_calls(monkeypatch):
    built = []

    class Slow:
        def __init__(self):
            time.sleep(0.05)  # a model load: long enough for every thread to find no extractor yet
            built.append(self)

    monkeypatch.setattr(extractor_module, "QuoteExtractor", Slow)
    monkeypatch.setattr(extractor_module, "_DEFAULT", None)
    go = threading.Barrier(8)

    def first_call():
        go.wait(timeout=10)
        return extractor_module.default_extractor()

    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda _: first_call(), range(8)))
    assert len(built) == 1 and all(g is built[0] for g in got)
