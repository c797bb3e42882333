"""The learnt scorer: the shipped weights (``data/cluster_weights.json``, one set per embedding model) and the
thresholds read from them, the three cosines (tf-idf, entity, embedding) between an article and a group, the time
penalty, and the probabilities that an article belongs to a group and that two stories are one."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from importlib import resources
from typing import Any

import numpy as np

from ..config import ClusterConfig
from .vectors import _EMPTY_F, Group, _Doc, _sparse_dot, _Vocab

FEATURES = ("tfidf", "entity", "embedding")


def default_weights(embedder_name: str | None = None) -> dict[str, float]:
    """The shipped scorer weights for this embedding model (package data)."""
    data = json.loads(resources.files("storyline").joinpath("data/cluster_weights.json").read_text("utf-8"))
    models = data["models"]
    key = embedder_name if embedder_name in models else data["default"]
    return dict(models[key])


class ScoringMixin:
    """How :class:`StoryClusterer` scores: its ``weights`` and ``config``, its ``vocab`` (IDF at comparison time), a
    cache of each group's weighted vectors (``_vcache``) and a dense buffer holding the article being placed."""

    # what this part uses of StoryClusterer (declared for the type checker)
    config: ClusterConfig
    vocab: _Vocab
    weights: dict[str, float]
    _vcache: dict[int, Any]
    _buf: np.ndarray
    _buf_doc: _Doc | None

    # -- settings derived from config + learnt weights ------------------------------------
    @property
    def story_threshold(self) -> float:
        t = self.config.story_threshold
        return float(self.weights["threshold"] if t is None else t)

    @property
    def event_threshold(self) -> float:
        t = self.config.event_threshold
        return float(self.weights.get("event_threshold", 0.9) if t is None else t)

    # -- scoring ---------------------------------------------------------------------------
    def _logit(self, f: Sequence[float]) -> float:
        w = self.weights
        return w["bias"] + sum(w[name] * x for name, x in zip(FEATURES, f, strict=True))

    @staticmethod
    def _prob(z: float) -> float:
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def _gap_days(self, day: float, g: Group) -> float:
        if math.isnan(day) or math.isnan(g.first):
            return 0.0
        if day < g.first:
            return g.first - day
        if day > g.last:
            return day - g.last
        return 0.0

    def _weighted(self, ids: np.ndarray, vals: np.ndarray) -> tuple[np.ndarray, float]:
        if len(ids) == 0:
            return _EMPTY_F, 0.0
        w = vals * self.vocab.idf(ids)
        return w, math.sqrt(float(np.dot(w, w)))

    def _group_vectors(self, g: Group):
        """IDF-weighted term/entity vectors of a group, cached until it or the document frequencies change
        (exact, so results never depend on when a cache was filled, e.g. by a save between chunks)."""
        n = self.vocab.n_docs
        key = id(g)
        c = self._vcache.get(key)
        if c is None or n != c[0] or g._cache is not True:
            tw, tn = self._weighted(g.t_ids, g.t_vals)
            ew, en = self._weighted(g.e_ids, g.e_vals)
            c = (n, tw, tn, ew, en, g.centroid())
            self._vcache[key] = c
            g._cache = True  # "valid" flag only: the vectors live in _vcache, emptied per article
        return c

    def _load_doc(self, doc: _Doc, doc_w) -> None:
        """Scatter the document's weights into a dense buffer: a candidate's dot product is then one gather."""
        if len(self._buf) != len(self.vocab.df):
            self._buf = np.zeros(len(self.vocab.df), dtype=np.float32)
        if self._buf_doc is not None:
            self._unload_doc()
        self._buf[doc.t_ids] = doc_w[0]
        self._buf[doc.e_ids] = doc_w[2]
        self._buf_doc = doc

    def _unload_doc(self) -> None:
        d = self._buf_doc
        if d is not None:
            self._buf[d.t_ids] = 0.0
            self._buf[d.e_ids] = 0.0
        self._buf_doc = None

    def features(self, doc: _Doc, g: Group, doc_w=None) -> list[float]:
        dtw, dtn, dew, den = (
            doc_w
            if doc_w is not None
            else (*self._weighted(doc.t_ids, doc.t_vals), *self._weighted(doc.e_ids, doc.e_vals))
        )
        _, tw, tn, ew, en, cen = self._group_vectors(g)
        if self._buf_doc is doc:
            buf = self._buf
            tf = float(buf[g.t_ids] @ tw) / (dtn * tn) if dtn > 0 and tn > 0 else 0.0
            ef = float(buf[g.e_ids] @ ew) / (den * en) if den > 0 and en > 0 else 0.0
        else:
            tf = _sparse_dot(doc.t_ids, dtw, g.t_ids, tw) / (dtn * tn) if dtn > 0 and tn > 0 else 0.0
            ef = _sparse_dot(doc.e_ids, dew, g.e_ids, ew) / (den * en) if den > 0 and en > 0 else 0.0
        em = float(np.dot(doc.emb, cen))
        return [tf, ef, em]

    def features_many(self, doc: _Doc, groups: Sequence[Group], doc_w) -> np.ndarray:
        """:meth:`features` of the loaded document (:meth:`_load_doc`) against several groups at once, one row
        each: the groups' vectors are concatenated and weighted with one IDF gather, and each cosine is a
        segment sum (a few numpy calls per article instead of a dozen per candidate)."""
        k = len(groups)
        out = np.zeros((k, 3), dtype=np.float64)
        if k == 0:
            return out
        if self._buf_doc is not doc:
            for i, g in enumerate(groups):
                out[i] = self.features(doc, g, doc_w)
            return out
        _, dtn, _, den = doc_w
        for col, dn, ids_of, vals_of in ((0, dtn, "t_ids", "t_vals"), (1, den, "e_ids", "e_vals")):
            lens = np.fromiter((len(getattr(g, ids_of)) for g in groups), dtype=np.int64, count=k)
            if dn <= 0 or not lens.any():
                continue
            ids = np.concatenate([getattr(g, ids_of) for g in groups])
            w = np.concatenate([getattr(g, vals_of) for g in groups]) * self.vocab.idf(ids)
            seg = np.repeat(np.arange(k), lens)
            norms = np.sqrt(np.bincount(seg, weights=w * w, minlength=k))
            dots = np.bincount(seg, weights=self._buf[ids] * w, minlength=k)
            np.divide(dots, dn * norms, out=out[:, col], where=norms > 0)
        sums = np.stack([g.emb for g in groups]).astype(np.float32)
        norms32 = np.linalg.norm(sums, axis=1)
        np.divide(sums @ doc.emb, norms32, out=out[:, 2], where=norms32 > 0)
        return out

    def score_many(self, doc: _Doc, groups: Sequence[Group], doc_w) -> list[float]:
        """:meth:`score`'s probability for each group (the document loaded, as while placing it)."""
        f = self.features_many(doc, groups, doc_w)
        w = self.weights
        z = w["bias"] + ((w["tfidf"] * f[:, 0] + w["entity"] * f[:, 1]) + w["embedding"] * f[:, 2])  # as _logit
        return [
            self._prob(float(zi) - self._time_penalty(self._gap_days(doc.day, g)))
            for zi, g in zip(z, groups, strict=True)
        ]

    def _time_penalty(self, gap: float) -> float:
        if gap <= 0:
            return 0.0
        return self.config.time_weight * math.log1p(gap / self.config.time_decay_days)

    def score(self, doc: _Doc, g: Group, doc_w=None) -> tuple[float, list[float]]:
        f = self.features(doc, g, doc_w)
        z = self._logit(f) - self._time_penalty(self._gap_days(doc.day, g))
        return self._prob(z), f

    @property
    def merge_threshold(self) -> float:
        t = self.config.merge_threshold
        return float(self.weights.get("merge_threshold", max(self.story_threshold, 0.8)) if t is None else t)

    def _story_pair_prob(self, s: Group, t: Group) -> float:
        _, stw, stn, sew, sen, sc = self._group_vectors(s)
        _, ttw, ttn, tew, ten, tc = self._group_vectors(t)
        tf = _sparse_dot(s.t_ids, stw, t.t_ids, ttw) / (stn * ttn) if stn > 0 and ttn > 0 else 0.0
        ef = _sparse_dot(s.e_ids, sew, t.e_ids, tew) / (sen * ten) if sen > 0 and ten > 0 else 0.0
        em = float(np.dot(sc, tc))
        gap = 0.0
        if not (math.isnan(s.first) or math.isnan(t.first)):
            gap = max(0.0, max(s.first, t.first) - min(s.last, t.last))
        return self._prob(self._logit([tf, ef, em]) - self._time_penalty(gap))
