"""Alignment: every sentence pair of two articles gets a paraphrase probability (see paraphrase.py); pairs are
matched one-to-one, best first, then weaker ones that keep the order between them; each aligned pair is
*identical*, *edited* or *paraphrase*."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config import ReuseConfig
from .paraphrase import add_embedding_features, apply_weights, load_weights, pair_features
from .profile import Profile


class Aligner:
    """Sentence alignment of two profiles with the paraphrase model for the embedder (pure: no store)."""

    def __init__(self, config: ReuseConfig | None = None, embedder: Any = None):
        self.config = config or ReuseConfig()
        self.embedder = embedder
        name = getattr(embedder, "name", None) if embedder is not None else None
        self.weights = load_weights(name, self.config.weights or None)
        self.uses_embeddings = embedder is not None and any(f.startswith("cos") for f in self.weights["features"])
        self.lexical_weights = load_weights(None, self.config.weights or None)

    def embed(self, p: Profile) -> None:
        """Set the profile's sentence embeddings where missing, if the paraphrase model uses them."""
        if p.emb is None and self.uses_embeddings and p.texts:
            p.emb = np.asarray(self.embedder.encode(p.texts), dtype=np.float32)

    def similarity(
        self,
        pa: Profile,
        pb: Profile,
        weights: dict[str, Any] | None = None,
        feats: dict[str, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Paraphrase probability of every sentence pair, and the pair features. With the default
        weights the embeddings are computed where missing. ``feats``: a dict to fill with the features,
        or to reuse if already filled by an earlier call on the same pair (the lexical features are then
        not computed again; the embedding ones are set anew)."""
        if weights is None:
            self.embed(pa)
            self.embed(pb)
        if not feats:
            computed = pair_features(pa, pb)
            if feats is None:
                feats = computed
            else:
                feats.update(computed)
        elif weights is None:
            add_embedding_features(feats, pa, pb)
        return apply_weights(feats, weights or self.weights), feats

    def align(
        self,
        pa: Profile,
        pb: Profile,
        weights: dict[str, Any] | None = None,
        feats: dict[str, np.ndarray] | None = None,
    ) -> list[tuple[int, int, float, str]]:
        """One-to-one sentence matches (i in a, j in b, probability, kind), best first, then in a's order.
        ``feats``: see :meth:`similarity`."""
        if not pa.n or not pb.n:
            return []
        prob, feats = self.similarity(pa, pb, weights, feats)
        same = pa.seq_hash[:, None] == pb.seq_hash[None, :]
        prob = np.where(same, np.maximum(prob, 0.999), prob)
        thr = self.config.match_threshold
        ii, jj = np.nonzero(prob >= thr)
        if not len(ii):
            return []
        scores = prob[ii, jj]
        # best first; ties broken towards pairs near the diagonal (same position in both)
        diag = np.abs(ii / max(pa.n, 1) - jj / max(pb.n, 1))
        order = np.lexsort((diag, -scores))
        used_a: set[int] = set()
        used_b: set[int] = set()
        out = []
        bij = feats["bi_jacc"]
        for k in order:
            i, j = int(ii[k]), int(jj[k])
            if i in used_a or j in used_b:
                continue
            used_a.add(i)
            used_b.add(j)
            if same[i, j]:
                kind = "identical"
            elif bij[i, j] >= self.config.edited_min_bigram_jaccard:
                kind = "edited"
            else:
                kind = "paraphrase"
            out.append((i, j, float(scores[k]), kind))
        # second pass: between the anchors, weaker pairs that keep the order (a rewrite's
        # harder sentences) are aligned too
        fill = self.config.fill_threshold
        if out and fill < thr:
            fi, fj = np.nonzero((prob >= fill) & (prob < thr))
            if len(fi):
                fs = prob[fi, fj]
                anchors = sorted((i, j) for i, j, _, _ in out)
                for k in np.argsort(-fs, kind="stable"):
                    i, j = int(fi[k]), int(fj[k])
                    if i in used_a or j in used_b:
                        continue
                    if any((i2 < i and j2 > j) or (i2 > i and j2 < j) for i2, j2 in anchors):
                        continue  # would cross an aligned pair
                    used_a.add(i)
                    used_b.add(j)
                    anchors.append((i, j))
                    kind = "edited" if bij[i, j] >= self.config.edited_min_bigram_jaccard else "paraphrase"
                    out.append((i, j, float(fs[k]), kind))
        out.sort()
        return out
