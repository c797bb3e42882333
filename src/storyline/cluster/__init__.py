"""Online clustering of the article stream into stories, and of each story into events.

Each arriving article is represented by several signals:

- TF-IDF over content words and over named entities (capitalised phrases), with document
  frequencies updated as articles arrive (the weights are applied at comparison time, so
  early articles are not stuck with the poor IDF of a young corpus);
- a sentence embedding of its headline and lead (static model2vec by default, MiniLM selectable);
- its date (a story quiet for weeks is a weaker candidate; an undated article is neutral).

A logistic scorer combines ``[tfidf cosine, entity cosine, embedding cosine]`` with weights
learnt on the tuning half of the DUC 2004 clusters (``eval/cluster.py --train``; shipped as
``storyline/data/cluster_weights.json``, one set per embedding model) and subtracts a time
penalty. The article joins the best candidate story if the score clears the threshold, else it
opens a new story. Candidate stories come from an index over story centroids (exact top-k on a
numpy matrix; usearch HNSW once the index is large) plus an inverted index over entities, so
adding an article never scans every story.

Inside a story the same step runs at a finer grain (tighter threshold, and a date gap larger
than a few days opens a new event), giving an ordered list of events.

Identity is deterministic: a story's id derives from its first article's id and stays as the
story grows; when an article ties two stories together they merge into the older one and the
merge (old -> new) is reported so the store can keep the alias. Copies (exact and near
duplicates found by the reuse stage) join their original's story and event without counting as
independent coverage (kept in ``article_ids``; left out of the centroid, the term statistics and
the outlet list).

:class:`StoryClusterer` is in-memory and store-free (the Spark job reuses it per window);
:class:`ClusterStage` is the pipeline stage that loads/saves it through a :class:`Store`.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config import ClusterConfig
from ..model import DUPLICATE_RELATIONS, Article
from .entities import extract_entities
from .events import EventsMixin
from .features import DocFeatures, _days, embed_text, featurize
from .index import CandidatesMixin, _CentroidIndex
from .labels import LabelsMixin
from .merges import MergesMixin
from .output import OutputMixin
from .scorer import FEATURES, ScoringMixin, default_weights
from .state import StateMixin, _unpack_groups
from .vectors import _EMPTY_F, _Doc, _Group, _merge_ids, _sparse_add, _Vocab

STATE_KEY = "cluster.state"
DELTA_KEY = "cluster.state.delta/"  # + sequence number 1..n, applied in order after STATE_KEY
DELTAS_KEY = "cluster.state.deltas"  # n (ASCII), and the bytes of the deltas: "n size"
STORY_KEY = "cluster.story/"
GEN_KEY = "cluster.generation"


# --------------------------------------------------------------------------- public records


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


# --------------------------------------------------------------------------- the clusterer


class StoryClusterer(ScoringMixin, CandidatesMixin, EventsMixin, MergesMixin, LabelsMixin, OutputMixin,
                     StateMixin):
    """In-memory online story and event clustering. See the module docstring."""

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
        self._groups: list[_Group] = []
        self.by_id: dict[str, _Group] = {}
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
    def _doc(self, article: Article, emb: np.ndarray, update_df: bool = True,
             features: DocFeatures | None = None) -> _Doc:
        cfg = self.config
        f = features if features is not None and features.article_id == article.id else featurize(article, cfg)
        counts, ents, surf = f.terms, f.entities, f.surfaces
        v = self.vocab
        t_ids, t_cnt = _merge_ids(v.ids(counts), list(counts.values()))
        e_keys = list(ents)
        e_raw = v.ids(e_keys)
        e_ids, e_cnt = _merge_ids(e_raw, list(ents.values()))
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
            for key, i in zip(e_keys, e_raw):
                if i not in v.surface:
                    v.surface[i] = surf[key]
                    self._changed_surf.add(i)
        t_vals = 1.0 + np.log(t_cnt) if len(t_cnt) else _EMPTY_F
        e_vals = 1.0 + np.log(e_cnt) if len(e_cnt) else _EMPTY_F
        t_ids, t_vals = self._top(t_ids, t_vals, cfg.article_terms)
        e_ids, e_vals = self._top(e_ids, e_vals, cfg.article_entities)
        label_ids = np.unique(np.asarray(v.ids(f.label_words), dtype=np.int32))
        return _Doc(
            id=article.id, t_ids=t_ids, t_vals=self._unit(t_vals), e_ids=e_ids, e_vals=self._unit(e_vals),
            emb=np.asarray(emb, dtype=np.float32), day=_days(article.published), outlet=article.outlet,
            label=f.label, label_is_title=f.label_is_title, label_ids=label_ids,
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
    def _add_to_group(self, g: _Group, doc: _Doc, max_terms: int, max_ents: int, max_labels: int) -> None:
        g.article_ids.append(doc.id)
        g.n += 1
        g.emb += doc.emb.astype(g.emb.dtype)
        g.t_ids, g.t_vals = self._top(*_sparse_add(g.t_ids, g.t_vals, doc.t_ids, doc.t_vals), max_terms)
        g.e_ids, g.e_vals = self._top(*_sparse_add(g.e_ids, g.e_vals, doc.e_ids, doc.e_vals), max_ents)
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

    def _new_story(self, doc: _Doc) -> _Group:
        sid = "s-" + doc.id
        while sid in self.by_id or sid in self.aliases:  # re-clustering can reuse a first article
            sid += "x"
        s = _Group(sid, len(self._groups), self.dim)
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
    ) -> list[Assignment]:
        """Place each article (in the given order) into a story and an event.

        ``copies`` maps a copy's id to its original's id (exact/near duplicates); a copy whose
        original is known joins the original's story and event without being scored or counted.
        ``embeddings`` (one row per article) skips the embedding step; ``features``
        (:func:`featurize` of the articles, computed ahead, e.g. in another process) skips the text
        analysis. Either gives the same result as computing them here.
        """
        copies = copies or {}
        articles = list(articles)
        feats = {f.article_id: f for f in features or ()}
        if embeddings is None:
            embeddings = self._embed(articles)
        out: list[Assignment] = []
        for a, emb in zip(articles, embeddings):
            if a.id in self.article_story:  # already placed: idempotent
                s = self._groups[self.article_story[a.id]]
                out.append(Assignment(a.id, s.id, self.article_event.get(a.id, ""), False))
                continue
            orig = copies.get(a.id)
            if orig is not None and orig in self.article_story:
                out.append(self._add_copy(a, orig))
                continue
            out.append(self._place(a, emb, feats.get(a.id)))
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

    def _place(self, a: Article, emb: np.ndarray, features: DocFeatures | None = None) -> Assignment:
        self._vcache.clear()  # weighted vectors depend on the document frequencies, which this article changes
        doc = self._doc(a, emb, features=features)
        doc_w = (*self._weighted(doc.t_ids, doc.t_vals), *self._weighted(doc.e_ids, doc.e_vals))
        self._load_doc(doc, doc_w)
        try:
            return self._place_doc(doc, doc_w)
        finally:
            self._unload_doc()

    def _place_doc(self, doc: _Doc, doc_w) -> Assignment:
        cfg = self.config
        scored: list[tuple[float, int]] = []
        for si in self._candidates(doc.emb, doc.e_ids):
            p, _ = self.score(doc, self._groups[si], doc_w)
            scored.append((p, si))
        scored.sort(key=lambda x: (-x[0], self._groups[x[1]].order))
        merged: list[tuple[str, str]] = []
        if scored and scored[0][0] >= self.story_threshold:
            p, si = scored[0]
            story = self._groups[si]
            new = False
        else:
            p = None
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
        return Assignment(doc.id, story.id, ev.id, new, merged, p)

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

    def fit(self, articles: Sequence[Article], copies: dict[str, str] | None = None, embeddings: np.ndarray | None = None) -> list[Assignment]:
        """Batch: forget everything, then place all articles in date order."""
        self.reset()
        articles = list(articles)
        if embeddings is not None:
            pos = {a.id: i for i, a in enumerate(articles)}
            ordered = self.date_order(articles)
            embeddings = np.asarray(embeddings)[[pos[a.id] for a in ordered]]
        else:
            ordered = self.date_order(articles)
        return self.partial_fit(ordered, copies, embeddings)


# --------------------------------------------------------------------------- the pipeline stage


def copies_from_results(results: dict[str, Any]) -> dict[str, str]:
    """copy id -> original id, from ``ArticleResult.copies_of`` (exact/near duplicates only)."""
    out: dict[str, str] = {}
    for aid, r in results.items():
        best = None
        for c in getattr(r, "copies_of", None) or []:
            if c.get("relation") in DUPLICATE_RELATIONS and (best is None or c.get("confidence", 0) > best.get("confidence", 0)):
                best = c
        if best is not None and best.get("source_id") and best["source_id"] != aid:
            out[aid] = best["source_id"]
    return out


def copies_from_edges(edges: Iterable[Any]) -> dict[str, str]:
    """copy id -> original id from stored reuse edges (for batch re-clustering)."""
    best: dict[str, Any] = {}
    for e in edges:
        if e.relation in DUPLICATE_RELATIONS and (e.target_id not in best or e.confidence > best[e.target_id].confidence):
            best[e.target_id] = e
    return {t: e.source_id for t, e in best.items()}


class ClusterStage:
    """Pipeline stage: load the clusterer from the store once per process, place articles, save."""

    def __init__(self, config: ClusterConfig | None = None, embedder: Any = None):
        self.config = config or ClusterConfig()
        self.embedder = embedder
        self.clusterer: StoryClusterer | None = None
        self._generation: bytes | None = None
        self._base_size = 0  # bytes of the last full global part

    @property
    def embedding_kind(self) -> str:
        return "cluster/" + getattr(self.embedder, "name", "embedding")

    def _ensure_loaded(self, store: Any) -> StoryClusterer:
        gen = store.get_state(GEN_KEY)
        if self.clusterer is None or gen != self._generation:
            blob = store.get_state(STATE_KEY)
            if blob:

                def part(sid: str) -> _Group | None:
                    data = store.get_state(STORY_KEY + sid)
                    return _unpack_groups(data)[0] if data else None

                n, _ = self._deltas(store)
                deltas = [store.get_state(f"{DELTA_KEY}{i}") for i in range(1, n + 1)]
                if any(d is None for d in deltas):
                    raise ValueError("cluster state: a saved delta is missing (re-run `storyline cluster`)")
                self.clusterer = StoryClusterer.from_parts(blob, part, self.config, self.embedder, deltas)  # type: ignore[arg-type]
                self._base_size = len(blob)
            else:
                self.clusterer = StoryClusterer(self.config, self.embedder)
            self._generation = gen
        return self.clusterer

    @staticmethod
    def _deltas(store: Any) -> tuple[int, int]:
        raw = store.get_state(DELTAS_KEY)
        if not raw:
            return 0, 0
        n, size = raw.decode("ascii").split()
        return int(n), int(size)

    def _save_state(self, store: Any, story_ids: Iterable[str] | None = None, full: bool = False) -> None:
        """The global part, and the parts of these stories (all live stories when None).

        The global part grows with the corpus (document frequencies, entity postings): after a full
        write, each save appends only what changed (a delta) until the deltas together outweigh the
        full part, which is then written again (so saving costs O(changes), amortised, and loading
        reads at most about twice the full part)."""
        c = self.clusterer
        assert c is not None
        n, size = (0, 0) if full or story_ids is None else self._deltas(store)
        delta = c.global_delta_bytes() if self._base_size and n < 10_000 else None
        if delta is not None and size + len(delta) <= self._base_size:
            store.put_state(f"{DELTA_KEY}{n + 1}", delta)
            store.put_state(DELTAS_KEY, f"{n + 1} {size + len(delta)}".encode("ascii"))
        else:
            blob = c.global_bytes()
            store.put_state(STATE_KEY, blob)
            store.put_state(DELTAS_KEY, b"0 0")
            self._base_size = len(blob)
        c.mark_saved()
        for sid in (c.story_ids() if story_ids is None else story_ids):
            if sid in c.by_id:
                store.put_state(STORY_KEY + sid, c.story_bytes(sid))
        self._generation = uuid.uuid4().hex.encode()
        store.put_state(GEN_KEY, self._generation)

    def prepare(self, articles: list[Article]) -> list[DocFeatures]:
        """The per-article part of placing (text features and the embedding): pure, so the pipeline
        computes it in a worker process ahead of :meth:`process`."""
        feats = [featurize(a, self.config) for a in articles]
        if self.embedder is not None and articles:
            for f, vec in zip(feats, self.embedder.encode([embed_text(a) for a in articles])):
                f.embedding = vec
        return feats

    def process(self, articles: list[Article], store: Any, results: dict[str, Any],
                prepared: list[DocFeatures] | None = None) -> list[Assignment]:
        clusterer = self._ensure_loaded(store)
        copies = copies_from_results(results)
        ready = {f.article_id: f for f in prepared or ()}
        feats = [ready.get(a.id) for a in articles]
        if all(f is not None and f.embedding is not None for f in feats):
            embeddings = np.stack([f.embedding for f in feats]) if feats else np.zeros((0, clusterer.dim), np.float32)  # type: ignore[union-attr]
        else:
            embeddings = clusterer._embed(articles)
        for a, vec in zip(articles, embeddings):
            store.put_embedding(self.embedding_kind, a.id, vec)
        assignments = clusterer.partial_fit(articles, copies, embeddings, [f for f in feats if f is not None])
        self._save(store, assignments)
        for asg in assignments:
            r = results.get(asg.article_id)
            if r is not None:
                r.story_id = clusterer.resolve(asg.story_id) or asg.story_id
                r.event_id = asg.event_id
        return assignments

    def _save(self, store: Any, assignments: list[Assignment]) -> None:
        clusterer = self.clusterer
        assert clusterer is not None
        changed: list[str] = []
        merges: list[tuple[str, str]] = []
        for asg in assignments:
            changed.append(asg.story_id)
            merges += asg.merged
        live = [sid for sid in dict.fromkeys(clusterer.resolve(s) for s in changed) if sid]
        with store.transaction():
            for story in clusterer.stories_out(live):
                store.save_story(story)
            for old, new in merges:
                store.record_merge(old, clusterer.resolve(new) or new)
            self._save_state(store, live)

    def recluster(self, store: Any, on_progress: Any = None) -> list[Assignment]:
        """Batch: forget all stories and place every stored article again in date order."""
        articles = list(store.iter_articles())
        kind = self.embedding_kind
        keys, mat = store.get_embeddings(kind, [a.id for a in articles])
        have = dict(zip(keys, mat)) if len(keys) else {}
        missing = [a for a in articles if a.id not in have]
        if missing:
            if self.embedder is None:
                raise ValueError("ClusterStage needs an embedder")
            vecs = self.embedder.encode([embed_text(a) for a in missing])
            for a, v in zip(missing, vecs):
                have[a.id] = v
                store.put_embedding(kind, a.id, v)
        self.clusterer = StoryClusterer(self.config, self.embedder)
        dim = self.clusterer.dim
        emb = np.stack([have[a.id] for a in articles]) if articles else np.zeros((0, dim), np.float32)
        assignments = self.clusterer.fit(articles, copies_from_edges(store.all_edges()), emb)
        with store.transaction():
            store.delete_stories()
            for story in self.clusterer.stories():
                store.save_story(story)
            for old, new in self.clusterer.aliases.items():
                store.record_merge(old, new)
            self._save_state(store)
        return assignments
