"""The online step: :class:`StoryClusterer` places each article into a story (candidates, the learnt score, the
story threshold) and an event, adds copies to their original's story, and merges stories an article ties together;
:class:`Assignment` records where each article went. The method is described in :mod:`storyline.cluster`; the
parts of the class are its bases, one file each."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config import ClusterConfig
from ..model import Article
from .events import EventsMixin
from .features import DocFeatures, _days, embed_text, featurize
from .index import CandidatesMixin, _CentroidIndex
from .labels import LabelsMixin
from .merges import MergesMixin
from .output import OutputMixin
from .scorer import ScoringMixin, default_weights
from .state import StateMixin
from .vectors import _EMPTY_F, Group, _Doc, _sparse_add, _Vocab


@dataclass
class Assignment:
    """Where one article went."""

    article_id: str
    story_id: str
    event_id: str
    new_story: bool
    merged: list[tuple[str, str]] = field(default_factory=list)  # (old_id, new_id) merges this article caused
    score: float | None = None  # probability of the chosen story (None for a new story or a copy)
    copy_of: str | None = None


class StoryClusterer(ScoringMixin, CandidatesMixin, EventsMixin, MergesMixin, LabelsMixin, OutputMixin, StateMixin):
    """In-memory online story and event clustering. See the package docstring."""

    def __init__(self, config: ClusterConfig | None = None, embedder: Any = None):
        self.config = config or ClusterConfig()
        self.embedder = embedder
        name = getattr(embedder, "name", None)
        learnt = default_weights(name)
        learnt.update(self.config.weights or {})
        self.weights = learnt
        self.dim = int(getattr(embedder, "dim", 0) or learnt.get("dim", 256))
        self.reset()

    def reset(self) -> None:
        self.vocab = _Vocab(self.config.hash_bits)
        self._groups: list[Group] = []
        self.by_id: dict[str, Group] = {}
        self.article_story: dict[str, int] = {}  # article id -> story index
        self.article_event: dict[str, str] = {}  # article id -> event id
        self.postings: dict[int, list[int]] = {}  # entity id -> story indices (most recent last)
        self.index = _CentroidIndex(self.dim, self.config.index_exact_max)
        self.aliases: dict[str, str] = {}  # merged story id -> the id it was merged into
        self.n_events = 0
        self._buf = np.zeros(0, dtype=np.float32)
        self._vcache: dict[int, Any] = {}
        self._buf_doc: _Doc | None = None
        self.mark_saved(0)

    # -- building a document -----------------------------------------------------------------
    def _doc(
        self, article: Article, emb: np.ndarray, update_df: bool = True, features: DocFeatures | None = None
    ) -> _Doc:
        cfg = self.config
        v = self.vocab
        f = features if features is not None and features.article_id == article.id else None
        h = f.terms_for(v.bits) if f is not None else None
        if f is None or h is None:
            f = featurize(article, cfg)
            h = f.terms_for(v.bits)
        assert h is not None
        t_ids, t_cnt, e_ids, e_cnt = h.t_ids, h.t_cnt, h.e_ids, h.e_cnt
        if update_df:
            v.n_docs += 1
            if len(self._changed_df) > 512:  # a clusterer that is never saved: keep the record bounded
                self._changed_df = [np.unique(np.concatenate(self._changed_df))]
            if len(t_ids):
                v.df[t_ids] += 1
                self._changed_df.append(t_ids)
            if len(e_ids):
                v.df[e_ids] += 1
                self._changed_df.append(e_ids)
            for i, surface in zip(h.e_raw, h.e_surfaces, strict=True):
                if i not in v.surface:
                    v.surface[i] = surface
                    self._changed_surf.add(i)
        t_vals = 1.0 + np.log(t_cnt) if len(t_cnt) else _EMPTY_F
        e_vals = 1.0 + np.log(e_cnt) if len(e_cnt) else _EMPTY_F
        t_ids, t_vals = self._top(t_ids, t_vals, cfg.article_terms)
        e_ids, e_vals = self._top(e_ids, e_vals, cfg.article_entities)
        label_ids = h.label_ids
        return _Doc(
            id=article.id,
            t_ids=t_ids,
            t_vals=self._unit(t_vals),
            e_ids=e_ids,
            e_vals=self._unit(e_vals),
            emb=np.asarray(emb, dtype=np.float32),
            day=_days(article.published),
            outlet=article.outlet,
            label=f.label,
            label_is_title=f.label_is_title,
            label_ids=label_ids,
        )

    @staticmethod
    def _unit(vals: np.ndarray) -> np.ndarray:
        n = float(np.linalg.norm(vals))
        return (vals / n).astype(np.float32) if n > 0 else vals

    def _top(self, ids: np.ndarray, vals: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Keep the k heaviest terms (by current tf-idf), sorted by id."""
        if len(ids) > k:
            keep = np.argpartition(-(vals * self.vocab.idf(ids)), k - 1)[:k]
            ids, vals = ids[keep], vals[keep]
        order = np.argsort(ids, kind="stable")
        return ids[order].astype(np.int32), vals[order].astype(np.float32)

    # -- group updates ---------------------------------------------------------------------------
    def _add_to_group(self, g: Group, doc: _Doc, max_terms: int, max_ents: int, max_labels: int) -> None:
        g.article_ids.append(doc.id)
        g.n += 1
        g.emb += doc.emb.astype(g.emb.dtype)
        t_ids, t_vals = _sparse_add(g.t_ids, g.t_vals, doc.t_ids, doc.t_vals)
        g.t_ids, g.t_vals = self._top(t_ids, t_vals, max_terms)
        e_ids, e_vals = _sparse_add(g.e_ids, g.e_vals, doc.e_ids, doc.e_vals)
        g.e_ids, g.e_vals = self._top(e_ids, e_vals, max_ents)
        g._cache = None
        if not math.isnan(doc.day):
            g.first = doc.day if math.isnan(g.first) else min(g.first, doc.day)
            g.last = doc.day if math.isnan(g.last) else max(g.last, doc.day)
        if doc.outlet:
            g.outlets[doc.outlet] = g.outlets.get(doc.outlet, 0) + 1
        g.labels.append((doc.id, doc.label, doc.label_is_title, doc.label_ids))
        if len(g.labels) > max_labels:
            g.labels.pop(self._least_central(g))
        g._cache = None
        g.out = None

    def _new_story(self, doc: _Doc) -> Group:
        sid = "s-" + doc.id
        while sid in self.by_id or sid in self.aliases:  # re-clustering can reuse a first article
            sid += "x"
        s = Group(sid, len(self._groups), self.dim)
        self._groups.append(s)
        self.by_id[sid] = s
        return s

    # -- the online step ---------------------------------------------------------------------------
    def _embed(self, articles: Sequence[Article]) -> np.ndarray:
        if self.embedder is None:
            raise ValueError("StoryClusterer needs an embedder (or pass embeddings=...)")
        return self.embedder.encode([embed_text(a) for a in articles])

    def partial_fit(
        self,
        articles: Sequence[Article],
        copies: dict[str, str] | None = None,
        embeddings: np.ndarray | None = None,
        features: Sequence[DocFeatures] | None = None,
        alone: Collection[str] = (),
    ) -> list[Assignment]:
        """Place each article (in the given order) into a story and an event.

        ``copies`` maps a copy's id to its original's id (exact/near duplicates); a copy whose
        original is known joins the original's story and event without being scored or counted.
        ``embeddings`` (one row per article) skips the embedding step; ``features``
        (:func:`featurize` of the articles, computed ahead, e.g. in another process) skips the text
        analysis. Either gives the same result as computing them here. An article in ``alone`` (one the
        English signals cannot place, see :mod:`.crosslingual`) starts a story of its own unless it is a copy.
        """
        copies = copies or {}
        articles = list(articles)
        feats = {f.article_id: f for f in features or ()}
        if embeddings is None:
            embeddings = self._embed(articles)
        out: list[Assignment] = []
        for a, emb in zip(articles, embeddings, strict=True):
            if a.id in self.article_story:  # already placed: idempotent
                s = self._groups[self.article_story[a.id]]
                out.append(Assignment(a.id, s.id, self.article_event.get(a.id, ""), False))
                continue
            orig = copies.get(a.id)
            if orig is not None and orig in self.article_story:
                out.append(self._add_copy(a, orig))
                continue
            out.append(self._place(a, emb, feats.get(a.id), a.id in alone))
        return out

    def _add_copy(self, a: Article, orig: str) -> Assignment:
        si = self.article_story[orig]
        s = self._groups[si]
        s.article_ids.append(a.id)
        s.copy_ids.append(a.id)
        eid = self.article_event.get(orig)
        for ev in s.events:
            if ev.id == eid:
                ev.article_ids.append(a.id)
                ev.copy_ids.append(a.id)
                break
        self.article_story[a.id] = si
        self.article_event[a.id] = eid or ""
        return Assignment(a.id, s.id, eid or "", False, copy_of=orig)

    def _place(
        self, a: Article, emb: np.ndarray, features: DocFeatures | None = None, alone: bool = False
    ) -> Assignment:
        self._vcache.clear()  # weighted vectors depend on the document frequencies, which this article changes
        doc = self._doc(a, emb, features=features)
        doc_w = (*self._weighted(doc.t_ids, doc.t_vals), *self._weighted(doc.e_ids, doc.e_vals))
        self._load_doc(doc, doc_w)
        try:
            return self._place_doc(doc, doc_w, alone)
        finally:
            self._unload_doc()

    def _place_doc(self, doc: _Doc, doc_w, alone: bool = False) -> Assignment:
        cfg = self.config
        cands = [] if alone else self._candidates(doc.emb, doc.e_ids)
        probs = self.score_many(doc, [self._groups[si] for si in cands], doc_w)
        scored = list(zip(probs, cands, strict=True))
        scored.sort(key=lambda x: (-x[0], self._groups[x[1]].order))
        merged: list[tuple[str, str]] = []
        prob: float | None  # the probability of the story it joins; None for a new story
        if scored and scored[0][0] >= self.story_threshold:
            prob, si = scored[0]
            story = self._groups[si]
            new = False
        else:
            prob = None
            story = self._new_story(doc)
            si = story.order
            new = True
        self._add_to_group(story, doc, cfg.story_terms, cfg.story_entities, 6)
        self.article_story[doc.id] = si
        self._index_story(si, doc, new)
        ev = self._assign_event(story, doc, doc_w)
        # merge: the article also ties strongly to another story that looks like this one
        if not new:
            for p2, sj in scored[1:3]:
                if p2 < self.merge_threshold:
                    break
                other = self._groups[sj]
                if not other.alive or other is story:
                    continue
                if self._story_pair_prob(story, other) >= self.story_threshold:
                    keep, gone = (story, other) if story.order < other.order else (other, story)
                    self._merge(keep, gone)
                    merged.append((gone.id, keep.id))
                    story = keep
        return Assignment(doc.id, story.id, ev.id, new, merged, prob)

    # -- batch ---------------------------------------------------------------------------------
    @staticmethod
    def date_order(articles: Sequence[Article]) -> list[Article]:
        """Articles by date; an undated article keeps its place after the dated one before it."""
        keyed = []
        last = -math.inf
        for i, a in enumerate(articles):
            d = _days(a.published)
            if not math.isnan(d):
                last = d
                keyed.append((d, i, a))
            else:
                keyed.append((last, i, a))
        keyed.sort(key=lambda x: (x[0], x[1]))
        return [a for _, _, a in keyed]

    def fit(
        self,
        articles: Sequence[Article],
        copies: dict[str, str] | None = None,
        embeddings: np.ndarray | None = None,
        alone: Collection[str] = (),
    ) -> list[Assignment]:
        """Batch: forget everything, then place all articles in date order (``alone``: as in :meth:`partial_fit`)."""
        self.reset()
        articles = list(articles)
        if embeddings is not None:
            pos = {a.id: i for i, a in enumerate(articles)}
            ordered = self.date_order(articles)
            embeddings = np.asarray(embeddings)[[pos[a.id] for a in ordered]]
        else:
            ordered = self.date_order(articles)
        return self.partial_fit(ordered, copies, embeddings, alone=alone)
