"""Merging stories: when an article ties two stories together they merge into the older one (the gone id becomes
an alias), and combining clusterers (the Spark job's windows): seeding the document frequencies, absorbing the
stories of a clusterer that ran over a later stretch of the stream."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import ClusterConfig
from ..model import Article
from .index import _CentroidIndex
from .vectors import _EMPTY_F, _EMPTY_I, Group, _sparse_add

if TYPE_CHECKING:
    from .clusterer import StoryClusterer


class MergesMixin:
    """:class:`StoryClusterer`'s merges: its groups, index, postings and aliases change together (and are recorded
    for the next state delta)."""

    # what this part uses of StoryClusterer (declared for the type checker)
    config: ClusterConfig
    dim: int
    _groups: list[Group]
    by_id: dict[str, Group]
    article_story: dict[str, int]
    article_event: dict[str, str]
    postings: dict[int, list[int]]
    index: _CentroidIndex
    aliases: dict[str, str]
    _changed_posts: set[int]
    _changed_alive: set[int]
    _changed_aliases: set[str]
    story_threshold: Any
    _doc: Any
    _top: Any
    _least_central: Any
    _story_pair_prob: Any
    _candidates: Any
    _rarest: Any
    _post: Any

    def _merge(self, keep: Group, gone: Group) -> None:
        cfg = self.config
        keep_i, gone_i = keep.order, gone.order
        gone_eids = gone.e_ids.copy()
        keep.article_ids += gone.article_ids
        keep.copy_ids += gone.copy_ids
        keep.n += gone.n
        keep.emb += gone.emb
        keep.t_ids, keep.t_vals = self._top(
            *_sparse_add(keep.t_ids, keep.t_vals, gone.t_ids, gone.t_vals), cfg.story_terms
        )
        keep.e_ids, keep.e_vals = self._top(
            *_sparse_add(keep.e_ids, keep.e_vals, gone.e_ids, gone.e_vals), cfg.story_entities
        )
        keep._cache = None
        for d in (gone.first, gone.last):
            if not math.isnan(d):
                keep.first = d if math.isnan(keep.first) else min(keep.first, d)
                keep.last = d if math.isnan(keep.last) else max(keep.last, d)
        for o, c in gone.outlets.items():
            keep.outlets[o] = keep.outlets.get(o, 0) + c
        keep.labels = (keep.labels + gone.labels)[:12]
        while len(keep.labels) > 6:
            keep.labels.pop(self._least_central(keep))
        keep.events += gone.events
        keep._cache = None
        for aid in gone.article_ids:
            self.article_story[aid] = keep_i
        gone.alive = False
        gone.article_ids, gone.copy_ids, gone.events, gone.labels = [], [], [], []
        gone.t_ids, gone.t_vals, gone.e_ids, gone.e_vals = _EMPTY_I, _EMPTY_F, _EMPTY_I, _EMPTY_F
        self.index.remove(gone_i)
        self.index.update(keep_i, keep.centroid())
        for eid in gone_eids:  # only the postings the gone story can be in (its entities)
            lst = self.postings.get(int(eid))
            if lst and gone_i in lst:
                self._changed_posts.add(int(eid))
                lst.remove(gone_i)
                if keep_i not in lst:
                    lst.append(keep_i)
        del self.by_id[gone.id]
        self.aliases[gone.id] = keep.id
        self._changed_alive.add(gone_i)
        self._changed_aliases.add(gone.id)
        for old, new in list(self.aliases.items()):
            if new == gone.id:
                self.aliases[old] = keep.id
                self._changed_aliases.add(old)

    def join(self, a_id: str, b_id: str) -> tuple[str, str] | None:
        """Merge the stories of two placed articles into the older one (a link the scorer cannot see, such as
        the same report in two languages); (gone id, kept id), or None when they are one story already or
        either article is not placed."""
        ia, ib = self.article_story.get(a_id), self.article_story.get(b_id)
        if ia is None or ib is None or ia == ib:
            return None
        a, b = self._groups[ia], self._groups[ib]
        keep, gone = (a, b) if a.order < b.order else (b, a)
        self._merge(keep, gone)
        return gone.id, keep.id

    # -- combining clusterers (the Spark job's windows) -----------------------------------------------
    def count_documents(self, articles: Iterable[Article]) -> None:
        """Add the articles' terms and entities to the document frequencies, counted exactly as placing
        them would count them, without placing them (a window's clusterer is seeded with the word
        statistics of the windows before it)."""
        zero = np.zeros(self.dim, dtype=np.float32)
        for a in articles:
            self._doc(a, zero)

    def absorb(self, other: StoryClusterer, prefix: str = "") -> dict[str, str]:
        """Link the live stories of ``other`` (a clusterer that ran over a later stretch of the stream)
        into this one, oldest first, as the stream merges two stories.

        Each is scored against this clusterer's stories from before the call -- candidates found as
        the stream finds them (nearest centroids + the stories posted under its rarest entities) --
        with the story-pair probability (the learnt weights on the tf-idf, entity and embedding cosines
        minus the time penalty), and merged into the most probable one if that clears the story
        threshold; else it is added as a new story with id ``prefix + its id``. The document
        frequencies stay this clusterer's (``other``'s are not added).
        Returns {prefix + other's story id: id of the story here that holds it}."""
        incoming = sorted((g for g in other._groups if g.alive and g.article_ids), key=lambda g: g.order)
        for g in incoming:
            for ev in g.events:
                ev.out = None  # labelled anew with this clusterer's word statistics
        scored = []
        for g in incoming:  # all scored against the stories from before the call
            best, best_p = None, -1.0
            for i in self._candidates(g.centroid(), g.e_ids):
                p = self._story_pair_prob(g, self._groups[i])
                if p > best_p or (p == best_p and best is not None and i < best):
                    best, best_p = i, p
            scored.append((g, best, best_p))
        out: dict[str, str] = {}
        for g, best, p in scored:
            ents = self._rarest(g.e_ids)
            g.id = prefix + g.id
            g.order = len(self._groups)
            g._cache = None
            self._groups.append(g)
            self.by_id[g.id] = g
            self.index.add(g.centroid())
            for aid in g.article_ids:
                self.article_story[aid] = g.order
            for ev in g.events:
                for aid in ev.article_ids:
                    self.article_event[aid] = ev.id
            target = g
            if best is not None and p >= self.story_threshold:
                target = self._groups[best]
                self._merge(target, g)
            for e in ents:
                self._post(e, target.order)
            out[g.id] = target.id
        return out
