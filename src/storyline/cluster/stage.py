"""The pipeline stage: :class:`ClusterStage` loads the clusterer from the store once per process (the global part,
its deltas and the live stories' parts, under the keys below), places each chunk's articles, and saves the changed
stories, the merges and the state; copies are read from the reuse stage's results or stored edges."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..config import ClusterConfig
from ..model import DUPLICATE_RELATIONS, Article
from .clusterer import Assignment, StoryClusterer
from .crosslingual import CrossLingualLinker, join_links, plan_links
from .features import DocFeatures, embed_text, featurize
from .state import _unpack_groups
from .vectors import Group

STATE_KEY = "cluster.state"
DELTA_KEY = "cluster.state.delta/"  # + sequence number 1..n, applied in order after STATE_KEY
DELTAS_KEY = "cluster.state.deltas"  # n (ASCII), and the bytes of the deltas: "n size"
STORY_KEY = "cluster.story/"
GEN_KEY = "cluster.generation"


def copies_from_results(results: dict[str, Any]) -> dict[str, str]:
    """copy id -> original id, from ``ArticleResult.copies_of`` (exact/near duplicates only)."""
    out: dict[str, str] = {}
    for aid, r in results.items():
        best = None
        for c in getattr(r, "copies_of", None) or []:
            if c.get("relation") in DUPLICATE_RELATIONS and (
                best is None or c.get("confidence", 0) > best.get("confidence", 0)
            ):
                best = c
        if best is not None and best.get("source_id") and best["source_id"] != aid:
            out[aid] = best["source_id"]
    return out


def copies_from_edges(edges: Iterable[Any]) -> dict[str, str]:
    """copy id -> original id from stored reuse edges (for batch re-clustering)."""
    best: dict[str, Any] = {}
    for e in edges:
        if e.relation in DUPLICATE_RELATIONS and (
            e.target_id not in best or e.confidence > best[e.target_id].confidence
        ):
            best[e.target_id] = e
    return {t: e.source_id for t, e in best.items()}


class ClusterStage:
    """Pipeline stage: load the clusterer from the store once per process, place articles, save."""

    def __init__(self, config: ClusterConfig | None = None, embedder: Any = None):
        self.config = config or ClusterConfig()
        self.embedder = embedder
        self.linker = CrossLingualLinker(self.config) if self.config.cross_language else None
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

                def part(sid: str) -> Group | None:
                    data = store.get_state(STORY_KEY + sid)
                    return _unpack_groups(data)[0] if data else None

                n, _ = self._deltas(store)
                deltas = [store.get_state(f"{DELTA_KEY}{i}") for i in range(1, n + 1)]
                if any(d is None for d in deltas):
                    raise ValueError("cluster state: a saved delta is missing (re-run `storyline cluster`)")
                self.clusterer = StoryClusterer.from_parts(blob, part, self.config, self.embedder, deltas)
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
        for sid in c.story_ids() if story_ids is None else story_ids:
            if sid in c.by_id:
                store.put_state(STORY_KEY + sid, c.story_bytes(sid))
        self._generation = uuid.uuid4().hex.encode()
        store.put_state(GEN_KEY, self._generation)

    def prepare(self, articles: list[Article]) -> list[DocFeatures]:
        """The per-article part of placing (text features and the embedding): pure, so the pipeline
        computes it in a worker process ahead of :meth:`process`."""
        feats = [featurize(a, self.config).hashed(self.config.hash_bits) for a in articles]
        if self.embedder is not None and articles:
            for f, vec in zip(feats, self.embedder.encode([embed_text(a) for a in articles]), strict=True):
                f.embedding = vec
        return feats

    def process(
        self, articles: list[Article], store: Any, results: dict[str, Any], prepared: list[DocFeatures] | None = None
    ) -> list[Assignment]:
        clusterer = self._ensure_loaded(store)
        copies = copies_from_results(results)
        ready = {f.article_id: f for f in prepared or ()}
        feats = [ready.get(a.id) for a in articles]
        ready_embs = [f.embedding for f in feats if f is not None and f.embedding is not None]
        if len(ready_embs) == len(feats):
            embeddings = np.stack(ready_embs) if ready_embs else np.zeros((0, clusterer.dim), np.float32)
        else:
            embeddings = clusterer._embed(articles)
        for a, vec in zip(articles, embeddings, strict=True):
            store.put_embedding(self.embedding_kind, a.id, vec)
        links, alone = plan_links(self.linker, articles, store, copies)
        assignments = clusterer.partial_fit(articles, copies, embeddings, [f for f in feats if f is not None], alone)
        join_links(clusterer, assignments, links)
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
        have = dict(zip(keys, mat, strict=True)) if len(keys) else {}
        missing = [a for a in articles if a.id not in have]
        if missing:
            if self.embedder is None:
                raise ValueError("ClusterStage needs an embedder")
            vecs = self.embedder.encode([embed_text(a) for a in missing])
            for a, v in zip(missing, vecs, strict=True):
                have[a.id] = v
                store.put_embedding(kind, a.id, v)
        self.clusterer = StoryClusterer(self.config, self.embedder)
        dim = self.clusterer.dim
        emb = np.stack([have[a.id] for a in articles]) if articles else np.zeros((0, dim), np.float32)
        copies = copies_from_edges(store.all_edges())
        links, alone = plan_links(self.linker, articles, store, copies)
        assignments = self.clusterer.fit(articles, copies, emb, alone)
        join_links(self.clusterer, assignments, links)
        with store.transaction():
            store.delete_stories()
            for story in self.clusterer.stories():
                store.save_story(story)
            for old, new in self.clusterer.aliases.items():
                store.record_merge(old, new)
            self._save_state(store)
        return assignments
