"""Dated timeline of a story: every resolved temporal expression, same events merged across sources.

Every sentence's temporal expressions are resolved (:mod:`.resolve`) against the article's own
date (``Article.published``) and the clause of the sentence around each one is the event's text.
Articles without a date borrow one from the story: the date of the most similar dated article
(the copy it was rewritten from, usually), else the median date of the story; their entries say
``resolved_from="story"``. Absolute dates with a year need no anchor.

Event dates come from the text only. An article's publication date is an event date when its text
says the event happened that day ("today", "this morning", a weekday or a date naming that day); the
report's own time stamp or dateline ("Tuesday 12 May 2009 16.36 BST", "WASHINGTON, Jan. 26 (Reuters) -")
is not (:func:`.resolve.is_report_stamp`). With ``timeline_publication_leads`` the first substantive
sentence of a dated article that names no date of its own stands for what the article reports: an
entry of ``kind="report"`` dated by the report (``date == reported``, expression "(publication date)"),
which becomes an event entry only when it merges with an event the text dates. Every entry keeps the
report's date apart in ``reported`` (the earliest publication date of its sources).

Entries on the same date whose texts share most of their content words are merged into
one entry that cites every source; entries are ordered by event date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from ..config import AnalysisConfig
from ..model import Article, Citation, Date, TimelineEntry
from ..text import article_sentences, content_words, letter_words
from .resolve import Origin, Precision, clause_for, sentence_mentions


@dataclass
class _Cand:
    date: Date
    precision: Precision
    end_date: Date | None
    text: str
    expression: str
    resolved_from: Literal["article", "story"]
    sources: list[Citation] = field(default_factory=list)
    words: set[str] = field(default_factory=set)
    kind: Literal["event", "report"] = "event"


# --------------------------------------------------------------------------- merging


def _stem(w: str) -> str:
    for suf in ("ing", "ed", "es", "s"):
        if w.endswith(suf) and len(w) - len(suf) >= 4:
            return w[: -len(suf)]
    return w


def _bag(text: str) -> set[str]:
    return {_stem(w) for w in content_words(text)}


def _similar(a: set[str], b: set[str], threshold: float) -> bool:
    if not a or not b:
        return False
    inter = len(a & b)
    return inter >= 2 and inter / min(len(a), len(b)) >= threshold


def _most_similar(
    undated: list[Article], dated: list[Article], bags: dict[str, set[str]]
) -> dict[str, tuple[Article, float]]:
    """For each undated article, the dated one with the highest Jaccard similarity of content words."""
    if not undated or not dated:
        return {}
    import numpy as np
    from scipy.sparse import csr_matrix

    vocab: dict[str, int] = {}

    def matrix(arts: list[Article]):
        rows, cols = [], []
        for r, a in enumerate(arts):
            for w in bags[a.id]:
                rows.append(r)
                cols.append(vocab.setdefault(w, len(vocab)))
        return rows, cols

    ur, uc = matrix(undated)
    dr, dc = matrix(dated)
    n = len(vocab)
    U = csr_matrix((np.ones(len(ur), dtype=np.float32), (ur, uc)), shape=(len(undated), n))
    D = csr_matrix((np.ones(len(dr), dtype=np.float32), (dr, dc)), shape=(len(dated), n))
    inter = (U @ D.T).toarray()
    su = np.asarray(U.sum(axis=1)).ravel()[:, None]
    sd = np.asarray(D.sum(axis=1)).ravel()[None, :]
    jac = inter / np.maximum(su + sd - inter, 1.0)
    best = jac.argmax(axis=1)
    return {a.id: (dated[int(best[i])], float(jac[i, best[i]])) for i, a in enumerate(undated)}


def _anchor_dates(articles: list[Article], bags: dict[str, set[str]]) -> dict[str, tuple[date | None, Origin]]:
    """Anchor date of every article: its own, else the most similar dated article's, else the median."""
    dated = [a for a in articles if a.published is not None]
    out: dict[str, tuple[date | None, Origin]] = {}
    days = sorted(a.published.date() for a in dated)  # type: ignore[union-attr]
    median = days[(len(days) - 1) // 2] if days else None
    sims = _most_similar([a for a in articles if a.published is None], dated, bags)
    for a in articles:
        if a.published is not None:
            out[a.id] = (a.published.date(), "article")
            continue
        best, best_sim = sims.get(a.id, (None, 0.0))
        if best is not None and best_sim >= 0.15:
            out[a.id] = (best.published.date(), "story")  # type: ignore[union-attr]
        else:
            out[a.id] = (median, "story")
    return out


def build_timeline(articles: list[Article], config: AnalysisConfig | None = None) -> list[TimelineEntry]:
    """Resolve every temporal expression of the story's articles, merge same events, order by date."""
    config = config or AnalysisConfig()
    threshold = getattr(config, "timeline_merge_similarity", 0.5)
    use_leads = getattr(config, "timeline_publication_leads", True)
    min_words = getattr(config, "timeline_min_words", 4)

    sents = {a.id: article_sentences(a) for a in articles}
    bags = {a.id: _bag(" ".join(s.text for s in sents[a.id][:40])) for a in articles}
    anchors = _anchor_dates(articles, bags)

    cands: list[_Cand] = []
    floating: list[_Cand] = []  # leads of undated articles: joined to a matching entry, else dropped
    for a in articles:
        base, origin = anchors[a.id]
        lead_done = False
        for s in sents[a.id]:
            mentions = sentence_mentions(s.text, base)
            rest = s.text
            for m in mentions:
                rest = rest.replace(m.expression, " ")
            # a dateline ("WASHINGTON, January 22. /TASS/.") is not an event
            substantive = letter_words(rest) >= min_words and bool(content_words(rest))
            if not substantive:
                continue
            seen: set[tuple[date, str, date | None]] = set()
            for i, m in enumerate(mentions):
                key = (m.date, m.precision, m.end_date)
                if key in seen:
                    continue
                seen.add(key)
                text = clause_for(s.text, mentions, i)
                cit = Citation(article_id=a.id, sentence_index=s.index, outlet=a.outlet, text=s.text)
                cands.append(
                    _Cand(
                        m.date,
                        m.precision,
                        m.end_date,
                        text,
                        m.expression,
                        origin if m.relative else "article",
                        [cit],
                        _bag(text),
                    )
                )
            if use_leads and not lead_done and len(content_words(s.text)) >= 5:
                lead_done = True
                if mentions:  # the lead's own dates make its entries
                    continue
                pub = a.published.date() if a.published is not None else None
                cit = Citation(article_id=a.id, sentence_index=s.index, outlet=a.outlet, text=s.text)
                c = _Cand(
                    pub or date.min,
                    "day",
                    None,
                    s.text.strip(),
                    "(publication date)",
                    "article",
                    [cit],
                    _bag(s.text),
                    kind="report",
                )
                (cands if pub is not None else floating).append(c)

    # merge: same date key + similar text (greedy single-link within each date)
    groups: dict[tuple[date, str, date | None], list[_Cand]] = {}
    for c in cands:
        key = (c.date, c.precision, c.end_date)
        bucket = groups.setdefault(key, [])
        for g in bucket:
            if _similar(c.words, g.words, threshold) and not _same_article_sentence(g, c):
                _absorb(g, c)
                break
        else:
            bucket.append(c)
    for f in floating:
        for bucket in groups.values():
            hit = next((g for g in bucket if g.kind == "report" and _similar(f.words, g.words, threshold)), None)
            if hit is not None:
                _absorb(hit, f)
                break

    published = {a.id: a.published.date() for a in articles if a.published is not None}
    entries: list[TimelineEntry] = []
    for bucket in groups.values():
        for g in bucket:
            g.sources.sort(key=lambda c: (c.article_id, c.sentence_index or 0))
            reported = min((published[c.article_id] for c in g.sources if c.article_id in published), default=None)
            entries.append(
                TimelineEntry(
                    date=g.date,
                    precision=g.precision,
                    text=g.text,
                    expression=g.expression,
                    sources=g.sources,
                    end_date=g.end_date,
                    resolved_from=g.resolved_from,
                    kind=g.kind,
                    reported=reported,
                )
            )
    prec_order = {"year": 0, "month": 1, "range": 2, "day": 3}
    entries.sort(key=lambda e: (e.date, prec_order[e.precision], e.end_date or e.date, -len(e.sources), e.text))
    return entries


def _same_article_sentence(g: _Cand, c: _Cand) -> bool:
    keys = {(x.article_id, x.sentence_index) for x in g.sources}
    return any((x.article_id, x.sentence_index) in keys for x in c.sources)


def _absorb(g: _Cand, c: _Cand) -> None:
    have = {(x.article_id, x.sentence_index) for x in g.sources}
    g.sources.extend(x for x in c.sources if (x.article_id, x.sentence_index) not in have)
    g.words |= c.words
    if g.kind == "report" and c.kind == "event":  # the report's lead is one more source of the event
        g.kind, g.text, g.expression, g.resolved_from = "event", c.text, c.expression, c.resolved_from
    elif g.resolved_from == "story" and c.resolved_from == "article" and g.kind == c.kind:
        g.resolved_from = "article"
        g.text, g.expression = c.text, c.expression
