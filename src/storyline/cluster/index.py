"""Where a new article looks for its story: unit story centroids searched top-k (exact on a numpy matrix, usearch
HNSW beyond ``exact_max`` stories) and an inverted index from each story's rarest entities to the stories posted
most recently under them; so placing an article never scans every story."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config import ClusterConfig
from .vectors import Group, _Doc, _Vocab


class _CentroidIndex:
    """Unit story centroids for top-k candidate search.

    Exact search on a numpy matrix while small (deterministic, ~1 ms at 20k stories); above
    ``exact_max`` rows an HNSW index (usearch) is kept beside it so a query costs ~log(n).
    """

    def __init__(self, dim: int, exact_max: int = 20_000):
        self.dim = dim
        self.exact_max = exact_max
        self.mat = np.zeros((256, dim), dtype=np.float32)
        self.alive = np.zeros(256, dtype=bool)
        self.size = 0
        self._hnsw: Any = None

    def add(self, vec: np.ndarray) -> int:
        if self.size >= len(self.mat):
            self.mat = np.concatenate([self.mat, np.zeros_like(self.mat)])
            self.alive = np.concatenate([self.alive, np.zeros_like(self.alive)])
        i = self.size
        self.size += 1
        self.mat[i] = vec
        self.alive[i] = True
        if self._hnsw is not None:
            self._hnsw.add(i, vec)
        elif self.size > self.exact_max:
            self._build_hnsw()
        return i

    def update(self, i: int, vec: np.ndarray) -> None:
        self.mat[i] = vec
        if self._hnsw is not None:
            self._hnsw.remove(i)
            self._hnsw.add(i, vec)

    def remove(self, i: int) -> None:
        self.alive[i] = False
        self.mat[i] = 0.0
        if self._hnsw is not None:
            self._hnsw.remove(i)

    def _build_hnsw(self) -> None:
        from usearch.index import Index

        idx = Index(ndim=self.dim, metric="ip", dtype="f16")
        keys = np.nonzero(self.alive[: self.size])[0]
        if len(keys):
            idx.add(keys.astype(np.uint64), self.mat[keys], threads=1)
        self._hnsw = idx

    def search(self, vec: np.ndarray, k: int) -> list[int]:
        if self.size == 0:
            return []
        if self._hnsw is not None:
            m = self._hnsw.search(vec, k)
            return [int(x) for x in m.keys]
        sims = self.mat[: self.size] @ vec
        sims[~self.alive[: self.size]] = -2.0
        k = min(k, self.size)
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.lexsort((top, -sims[top]))]  # best first, ties by age: deterministic
        return [int(i) for i in top if self.alive[i]]


class CandidatesMixin:
    """:class:`StoryClusterer`'s candidate stories: its ``index`` (:class:`_CentroidIndex`, one row per story in
    ``_groups`` order) and its entity ``postings``."""

    # what this part uses of StoryClusterer (declared for the type checker)
    config: ClusterConfig
    vocab: _Vocab
    _groups: list[Group]
    index: _CentroidIndex
    postings: dict[int, list[int]]
    _changed_posts: set[int]

    def _index_story(self, si: int, doc: _Doc | None, new: bool) -> None:
        s = self._groups[si]
        if new:
            self.index.add(s.centroid())
        else:
            self.index.update(si, s.centroid())
        if doc is not None:
            for eid in self._rarest(doc.e_ids):  # post the article's most specific entities
                self._post(eid, si)

    def _rarest(self, e_ids: np.ndarray) -> list[int]:
        """The ``posting_entities`` entities of highest IDF (the inverted index's keys for a document or story)."""
        if not len(e_ids):
            return []
        idf = self.vocab.idf(e_ids)
        return [int(e_ids[j]) for j in np.argsort(-idf, kind="stable")[: self.config.posting_entities]]

    def _post(self, eid: int, si: int) -> None:
        """Story ``si`` becomes the most recent under entity ``eid`` (lists capped at ``posting_cap``)."""
        lst = self.postings.setdefault(eid, [])
        if lst and lst[-1] == si:
            return
        self._changed_posts.add(eid)
        if si in lst:
            lst.remove(si)
        lst.append(si)
        if len(lst) > self.config.posting_cap:
            del lst[0]

    def _candidates(self, emb: np.ndarray, e_ids: np.ndarray) -> list[int]:
        """Live stories to score a document (or an incoming story) against, in order: the nearest
        centroids to ``emb``, then the stories posted most recently under its rarest entities."""
        cand = self.index.search(emb, self.config.top_k)
        for eid in self._rarest(e_ids):
            cand += reversed(self.postings.get(eid, [])[-self.config.posting_per_entity :])
        seen: set[int] = set()
        out = []
        for si in cand:
            if si not in seen and 0 <= si < len(self._groups) and self._groups[si].alive:
                seen.add(si)
                out.append(si)
        return out
