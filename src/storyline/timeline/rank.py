"""Ranked timeline: a story's N key dates, the most important first, each told in K sentences.

This is the timeline that timeline summarization scores (Date-F1, alignment-based ROUGE), built the
date-wise way that does best on its benchmarks (Gholipour Ghalandari & Ifrim 2020, "Examining the
State-of-the-Art in News Timeline Summarization": DATEWISE and its MENTIONCOUNT / PUBCOUNT variants):

1. **Dates** come from the text only: every day-precision date an article's text names, resolved
   against that article's publication date (:mod:`.resolve`; report stamps and datelines are left out).
   A publication date is never a candidate of its own (see :mod:`.build`).
2. **Importance** of a date d, counting sources once (the copies of one original are one source):
   ``mentions(d) + w_later * later(d) + w_sent * sentences(d) + w_pub * published(d) + w_next *
   published(d + 1)``, where ``mentions`` are the sources whose text names d, ``later`` those of them
   published after d (a date still referred to afterwards is a key date), ``sentences`` the sentences
   naming d, and ``published`` the sources published that day (weights: ``AnalysisConfig.timeline_*``).
3. **Candidate sentences** of d: the sentences naming d, and the first few sentences that name no date
   of sources published on d or the day after (reports of d; news-tls's PM-MEAN): a report sentence
   stays only when it shares the date's vocabulary — its TF-IDF cosine to the date vector (the terms
   found both in the sentences naming d and in the reports) is above the knee of all candidates'.
4. **Sentences**: the K whose sum is closest to the candidates' TF-IDF centroid, chosen greedily
   (news-tls's CENTROID-OPT), never two near-duplicates (the same event told by two sources is one
   sentence).

:func:`rank_timeline` returns :class:`~storyline.model.TimelineEntry` objects in rank order, one per
date, with ``rank``, ``score``, ``sentences`` (``text`` joins them), ``reported`` (the first report
naming the date) and the citations of the chosen sentences.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from ..config import AnalysisConfig
from ..model import Article, Citation, TimelineEntry
from ..text import article_sentences, content_words, letter_words
from .build import _anchor_dates, _bag
from .resolve import Origin, clause_for, sentence_mentions, strip_report_stamp


@dataclass
class ArticleDates:
    """What one article contributes (depends on the article and its anchor date only; cacheable)."""

    published: date | None
    origin: Origin
    # (sentence index, {day: (expression, text)}) of substantive sentences that name a day; the text is
    # the clause of the day when the sentence names several days, the sentence without its report stamp
    dated: list[tuple[int, dict[date, tuple[str, str]]]] = field(default_factory=list)
    # (sentence index, text) of the first substantive sentences that name no date at all
    undated_lead: list[tuple[int, str]] = field(default_factory=list)


def article_dates(
    article: Article, base: date | None, origin: Origin, min_words: int = 4, lead_sentences: int = 5
) -> ArticleDates:
    """The day-precision event dates each sentence of ``article`` names, resolved against ``base``."""
    out = ArticleDates(article.published.date() if article.published else None, origin)
    for pos, s in enumerate(article_sentences(article)):
        mentions = sentence_mentions(s.text, base)
        rest = s.text
        for m in mentions:
            rest = rest.replace(m.expression, " ")
        if letter_words(rest) < min_words or not content_words(rest):
            continue  # a dateline or a caption, not a sentence telling of an event
        text = strip_report_stamp(s.text)
        days: dict[date, tuple[str, str]] = {}
        if mentions and text != s.text:
            mentions = sentence_mentions(text, base)
        for i, m in enumerate(mentions):
            if m.precision == "day" and m.date not in days:
                days[m.date] = (m.expression, clause_for(text, mentions, i))
        if days:
            out.dated.append((s.index, days))
        elif not mentions and pos < lead_sentences:
            out.undated_lead.append((s.index, text))
    return out


@dataclass
class _Cand:
    article: Article
    index: int
    text: str
    expression: str | None  # None: a report sentence (names no date)
    from_story: bool = False


def _resolve_all(articles: list[Article], config: AnalysisConfig, cache: dict | None) -> dict[str, ArticleDates]:
    """Every article's dates, resolved against its own date (or the story's, for an undated article)."""
    anchors = {}
    if any(a.published is None for a in articles):
        bags = {a.id: _bag(" ".join(s.text for s in article_sentences(a)[:40])) for a in articles}
        anchors = _anchor_dates(articles, bags)
    info: dict[str, ArticleDates] = {}
    for a in articles:
        base, origin = (a.published.date(), "article") if a.published else anchors.get(a.id, (None, "story"))
        key = (a.id, base, origin, config.timeline_min_words, config.timeline_report_sentences)
        got = cache.get(key) if cache is not None else None
        if got is None:
            got = article_dates(a, base, origin, config.timeline_min_words, config.timeline_report_sentences)
            if cache is not None:
                cache[key] = got
        info[a.id] = got
    return info


def _rank(
    articles: list[Article],
    info: dict[str, ArticleDates],
    config: AnalysisConfig,
    copy_of: dict[str, str],
    start: date | None,
    end: date | None,
):
    """(dates best first, their scores, the first report naming each)."""
    by_id = {a.id: a for a in articles}
    mentioning: dict[date, set[str]] = defaultdict(set)
    later: dict[date, set[str]] = defaultdict(set)
    n_sents: dict[date, int] = defaultdict(int)
    published: dict[date, set[str]] = defaultdict(set)
    first_report: dict[date, date] = {}
    for a in articles:
        ad = info[a.id]
        src = copy_of[a.id] if copy_of.get(a.id) in by_id else a.id  # copies of one original: one source
        if ad.published is not None:
            published[ad.published].add(src)
        for _, days in ad.dated:
            for d in days:
                mentioning[d].add(src)
                n_sents[d] += 1
                if ad.published is not None:
                    if ad.published > d:
                        later[d].add(src)
                    if d not in first_report or ad.published < first_report[d]:
                        first_report[d] = ad.published
    one_day = timedelta(days=1)
    c = config
    scores = {
        d: (
            len(ms)
            + c.timeline_later_weight * len(later[d])
            + c.timeline_sentence_weight * n_sents[d]
            + c.timeline_published_weight * len(published.get(d, ()))
            + c.timeline_next_day_weight * len(published.get(d + one_day, ()))
        )
        for d, ms in mentioning.items()
        if (start is None or d >= start) and (end is None or d <= end)
    }
    ranked = sorted(scores, key=lambda d: (-scores[d], -n_sents[d], d))
    return ranked, scores, first_report


def rank_dates(
    articles: list[Article],
    config: AnalysisConfig | None = None,
    copy_of: dict[str, str] | None = None,
    start: date | None = None,
    end: date | None = None,
    cache: dict | None = None,
) -> list[tuple[date, float]]:
    """Every day-precision event date the story's text names, with its importance, the most important first."""
    config = config or AnalysisConfig()
    ranked, scores, _ = _rank(articles, _resolve_all(articles, config, cache), config, copy_of or {}, start, end)
    return [(d, scores[d]) for d in ranked]


def rank_timeline(
    articles: list[Article],
    dates: int | None = None,
    sentences: int | None = None,
    config: AnalysisConfig | None = None,
    copy_of: dict[str, str] | None = None,
    start: date | None = None,
    end: date | None = None,
    cache: dict | None = None,
) -> list[TimelineEntry]:
    """The story's ``dates`` most important dates, most important first, each with ``sentences`` sentences.

    ``dates``/``sentences`` default to ``config.timeline_dates`` / ``config.timeline_sentences``.
    ``copy_of`` (copy id -> original id) makes copies count as one source; ``start``/``end`` keep only
    dates in that window; ``cache`` (a dict, reused between calls on overlapping article sets) keeps each
    article's resolved dates. Fewer entries come back when the text names fewer dates.
    """
    config = config or AnalysisConfig()
    n_dates = config.timeline_dates if dates is None else dates
    k = config.timeline_sentences if sentences is None else sentences
    if n_dates <= 0 or k <= 0 or not articles:
        return []
    copy_of = copy_of or {}
    info = _resolve_all(articles, config, cache)
    ranked, scores, first_report = _rank(articles, info, config, copy_of, start, end)
    one_day = timedelta(days=1)

    # -- 3./4. sentences for the best dates, until N dates have some
    by_day: dict[date, list[_Cand]] = defaultdict(list)
    reports: dict[date, list[_Cand]] = defaultdict(list)
    for a in articles:
        ad = info[a.id]
        for idx, days in ad.dated:
            for d, (expr, text) in days.items():
                by_day[d].append(_Cand(a, idx, text, expr, ad.origin == "story"))
        if ad.published is not None:
            for idx, text in ad.undated_lead:
                for d in (ad.published, ad.published - one_day):
                    reports[d].append(_Cand(a, idx, text, None))
    vectorizer = _fit_vectorizer(articles, info)
    entries: list[TimelineEntry] = []
    for d in ranked:
        if len(entries) >= n_dates:
            break
        chosen = _summarise_date(by_day[d], reports.get(d, []), k, vectorizer, config)
        if not chosen:
            continue
        first_dated = next((c for c in chosen if c.expression), None) or by_day[d][0]
        entries.append(
            TimelineEntry(
                date=d,
                precision="day",
                text=" ".join(c.text for c in chosen),
                expression=first_dated.expression or "",
                sources=[
                    Citation(
                        article_id=c.article.id,
                        sentence_index=c.index,
                        outlet=c.article.outlet,
                        text=c.text,
                        copy_of=copy_of.get(c.article.id),
                    )
                    for c in chosen
                ],
                resolved_from="story" if all(c.from_story for c in chosen if c.expression) else "article",
                kind="event",
                reported=first_report.get(d),
                sentences=[c.text for c in chosen],
                rank=len(entries) + 1,
                score=round(scores[d], 4),
            )
        )
    return entries


# --------------------------------------------------------------------------- date summaries


def _fit_vectorizer(articles: list[Article], info: dict[str, ArticleDates]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [t for a in articles for _, days in info[a.id].dated for _, t in days.values()]
    texts += [t for a in articles for _, t in info[a.id].undated_lead]
    vec = TfidfVectorizer(stop_words="english", lowercase=True, sublinear_tf=True)
    try:
        vec.fit(texts or [""])
    except ValueError:  # nothing but stop words
        return None
    return vec


def knee_point(values: list[float]) -> int:
    """Index of the knee of a decreasing curve: the point farthest from the line joining its two ends."""
    n = len(values)
    if n < 3:
        return n - 1
    y = np.asarray(values, dtype=float)
    x = np.arange(n, dtype=float)
    dx, dy = x[-1] - x[0], y[-1] - y[0]
    norm = float(np.hypot(dx, dy)) or 1.0
    dist = np.abs(dy * (x - x[0]) - dx * (y - y[0])) / norm
    return int(dist.argmax())


def _unit_rows(X):
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return norms


def _summarise_date(ment: list[_Cand], pub: list[_Cand], k: int, vectorizer, config: AnalysisConfig) -> list[_Cand]:
    """K sentences for one date: candidates filtered by the date vector, then greedy centroid optimisation."""
    lo, hi = config.timeline_min_sentence_words, config.timeline_max_sentence_words

    def fits(c: _Cand) -> bool:
        n = len(c.text.split())
        return lo <= n <= hi

    seen: set[str] = set()

    def usable(cs: list[_Cand]) -> list[_Cand]:
        out = []
        for c in cs:
            if fits(c) and c.text not in seen:  # the same sentence (a copy) once
                seen.add(c.text)
                out.append(c)
        return out

    ment, pub = usable(ment), usable(pub)
    if not ment:
        return []  # a date no sentence names (in a usable sentence) is no event here
    if vectorizer is None:
        return ment[:k]
    cands = ment + pub
    X = vectorizer.transform([c.text for c in cands]).tocsr()
    if pub:
        Xm, Xp = X[: len(ment)], X[len(ment) :]
        cm = np.asarray(Xm.sum(axis=0)).ravel() / len(ment)
        cp = np.asarray(Xp.sum(axis=0)).ravel() / len(pub)
        vec = np.where((cm > 0) & (cp > 0), cm + cp, 0.0)
        if vec.any():
            sims = (X @ vec) / (_unit_rows(X) * (np.linalg.norm(vec) or 1.0))
            order = sorted(sims, reverse=True)
            thresh = order[knee_point(order)]
            keep = [i for i in range(len(cands)) if sims[i] > 0 and sims[i] > thresh]
            if keep:  # else all of them, as news-tls does
                cands = [cands[i] for i in keep]
                X = X[keep]
        else:
            cands, X = ment, X[: len(ment)]
    centroid = np.asarray(X.sum(axis=0)).ravel()
    cnorm = np.linalg.norm(centroid)
    if cnorm == 0:
        return cands[:k]
    centroid /= cnorm
    dense_cols = np.unique(X.indices)
    Xd = X[:, dense_cols].toarray()
    cen = centroid[dense_cols]
    norms = np.linalg.norm(Xd, axis=1)
    norms[norms == 0] = 1.0
    unit = Xd / norms[:, None]
    chosen: list[int] = []
    total = np.zeros(Xd.shape[1])
    remaining = set(range(len(cands)))
    while remaining and len(chosen) < k:
        best, best_val = None, -1.0
        for i in sorted(remaining):
            v = total + Xd[i]
            nv = np.linalg.norm(v)
            val = float(v @ cen / nv) if nv else 0.0
            if val > best_val:
                best, best_val = i, val
        assert best is not None
        remaining.discard(best)
        if any(float(unit[best] @ unit[j]) > config.timeline_redundancy for j in chosen):
            continue
        chosen.append(best)
        total += Xd[best]
    return [cands[i] for i in chosen]
