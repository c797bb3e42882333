"""What placing an article needs of the article alone: the text that is embedded, its day number, and its term,
entity and label features (:func:`featurize`; pure and picklable, so they can be computed in another process)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from ..config import ClusterConfig
from ..model import Article
from ..text import content_words
from .entities import extract_entities
from .labels import _label_text
from .vectors import HashedTerms, hash_terms

_EPOCH = datetime(1970, 1, 1)


def embed_text(article: Article, max_words: int = 200) -> str:
    """What is embedded for clustering: the headline and the lead (first ``max_words`` words)."""
    parts: list[str] = []
    n = 0
    if article.title:
        parts.append(article.title)
    for p in article.paragraphs:
        w = p.split()
        if n + len(w) > max_words:
            parts.append(" ".join(w[: max(0, max_words - n)]))
            break
        parts.append(p)
        n += len(w)
    return "\n".join(x for x in parts if x)


def _days(dt: datetime | None) -> float:
    if dt is None:
        return math.nan
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return (dt - _EPOCH).total_seconds() / 86400.0


def _from_days(d: float) -> datetime | None:
    if d is None or math.isnan(d):
        return None
    from datetime import timedelta

    return _EPOCH + timedelta(days=d)


@dataclass
class DocFeatures:
    """What placing an article needs of its text alone (see :meth:`StoryClusterer.featurize`): pure,
    picklable, computable in another process. Term and entity keys are strings here; the clusterer
    maps them to its vocabulary ids when it places the article."""

    article_id: str
    terms: dict[str, int]  # content word -> count (the title counted twice)
    entities: dict[str, int]  # "@" + normalised entity -> count
    surfaces: dict[str, str]  # "@" + entity -> first surface form
    label: str
    label_is_title: bool
    label_words: list[str]
    embedding: np.ndarray | None = None  # of embed_text(article), when computed ahead
    # the keys above as vocabulary ids (:meth:`hashed`); a worker sends only these, with the dicts emptied
    ids: HashedTerms | None = None

    def hashed(self, bits: int) -> DocFeatures:
        """The same features with their keys mapped to ids of a ``2**bits`` vocabulary and the word dicts
        left out (a third of the bytes to send between processes, and no hashing left for the placing)."""
        ids = hash_terms(self.terms, self.entities, self.surfaces, self.label_words, bits)
        return DocFeatures(self.article_id, {}, {}, {}, self.label, self.label_is_title, [], self.embedding, ids)

    def terms_for(self, bits: int) -> HashedTerms | None:
        """The hashed keys for a ``2**bits`` vocabulary: kept ones, or hashed now from the dicts (None when the
        dicts were left out for another vocabulary size)."""
        if self.ids is not None:
            return self.ids if self.ids.bits == bits else None
        return hash_terms(self.terms, self.entities, self.surfaces, self.label_words, bits)


def featurize(article: Article, config: ClusterConfig) -> DocFeatures:
    """The per-article signals of :meth:`StoryClusterer._doc` that depend on nothing else."""
    toks = content_words(article.text)
    if article.title:
        toks += content_words(article.title) * 2
    counts: dict[str, int] = {}
    for t in toks:
        counts[t] = counts.get(t, 0) + 1
    ents: dict[str, int] = {}
    surf: dict[str, str] = {}
    etext = (article.title + "\n" if article.title else "") + article.text[: config.entity_chars]
    for k, s_ in extract_entities(etext):
        key = "@" + k
        ents[key] = ents.get(key, 0) + 1
        surf.setdefault(key, s_)
    label, is_title = _label_text(article)
    return DocFeatures(article.id, counts, ents, surf, label, is_title, content_words(label))
