"""What stories and events are called: an article's label candidate (its headline, else its first sentence), the
label most central to a group's words, and a group's key entities."""

from __future__ import annotations

import math

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
    clusterer's ``vocab``)."""

    # what this part uses of StoryClusterer (declared for the type checker)
    vocab: _Vocab

    def _label_scores(self, g: Group) -> list[float]:
        """Each label's cosine between its words (IDF-weighted) and the group's term vector, plus 0.02 for a
        headline; 0 for a label sharing no word with the group. All labels at once: the labels' word ids are
        looked up in the group's sorted ids with one ``searchsorted``."""
        labels = g.labels
        if len(g.t_ids) == 0:
            return [0.0] * len(labels)
        w = g.t_vals * self.vocab.idf(g.t_ids)
        wn = math.sqrt(float(np.dot(w, w)))
        lens = np.fromiter((len(lab[3]) for lab in labels), dtype=np.int64, count=len(labels))
        if not lens.any():
            return [0.0] * len(labels)
        ids = np.concatenate([lab[3] for lab in labels])
        lw = self.vocab.idf(ids)
        pos = np.minimum(np.searchsorted(g.t_ids, ids), len(g.t_ids) - 1)
        hit = g.t_ids[pos] == ids
        seg = np.repeat(np.arange(len(labels)), lens)
        hits = np.bincount(seg, weights=hit, minlength=len(labels))
        dots = np.bincount(seg, weights=np.where(hit, lw * w[pos], 0.0), minlength=len(labels))
        lnorms = np.sqrt(np.bincount(seg, weights=lw * lw, minlength=len(labels)))
        return [
            float(d / (ln * wn + 1e-9)) + (0.02 if lab[2] else 0.0) if h > 0 else 0.0
            for d, ln, h, lab in zip(dots, lnorms, hits, labels, strict=True)
        ]

    def _least_central(self, g: Group) -> int:
        return int(np.argmin(self._label_scores(g)))

    def _best_label(self, g: Group) -> str | None:
        if not g.labels:
            return None
        scores = self._label_scores(g)
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
