"""The pipeline stage: for each new article, candidates through two routes (LSH band buckets in the store;
nearest article vectors in a usearch index, built once per process from the store or loaded from beside it,
then updated per article), comparison by the detector, the non-independent edges stored and
``results[id].copies_of`` filled."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import numpy as np

from ..config import ReuseConfig
from ..model import Article, ReuseEdge
from .detector import PreparedReuse, ReuseDetector
from .direction import decide_direction
from .vectors import VectorIndex


class ReuseStage:
    """Pipeline stage: candidates (LSH bands in the store + nearest embeddings) -> compare -> edges."""

    def __init__(self, config: ReuseConfig | None = None, embedder: Any = None, detector: ReuseDetector | None = None):
        self.config = config or ReuseConfig()
        self.embedder = embedder
        self.detector = detector or ReuseDetector(self.config, embedder)
        self._index: VectorIndex | None = None
        self._index_store: Any = None
        self._saved_size = 0
        self.index_source: str | None = None  # "file" (loaded beside the store) or "store" (rebuilt)
        self.stats = {
            "articles": 0,
            "lsh_candidates": 0,
            "semantic_candidates": 0,
            "semantic_skipped": 0,
            "compared": 0,
            "compared_ahead": 0,  # of which the comparisons done ahead by a worker (prepare_candidates)
            "edges": 0,
        }

    # ------------------------------------------------------------------ semantic index
    def _vector_index(self, store: Any) -> VectorIndex | None:
        if not (self.config.semantic and self.embedder is not None):
            return None
        if self._index is None or self._index_store is not store:
            dim = int(self.embedder.dim)
            base = self._index_path(store)
            index = VectorIndex.load(base, dim) if base else None
            self.index_source = "file" if index is not None else "store"
            if index is None:
                index = VectorIndex(dim)
            loaded = len(index)
            try:
                keys, mat = store.get_embeddings(self.config.embedding_kind)
            except ValueError:  # vectors of several sizes in that space: start empty, add as we go
                keys, mat = [], np.zeros((0, 0), dtype=np.float32)
            if len(keys) and mat.shape[1] == dim:
                missing = [i for i, k in enumerate(keys) if k not in index.key_of]
                if missing:  # stored since the file was written (or no file): add them
                    index.add([keys[i] for i in missing], mat[missing])
            self._index, self._index_store = index, store
            self._saved_size = loaded
            self._maybe_save(store, force=len(index) > 0 and self.index_source == "store")
        return self._index

    def _index_path(self, store: Any) -> str | None:
        path = getattr(store, "path", None)
        if not self.config.persist_index or path is None or str(path) in ("", ":memory:"):
            return None
        name = re.sub(r"[^\w.-]+", "_", str(getattr(self.embedder, "name", "embedder")))
        return f"{path}.{self.config.embedding_kind}.{name}.usearch"

    def _maybe_save(self, store: Any, force: bool = False) -> None:
        """Persist the vector index beside the store once it has grown by 5% (at least 256 articles),
        so that the next process loads it instead of rebuilding it."""
        index, base = self._index, self._index_path(store)
        if index is None or base is None:
            return
        grown = len(index) - self._saved_size
        if force or grown >= max(256, len(index) // 20):
            try:
                index.save(base)
                self._saved_size = len(index)
            except OSError:  # a read-only folder: keep rebuilding per process
                self._saved_size = len(index)

    # ------------------------------------------------------------------ processing
    def _lsh_candidates(
        self,
        keys: list[bytes],
        self_id: str,
        stored: dict[bytes, list[str]] | None,
        chunk: dict[bytes, list[str]],
        store: Any,
    ) -> list[str]:
        """Ids sharing keys with these, most shared first (stored ones and earlier ones of the chunk)."""
        counts: dict[str, int] = {}
        if stored is None:  # a store without the bulk lookup: one query per article, unranked
            for c in store.query_bands(keys):
                counts[c] = 1
        wanted = set(keys)
        for table in (stored, chunk):
            if table:
                hits = (
                    [k for k in wanted if k in table] if len(table) > len(wanted) else [k for k in table if k in wanted]
                )
                for k in hits:
                    for c in table[k]:
                        counts[c] = counts.get(c, 0) + 1
        counts.pop(self_id, None)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return [c for c, _ in ranked[: self.config.max_candidates]]

    def _semantic_candidates(
        self,
        article: Article,
        signature: np.ndarray,
        vector: np.ndarray,
        store: Any,
        index: VectorIndex,
        exclude: list[str],
        sigs_chunk: dict[str, np.ndarray],
    ) -> list[str]:
        """The nearest stored articles by embedding whose MinHash signature agrees with this one's on at
        least ``semantic_min_jaccard`` of its values (or that are very near: a reworded copy may share
        no 5-word run at all)."""
        cfg = self.config
        room = cfg.max_candidates - len(exclude)
        if room <= 0:
            return []
        near = [
            (c, sim)
            for c, sim in index.search(vector, cfg.semantic_top_k + 1)
            if c != article.id and c not in exclude and sim >= cfg.semantic_min_similarity
        ]
        if not near:
            return []
        sigs = store.get_minhashes([c for c, _ in near if c not in sigs_chunk])
        empty = bool(np.all(signature == 0xFFFFFFFF))
        out = []
        for cid, sim in near:
            sig = sigs_chunk.get(cid, sigs.get(cid))
            shares = (
                sig is not None
                and len(sig) == len(signature)
                and not empty
                and float(np.mean(sig == signature)) >= max(cfg.semantic_min_jaccard, 1e-9)
            )
            if not shares and sim < cfg.semantic_sure_similarity:
                self.stats["semantic_skipped"] += 1
                continue
            out.append(cid)
            if len(out) >= room:
                break
        self.stats["semantic_candidates"] += len(out)
        return out

    def prepare(self, articles: list[Article]) -> list[PreparedReuse]:
        """See :meth:`ReuseDetector.prepare` (pure; the result may be passed to :meth:`process`)."""
        return self.detector.prepare(articles)

    def prepare_candidates(
        self, prepared: list[PreparedReuse], store: Any, articles: list[Article] | None = None
    ) -> list[Any]:
        """The profiles (with sentence embeddings) of the stored articles that share LSH / sentence keys
        with these: for each article its ``max_candidates`` best-ranked stored ones, as :meth:`process`
        ranks them. A worker process computes them ahead from a read-only view of the store; handing
        them to :meth:`process` (``candidate_profiles``) only spares building them there, so whatever
        the view missed (articles committed since, semantic candidates) is built as before.

        Profiles this process already holds are left out: it prepared those articles itself (in an earlier
        chunk, :meth:`prepare` keeps their profiles), so the process that prepared them and compares
        them holds them too; what it does not (evicted from its cache) it builds.

        With ``articles`` (the prepared ones), each is also compared with those candidates here, and the
        results are kept in its ``PreparedReuse.compared``: :meth:`process` takes a result as it is when
        it decides the same direction for the pair (the one input of the comparison that the order of
        storing can change: ingest order, and an outlet renamed by the outlet table), else compares again."""
        try:
            rows = store.lookup_bands([k for p in prepared for k in p.keys])
        except (AttributeError, NotImplementedError):
            return []
        table: dict[bytes, list[str]] = {}
        for bucket, aid in rows:
            table.setdefault(bucket, []).append(aid)
        mine = {p.article_id for p in prepared}
        cands_of = {
            p.article_id: [c for c in self._lsh_candidates(p.keys, p.article_id, table, {}, store) if c not in mine]
            for p in prepared
        }
        det = self.detector
        wanted = list(dict.fromkeys(c for cands in cands_of.values() for c in cands))
        if articles is None:
            wanted = [c for c in wanted if not det.cached(c)]
        if not wanted:
            return []
        fetched = {b.id: b for b in store.get_articles(wanted)}
        built = [b for b in fetched.values() if not det.cached(b.id)]
        profiles = det.profiles(built)
        if articles is not None:
            later = 1 << 62  # not stored yet: it will be stored after every article stored now
            by_id = {a.id: a for a in articles}
            for p in prepared:
                a = by_id.get(p.article_id)
                if a is None:
                    continue
                a = dataclasses.replace(a, seq=later) if a.seq is None else a
                done: dict[str, tuple[tuple[str, str, float], ReuseEdge | None]] = {}
                for cid in cands_of[p.article_id]:
                    b = fetched.get(cid)
                    if b is not None:
                        e = det.compare(a, b)
                        done[cid] = (
                            (e.source_id, e.direction_rule, e.direction_confidence),
                            None if e.relation == "independent" else e,
                        )
                p.compared = done
        return list(profiles.values())

    def process(
        self,
        articles: list[Article],
        store: Any,
        results: dict[str, Any],
        prepared: list[PreparedReuse] | None = None,
        candidate_profiles: list[Any] | None = None,
    ) -> list[ReuseEdge]:
        """Find, compare and store the copies among ``articles`` and the stored ones (in order, so
        articles of the same chunk are found too). Returns the non-independent edges.

        One band lookup and one bulk insert per chunk; the vector index is built once per process
        (from the store) and then added to. ``prepared``: :meth:`prepare` of these articles, computed
        ahead (else computed here; the result is the same); ``candidate_profiles``: see
        :meth:`prepare_candidates`."""
        det = self.detector
        index = self._vector_index(store)
        kind = self.config.embedding_kind
        ready = {p.article_id: p for p in prepared or ()}
        for prof in candidate_profiles or ():  # see prepare_candidates
            det.remember_profile(prof)
        sigs, keys = [], []
        for a in articles:
            prep = ready.get(a.id)
            if prep is not None:
                sig, ks = prep.signature, prep.keys
                det.remember_profile(prep.profile)
            else:
                sig, ks = det.signature_and_keys(a)
            sigs.append(sig)
            keys.append(ks)
        stored: dict[bytes, list[str]] | None = {}
        try:
            for bucket, aid in store.lookup_bands([k for ks in keys for k in ks]):
                stored.setdefault(bucket, []).append(aid)  # type: ignore[union-attr]
        except (AttributeError, NotImplementedError):
            stored = None
        chunk_keys: dict[bytes, list[str]] = {}
        chunk_sigs: dict[str, np.ndarray] = {}
        vectors: list[tuple[str, np.ndarray]] = []
        # pass 1, in order: each article's candidates (stored ones and earlier ones of the chunk); they do
        # not depend on any comparison, so all the comparing is done after, on what one query fetched
        cands_of: list[list[str]] = []
        for a, sig, ks in zip(articles, sigs, keys, strict=True):
            self.stats["articles"] += 1
            cands = self._lsh_candidates(ks, a.id, stored, chunk_keys, store)
            self.stats["lsh_candidates"] += len(cands)
            if index is not None:
                prep = ready.get(a.id)
                vector = prep.vector if prep is not None else det.article_vector(a)
                if vector is not None:
                    cands += self._semantic_candidates(a, sig, vector, store, index, cands, chunk_sigs)
                    index.add([a.id], vector[None, :])
                    vectors.append((a.id, vector))
            for k in ks:
                chunk_keys.setdefault(k, []).append(a.id)
            chunk_sigs[a.id] = sig
            cands_of.append(cands)
        # pass 2: the candidates' articles in one query, their profiles built together (one embedder
        # call for all the sentences not cached), then the comparisons
        wanted = list(dict.fromkeys(c for cands in cands_of for c in cands))
        fetched = {b.id: b for b in store.get_articles(wanted)} if wanted else {}
        # the comparisons done ahead (prepare_candidates) that hold: the same direction decided here
        ahead: dict[tuple[str, str], ReuseEdge | None] = {}
        todo: dict[str, Article] = {}
        for a, cands in zip(articles, cands_of, strict=True):
            done = getattr(ready.get(a.id), "compared", None) or {}
            for cid in cands:
                b = fetched.get(cid)
                if b is None or b.id == a.id:
                    continue
                hit = done.get(cid)
                if hit is not None:
                    src, _, rule, conf = decide_direction(a, b)
                    if (src.id, rule, conf) == hit[0]:
                        ahead[(a.id, cid)] = hit[1]
                        continue
                todo[a.id], todo[cid] = a, b
        profiles = det.profiles(list(todo.values())) if todo else {}
        found: list[ReuseEdge] = []
        for a, cands in zip(articles, cands_of, strict=True):
            if not cands:
                continue
            edges = []
            for cid in cands:
                b = fetched.get(cid)
                if b is None or b.id == a.id:
                    continue
                self.stats["compared"] += 1
                if (a.id, cid) in ahead:
                    self.stats["compared_ahead"] += 1
                    got = ahead[(a.id, cid)]
                    if got is not None:
                        edges.append(got)
                    continue
                e = det.compare(a, b, profiles)
                if e.relation != "independent":
                    edges.append(e)
            if edges:
                found += edges
                for e in edges:
                    r = results.get(e.target_id)
                    if r is not None:
                        entry = {"source_id": e.source_id, "relation": e.relation, "confidence": e.confidence}
                        if entry not in r.copies_of:
                            r.copies_of.append(entry)
        store.put_minhashes([(a.id, sig, ks) for a, sig, ks in zip(articles, sigs, keys, strict=True)])
        for aid, v in vectors:
            store.put_embedding(kind, aid, v)
        if found:
            store.put_edges(found)
            self.stats["edges"] += len(found)
        if vectors:
            self._maybe_save(store)
        return found
