"""The copy check of two articles, pure (no store): :class:`ReuseDetector` composes the signatures
(sketch.py), the per-article profiles it caches (profile.py), the alignment (align.py), the relation
(relation.py) and the direction (direction.py); :meth:`ReuseDetector.prepare` is the per-article part
that a worker process computes ahead."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import ReuseConfig
from ..model import DUPLICATE_RELATIONS, AlignedPassage, Article, ReuseEdge
from ..text import article_sentences, stopwords
from .align import Aligner
from .direction import decide_direction
from .profile import Profile, profile_from_texts
from .relation import relation_of
from .sketch import Sketcher, Token


@dataclass
class PreparedReuse:
    """What the copy check needs of one article that depends on the article alone (see
    :meth:`ReuseDetector.prepare`): computable anywhere (another process, ahead of time) and
    picklable. ``vector`` is None when there is no embedder or no text."""

    article_id: str
    signature: np.ndarray
    keys: list[bytes]
    profile: Profile  # what comparing needs (sentences, sets of stable hashes, their embeddings)
    vector: np.ndarray | None = None  # the article vector of the semantic route
    # comparisons with stored articles done ahead (ReuseStage.prepare_candidates): candidate id ->
    # (the direction decided: source id, rule, confidence; the edge, None when independent)
    compared: dict[str, tuple[tuple[str, str, float], ReuseEdge | None]] | None = None


class ReuseDetector:
    """Signatures and pairwise comparison (pure: no store)."""

    def __init__(self, config: ReuseConfig | None = None, embedder: Any = None, cache_size: int = 4096):
        self.config = config or ReuseConfig()
        self.embedder = embedder
        self.sketcher = Sketcher(self.config)
        self.bands, self.rows = self.sketcher.bands, self.sketcher.rows
        self.aligner = Aligner(self.config, embedder)
        self._cache: OrderedDict[str, Profile] = OrderedDict()
        self._emb_pending: OrderedDict[str, tuple[list[str], np.ndarray]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._stop = stopwords()

    @property
    def weights(self) -> dict[str, Any]:
        """The paraphrase model for this embedder (see :func:`.paraphrase.load_weights`)."""
        return self.aligner.weights

    @property
    def uses_embeddings(self) -> bool:
        return self.aligner.uses_embeddings

    # ------------------------------------------------------------------ signatures (see :class:`.sketch.Sketcher`)
    def _tokens(self, article: Article) -> list[Token]:
        return self.sketcher.tokens(article)

    def shingle_hashes(self, tokens: Sequence[Token], unique: bool = True) -> np.ndarray:
        """See :meth:`.sketch.Sketcher.shingle_hashes`."""
        return self.sketcher.shingle_hashes(tokens, unique)

    def minhash(self, article: Article) -> Any:
        """The datasketch LeanMinHash of the article (same permutations as :meth:`signature`)."""
        return self.sketcher.minhash(article)

    def signature(self, article: Article) -> np.ndarray:
        """MinHash signature (num_perm uint64 values; all max for an empty body)."""
        return self.sketcher.signature(article)

    def signature_of_hashes(self, hashes: np.ndarray) -> np.ndarray:
        return self.sketcher.signature_of_hashes(hashes)

    def band_keys(self, signature: np.ndarray) -> list[bytes]:
        """One key per LSH band; none for an empty body (see :meth:`.sketch.Sketcher.band_keys`)."""
        return self.sketcher.band_keys(signature)

    def sentence_keys(self, article: Article) -> list[bytes]:
        """Fingerprints of the article's long sentences (see :meth:`.sketch.Sketcher.sentence_keys`)."""
        return self.sketcher.sentence_keys(article)

    def signature_and_keys(self, article: Article) -> tuple[np.ndarray, list[bytes]]:
        """``signature(a)`` and ``band_keys(signature) + sentence_keys(a)`` from one pass over the text."""
        return self.sketcher.signature_and_keys(article)

    estimate_jaccard = staticmethod(Sketcher.estimate_jaccard)

    # ------------------------------------------------------------------ profiles
    def profile(self, article: Article) -> Profile:
        with self._lock:
            p = self._cache.get(article.id)
            if p is not None:
                self._cache.move_to_end(article.id)
                return p
        p = self._build_profile(article)
        self.remember_profile(p)
        return p

    def profiles(self, articles: list[Article]) -> dict[str, Profile]:
        """Profiles of many articles at once (by id): cached ones as they are; the others built with one
        call of the embedder for all their sentences (when the paraphrase model uses embeddings), instead
        of one call per article, and cached. The same profiles as :meth:`profile` gives one by one."""
        out: dict[str, Profile] = {}
        todo: list[Profile] = []
        for a in articles:
            if a.id in out:
                continue
            with self._lock:
                p = self._cache.get(a.id)
                if p is not None:
                    self._cache.move_to_end(a.id)
            if p is None:
                p = self._build_profile(a)
                self.remember_profile(p)
            out[a.id] = p
            if p.emb is None and p.texts and self.uses_embeddings:
                todo.append(p)
        if todo:
            flat = [t for p in todo for t in p.texts]
            emb = np.asarray(self.embedder.encode(flat), dtype=np.float32)
            at = 0
            for p in todo:
                p.emb = emb[at : at + p.n]
                at += p.n
        return out

    def forget(self, article_id: str) -> None:
        with self._lock:
            self._cache.pop(article_id, None)

    def _build_profile(self, article: Article) -> Profile:
        with self._lock:
            pending = self._emb_pending.pop(article.id, None)
        if pending is not None:
            texts, emb = pending
        else:
            texts, emb = [s.text for s in article_sentences(article)[: self.config.max_sentences]], None
        p = self.profile_from_texts(article.id, texts)
        if emb is not None and len(emb) == p.n:
            p.emb = emb
        return p

    def profile_from_texts(self, key: str, texts: list[str], emb: np.ndarray | None = None) -> Profile:
        """A profile over given sentences (no splitting); ``emb`` may bring their embeddings (see
        :func:`.profile.profile_from_texts`)."""
        return profile_from_texts(key, texts, emb, stop=self._stop)

    def article_vector(self, article: Article) -> np.ndarray | None:
        """Unit vector of the article (mean of its sentence embeddings), for the semantic route."""
        if self.embedder is None:
            return None
        with self._lock:
            p = self._cache.get(article.id)
        if p is not None:
            if not p.texts:
                return None
            self.aligner.embed(p)
            emb = p.emb if p.emb is not None else np.asarray(self.embedder.encode(p.texts[:64]), dtype=np.float32)
        else:
            # embed the sentences only (the sets of a profile are built if the article is compared)
            texts = [s.text for s in article_sentences(article)[: self.config.max_sentences]]
            if not texts:
                return None
            emb = np.asarray(self.embedder.encode(texts), dtype=np.float32)
            self.remember_embeddings(article.id, texts, emb)
        return self.vector_of(emb)

    def vector_of(self, emb: np.ndarray) -> np.ndarray | None:
        """The article vector from its sentence embeddings: the mean of the first 64, minus the common
        direction learnt offline, L2-normalised."""
        emb = emb[:64]
        if not len(emb):
            return None
        v = emb.mean(axis=0)
        center = self.weights.get("center")
        if center is not None and len(center) == len(v):
            v = v - np.asarray(center, dtype=np.float32)  # remove what all texts share (learnt offline)
        norm = float(np.linalg.norm(v))
        return (v / norm).astype(np.float32) if norm > 0 else None

    def remember_embeddings(self, article_id: str, texts: list[str], emb: np.ndarray) -> None:
        """Keep an article's sentence embeddings for its profile, if it is compared soon."""
        with self._lock:
            self._emb_pending[article_id] = (texts, emb)
            while len(self._emb_pending) > 512:
                self._emb_pending.popitem(last=False)

    def prepare(self, articles: list[Article]) -> list[PreparedReuse]:
        """The per-article part of the copy check (signature, LSH keys, sentence embeddings, article
        vector), which depends on nothing else: the pipeline computes it in a worker process while
        this one compares the previous chunk. Sentences of all the articles are embedded in one call."""
        texts = [[s.text for s in article_sentences(a)[: self.config.max_sentences]] for a in articles]
        flat = [t for ts in texts for t in ts]
        emb = np.asarray(self.embedder.encode(flat), dtype=np.float32) if self.embedder is not None and flat else None
        out: list[PreparedReuse] = []
        at = 0
        for a, ts in zip(articles, texts, strict=True):
            mine = emb[at : at + len(ts)] if emb is not None and ts else None
            at += len(ts)
            sig, keys = self.signature_and_keys(a)
            profile = self.profile_from_texts(a.id, ts, mine)
            self.remember_profile(profile)  # a later chunk's articles may be compared with this one
            out.append(PreparedReuse(a.id, sig, keys, profile, self.vector_of(mine) if mine is not None else None))
        return out

    def cached(self, article_id: str) -> bool:
        """Whether this article's profile is in the cache (built or remembered here)."""
        with self._lock:
            return article_id in self._cache

    def remember_profile(self, profile: Profile) -> None:
        """Cache a profile built elsewhere (see :meth:`prepare`)."""
        with self._lock:
            self._cache[profile.article_id] = profile
            self._cache.move_to_end(profile.article_id)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    # ------------------------------------------------------------------ comparing
    def similarity(
        self,
        pa: Profile,
        pb: Profile,
        weights: dict[str, Any] | None = None,
        feats: dict[str, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Paraphrase probability of every sentence pair, and the pair features (see
        :meth:`.align.Aligner.similarity`)."""
        return self.aligner.similarity(pa, pb, weights, feats)

    def align(
        self,
        pa: Profile,
        pb: Profile,
        weights: dict[str, Any] | None = None,
        feats: dict[str, np.ndarray] | None = None,
    ) -> list[tuple[int, int, float, str]]:
        """One-to-one sentence matches (i in a, j in b, probability, kind), best first, then in a's order
        (see :meth:`.align.Aligner.align`)."""
        return self.aligner.align(pa, pb, weights, feats)

    def compare(self, a: Article, b: Article, profiles: dict[str, Profile] | None = None) -> ReuseEdge:
        """How ``a`` and ``b`` share text; source_id is the one judged first. ``profiles``: their
        profiles by id where already built (see :meth:`profiles`)."""
        got = profiles or {}
        pa = got.get(a.id) or self.profile(a)
        pb = got.get(b.id) or self.profile(b)
        src, tgt, rule, dconf = decide_direction(a, b)
        if src.id != a.id:
            pa, pb = pb, pa
        pairs = None
        feats: dict[str, np.ndarray] = {}
        if self.uses_embeddings:
            # cheap first pass without embeddings: a copy is plain from the words alone
            lexical = self.align(pa, pb, self.aligner.lexical_weights, feats)
            if relation_of(pa, pb, lexical, self.config)[0] in DUPLICATE_RELATIONS:
                pairs = lexical
        if pairs is None:
            pairs = self.align(pa, pb, None, feats)  # the lexical features of the first pass are reused
        relation, conf = relation_of(pa, pb, pairs, self.config)
        ns, nt = pa.n, pb.n
        matched = len(pairs)
        cov_s = matched / ns if ns else 0.0
        cov_t = matched / nt if nt else 0.0
        passages = [
            AlignedPassage(
                source_index=i,
                target_index=j,
                source_text=pa.texts[i],
                target_text=pb.texts[j],
                score=round(p, 4),
                kind=k,  # type: ignore[arg-type]
            )
            for i, j, p, k in pairs
        ]
        return ReuseEdge(
            source_id=src.id,
            target_id=tgt.id,
            relation=relation,  # type: ignore[arg-type]
            confidence=float(conf),
            source_coverage=round(cov_s, 4),
            target_coverage=round(cov_t, 4),
            direction_rule=rule,
            direction_confidence=float(dconf),
            passages=passages,
        )
