"""What stories and events are called: an article's label candidate (its headline, else its first sentence), the
label most central to a group's words, and a group's key entities."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model import Article
from ..text import split_sentences
from .vectors import Group, _Vocab


def _label_text(article: Article) -> tuple[str, bool]:
    """(headline, True) or (first sentence, False)."""
    if article.title and article.title.strip():
        return article.title.strip(), True
    for p in article.paragraphs:
        sents = split_sentences(p)
        if sents:
            s = sents[0]
            return (s if len(s) <= 200 else s[:197].rsplit(" ", 1)[0] + "…"), False
    return article.id, False


class LabelsMixin:
    """Labels of :class:`StoryClusterer`'s groups, scored against the group's IDF-weighted terms (uses the
    clusterer's ``vocab`` and ``_group_vectors``)."""

    # what this part uses of StoryClusterer (declared for the type checker)
    vocab: _Vocab
    _group_vectors: Any

    def _label_score(self, g: Group, lab: tuple[str, str, bool, np.ndarray]) -> float:
        ids = lab[3]
        if len(ids) == 0 or len(g.t_ids) == 0:
            return 0.0
        _, ia, ib = np.intersect1d(ids, g.t_ids, assume_unique=True, return_indices=True)
        if len(ib) == 0:
            return 0.0
        _, w, wn, _, _, _ = self._group_vectors(g)
        lw = self.vocab.idf(ids)
        # cosine between the label's words (idf-weighted) and the group's term vector
        return float(np.dot(lw[ia], w[ib]) / (np.linalg.norm(lw) * wn + 1e-9)) + (0.02 if lab[2] else 0.0)

    def _least_central(self, g: Group) -> int:
        scores = [self._label_score(g, lab) for lab in g.labels]
        return int(np.argmin(scores))

    def _best_label(self, g: Group) -> str | None:
        if not g.labels:
            return None
        scores = [self._label_score(g, lab) for lab in g.labels]
        titled = [i for i, lab in enumerate(g.labels) if lab[2]]
        pool = titled or list(range(len(g.labels)))
        best = max(pool, key=lambda i: (scores[i], -i))
        return g.labels[best][1]

    def _entities_of(self, g: Group, k: int) -> list[str]:
        if len(g.e_ids) == 0:
            return []
        w = g.e_vals * self.vocab.idf(g.e_ids)
        order = np.lexsort((g.e_ids, -w))
        out: list[str] = []
        seen_words: set[str] = set()
        for i in order:
            eid = int(g.e_ids[i])
            name = self.vocab.surface.get(eid)
            if not name:
                continue
            low = name.lower()
            if low in seen_words:
                continue
            # skip a single word already part of a chosen multi-word name
            if " " not in low and any(low in s.split() for s in seen_words):
                continue
            seen_words.add(low)
            out.append(name)
            if len(out) >= k:
                break
        return out
