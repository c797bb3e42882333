"""Test data for the API and web tests: the seeds ingested through the pipeline (copy detection and
clustering off, so the tests do not depend on those stages), then a story, reuse edges and an
analysis saved directly through the store API. Every id and sentence is taken from the stored
articles; nothing about the seeds' text is hard-coded beyond the outlet names the README lists.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

from storyline.model import (
    AlignedPassage,
    Citation,
    ClaimGroup,
    Event,
    Quote,
    ReuseEdge,
    Story,
    StoryAnalysis,
    SummarySentence,
    TimelineEntry,
)
from storyline.pipeline import Pipeline
from storyline.store import open_store
from storyline.text import article_sentences, words

SEEDS = Path(__file__).resolve().parents[1] / "examples" / "seeds"


def _jaccard(a: str, b: str) -> float:
    x, y = set(words(a)), set(words(b))
    return len(x & y) / max(1, len(x | y))


def _align(src, tgt, min_score: float) -> list[AlignedPassage]:
    out = []
    for t in tgt:
        best = max(src, key=lambda s: _jaccard(s.text, t.text))
        score = _jaccard(best.text, t.text)
        if score >= min_score:
            out.append(
                AlignedPassage(
                    best.index,
                    t.index,
                    best.text,
                    t.text,
                    round(score, 3),
                    "identical" if score > 0.95 else "edited" if score > 0.5 else "paraphrase",
                )
            )
    return out


def _find(sents, word: str):
    return next((s for s in sents if word.lower() in s.text.lower()), sents[0])


def build_seed_store(db_path: Path) -> dict[str, Any]:
    """Ingest the seeds and save a story, edges and an analysis; returns the ids used."""
    store = open_store(db_path)
    try:
        Pipeline(store, reuse=False, cluster=False).ingest_paths([str(SEEDS)])
        arts = list(store.iter_articles())
        by_outlet = {a.outlet: a for a in arts}
        tass, tasnim, frontier, eirns = (by_outlet[k] for k in ("TASS", "Tasnim", "The Frontier Post", "EIRNS"))
        unnamed = by_outlet[None]
        sents = {a.id: article_sentences(a) for a in arts}

        rewrite = _align(sents[tass.id], sents[tasnim.id], 0.3)
        partial = sorted(_align(sents[tass.id], sents[frontier.id], 0.2), key=lambda p: -p.score)[:3]
        edges = [
            ReuseEdge(
                tass.id,
                tasnim.id,
                "rewrite",
                0.93,
                len(rewrite) / len(sents[tass.id]),
                len(rewrite) / len(sents[tasnim.id]),
                "citation",
                0.9,
                rewrite,
            ),
            ReuseEdge(
                tass.id,
                frontier.id,
                "partial-reuse",
                0.61,
                len(partial) / len(sents[tass.id]),
                len(partial) / len(sents[frontier.id]),
                "date",
                0.6,
                partial,
            ),
        ]
        store.put_edges(edges)

        ids = [a.id for a in arts]
        story_id = "st" + hashlib.sha1("".join(sorted(ids)).encode()).hexdigest()[:10]
        events = [
            Event(
                story_id + "-e1",
                story_id,
                [tass.id, tasnim.id, frontier.id],
                "Washington asks Moscow to keep the reply secret",
                tass.published,
                tass.published,
            ),
            Event(story_id + "-e2", story_id, [eirns.id], "The reply is delivered", eirns.published, eirns.published),
            Event(
                story_id + "-e3", story_id, [unnamed.id], "The reply is published", unnamed.published, unnamed.published
            ),
        ]
        dated = [a.published for a in arts if a.published]
        story = Story(
            story_id,
            ids,
            events,
            title=tasnim.title,
            entities=["Lavrov", "Blinken"],
            outlets=sorted({a.outlet for a in arts if a.outlet}),
            first_date=min(dated),
            last_date=max(dated),
        )
        store.save_story(story)

        def cite(a, s) -> Citation:
            return Citation(a.id, s.index, a.outlet, s.text)

        t1 = sents[tass.id][1]
        tn1 = max(sents[tasnim.id], key=lambda s: _jaccard(s.text, t1.text))
        e_sull = _find(sents[eirns.id], "handed over")
        u_tom = _find(sents[unnamed.id], "Tomahawk")
        open_door_t = _find(sents[tass.id], "open")
        open_door_u = _find(sents[unnamed.id], "open-door")
        summary = [
            SummarySentence(t1.text, [cite(tass, t1), cite(tasnim, tn1)]),
            SummarySentence(e_sull.text, [cite(eirns, e_sull)]),
            SummarySentence(u_tom.text, [cite(unnamed, u_tom)]),
        ]
        timeline = [
            TimelineEntry(
                date(2022, 1, 21),
                "day",
                _find(sents[tass.id], "Friday").text,
                "Friday's meeting",
                [cite(tass, _find(sents[tass.id], "Friday"))],
                resolved_from="article",
            ),
            TimelineEntry(date(2022, 1, 26), "day", e_sull.text, "Jan. 26", [cite(eirns, e_sull)]),
            TimelineEntry(
                date(2022, 2, 2),
                "day",
                sents[unnamed.id][0].text,
                "13:29 02 Feb 2022",
                [cite(unnamed, sents[unnamed.id][0])],
            ),
        ]
        lav = _find(sents[eirns.id], "Duma")
        psaki = _find(sents[frontier.id], "put in writing")
        quotes = [
            Quote(lav.text, "Sergey Lavrov", "person", "direct", eirns.id, lav.index, "Lavrov"),
            Quote(psaki.text, "Jen Psaki", "person", "direct", frontier.id, psaki.index, "Psaki"),
        ]
        claims = [
            ClaimGroup(
                0,
                [cite(tass, t1), cite(tasnim, tn1), cite(frontier, sents[frontier.id][0])],
                ["TASS", "Tasnim", "The Frontier Post"],
                "consensus",
                t1.text,
            ),
            ClaimGroup(1, [cite(tass, open_door_t), cite(unnamed, open_door_u)], ["TASS"], "partial", open_door_t.text),
            ClaimGroup(2, [cite(eirns, e_sull)], ["EIRNS"], "unique", e_sull.text),
            ClaimGroup(3, [cite(unnamed, u_tom)], [], "unique", u_tom.text),
        ]
        store.put_analysis(story_id, "fixture", StoryAnalysis(story_id, timeline, quotes, claims, summary))
        return {
            "story_id": story_id,
            "articles": {a.outlet or "unnamed": a.id for a in arts},
            "tass": tass.id,
            "tasnim": tasnim.id,
            "frontier": frontier.id,
            "eirns": eirns.id,
            "unnamed": unnamed.id,
            "summary_cite": (tass.id, t1.index, t1.text),
            "edges": len(edges),
        }
    finally:
        store.close()


HOSTILE = {
    "text": (
        "Hostile Test Wire reports <script>alert(1)</script> that officials met today in the capital city.\n\n"
        'Read more at <a href="javascript:alert(2)">this link</a> &amp; &lt;b&gt;bold&lt;/b&gt; '
        "and '); DROP TABLE articles;-- was in the note, said the spokesman for the ministry of affairs.\n\n"
        "<img src=x onerror=alert(3)> The meeting lasted three hours and ended without any statement."
    ),
    "title": "<script>alert('title')</script> Hostile",
    "url": "javascript:alert(4)",
    "outlet": "<b>Evil Wire</b>",
    "author": "Robert'); DROP TABLE stories;--",
    "date": "2022-03-01",
}


def copy_store(src: Path, dst: Path) -> Path:
    """A private copy of a store (SQLite's online backup), for tests that write."""
    import sqlite3

    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        a.backup(b)
    finally:
        a.close()
        b.close()
    return dst
