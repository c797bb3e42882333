"""Per-story analysis: timeline, quotes, agreement/difference and the cited summary, cached in the store.

``StoryAnalyzer(config, embedder).analyze(story, articles, edges)`` runs the four analyses over a
story's articles (copies, from the reuse edges, count as one source); ``analysis_for(store, id)``
returns the stored analysis while the story is unchanged and recomputes it when its articles, its
copy edges or the analysis settings changed.

Two analyses read English only: quotes (an English spaCy model) and the timeline's temporal expressions
(English patterns, dateparser in English). An article whose language is known and not English is left
out of quotes, and gives the timeline only what needs no reading (its publication-date lead, ISO dates);
the analysis's ``notes`` say which articles were left out (their own ``notes`` say it too). Claims and
the summary compare sentences by embeddings and shared words, and take every article.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict

import numpy as np

from .config import Config
from .language import ENGLISH_ONLY, is_english
from .model import (
    COPY_RELATIONS,
    Article,
    ReuseEdge,
    Story,
    StoryAnalysis,
    TimelineEntry,
)

log = logging.getLogger(__name__)


def copies_from_edges(edges: Iterable[ReuseEdge], article_ids: Iterable[str] | None = None) -> dict[str, str]:
    """copy id -> original id from reuse edges (exact/near-duplicate and rewrite: target copies source).

    When a copy has several originals the most confident edge wins; edges leaving the story are ignored.
    """
    ids = set(article_ids) if article_ids is not None else None
    best: dict[str, tuple[float, str]] = {}
    for e in edges:
        if e.relation not in COPY_RELATIONS or e.source_id == e.target_id:
            continue
        if ids is not None and (e.source_id not in ids or e.target_id not in ids):
            continue
        if e.target_id not in best or best[e.target_id][0] < e.confidence:
            best[e.target_id] = (e.confidence, e.source_id)
    out = {t: s for t, (_, s) in best.items()}
    # break cycles (a -> b -> a): keep the edge into the earlier-sorted id only
    for t in list(out):
        seen, cur = {t}, out.get(t)
        while cur is not None and cur in out:
            if cur in seen:
                out.pop(max(seen))
                break
            seen.add(cur)
            cur = out.get(cur)
    return out


class _MemoEmbedder:
    """Wraps an embedder for one analysis: each distinct sentence is encoded once (claims and summary share)."""

    def __init__(self, embedder):
        self.inner = embedder
        self.cache: dict[str, np.ndarray] = {}

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if missing:
            for t, v in zip(missing, self.inner.encode(missing), strict=True):
                self.cache[t] = v
        if not texts:
            return self.inner.encode([])
        return np.stack([self.cache[t] for t in texts]).astype(np.float32)


class StoryAnalyzer:
    """Runs the analyses of one story. Loads the embedder lazily (``config.embed``) when none is given."""

    def __init__(self, config: Config | None = None, embedder=None):
        self.config = config or Config()
        self._embedder = embedder

    @property
    def embedder(self):
        if self._embedder is None:
            from .embed import get_embedder

            self._embedder = get_embedder(self.config.embed)
        return self._embedder

    def analyze(self, story: Story, articles: Sequence[Article], edges: Sequence[ReuseEdge] = ()) -> StoryAnalysis:
        from .compare import compare_claims
        from .quotes import extract_quotes
        from .summarize import summarize
        from .timeline import build_timeline

        arts = sorted(articles, key=Article.chronological_key)
        copy_of = copies_from_edges(edges, [a.id for a in arts])
        acfg = self.config.analysis
        analysis = StoryAnalysis(story_id=story.id)
        if not arts:
            return analysis
        others = {a.id: a.language for a in arts if not is_english(a.language)}
        analysis.timeline = language_neutral_timeline(build_timeline(arts, acfg), set(others))
        analysis.quotes = extract_quotes([a for a in arts if a.id not in others])
        analysis.notes = skipped_notes(others)
        embedder = _MemoEmbedder(self.embedder)
        analysis.claims = compare_claims(arts, embedder, acfg, copy_of)
        analysis.summary = summarize(arts, embedder, acfg, words=acfg.summary_words, copy_of=copy_of)
        return analysis


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def language_neutral_timeline(entries: list[TimelineEntry], others: set[str]) -> list[TimelineEntry]:
    """The timeline without what it read from articles not in English (``others``: their ids), except what
    needs no reading: a publication-date lead, an ISO date. Entries left with no source are dropped."""
    if not others:
        return entries
    out = []
    for e in entries:
        if e.expression != "(publication date)" and not _ISO_DATE.match(e.expression.strip()):
            e.sources = [c for c in e.sources if c.article_id not in others]
        if e.sources:
            out.append(e)
    return out


def skipped_notes(others: dict[str, str | None]) -> list[str]:
    """One note per English-only analysis that left articles out: which ones, in which languages."""
    if not others:
        return []
    listed = ", ".join(f"{aid} ({lang})" for aid, lang in sorted(others.items()))
    n = f"{len(others)} article{'s' if len(others) != 1 else ''} not in English"
    return [f"{ENGLISH_ONLY['quotes']}: {n} left out: {listed}", f"{ENGLISH_ONLY['timeline']} for {n}: {listed}"]


def story_edges(store, article_ids: Sequence[str]) -> list[ReuseEdge]:
    """The reuse edges between articles of a story (each once)."""
    ids = set(article_ids)
    seen: set[tuple[str, str, str]] = set()
    out = []
    for aid in article_ids:
        for e in store.edges_for(aid):
            key = (e.source_id, e.target_id, e.relation)
            if key in seen or e.source_id not in ids or e.target_id not in ids:
                continue
            seen.add(key)
            out.append(e)
    return out


def analysis_version(article_ids: Iterable[str], edges: Iterable[ReuseEdge], config: Config | None = None) -> str:
    """Hash of what an analysis depends on: the story's articles, its copy edges and the analysis settings."""
    payload = {
        "articles": sorted(article_ids),
        "edges": sorted((e.source_id, e.target_id, e.relation) for e in edges),
        "analysis": asdict(config.analysis) if config else None,
        "embed": config.embed.backend if config else None,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def analysis_for(store, story_id: str, config: Config | None = None, embedder=None) -> StoryAnalysis | None:
    """The story's analysis: cached in the store, recomputed when the story (or the settings) changed."""
    story = store.get_story(story_id)
    if story is None:
        return None
    config = config or store.load_config() or Config()
    articles = store.get_articles(story.article_ids)
    edges = story_edges(store, [a.id for a in articles])
    version = analysis_version([a.id for a in articles], edges, config)
    cached = store.get_analysis(story.id)
    if cached is not None and cached[0] == version:
        return cached[1]
    analysis = StoryAnalyzer(config, embedder).analyze(story, articles, edges)
    with store.transaction():
        store.put_analysis(story.id, version, analysis)
    return analysis
