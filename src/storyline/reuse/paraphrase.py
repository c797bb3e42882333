"""The paraphrase model of a sentence pair: lexical features (word / content-word / stem / bigram overlap,
length, agreement of numbers and names) and embedding cosines, as (na x nb) matrices, and the logistic
regression over them whose weights were learnt offline on MRPC (``eval/reuse.py --write-weights``) and ship in
``storyline/data/reuse_weights.json``."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from .profile import Profile, all_intersections

# the features of one sentence pair, in the order the weights use them
FEATURES = [
    "tok_jacc",
    "tok_cont",
    "tok_cover",
    "cw_jacc",
    "cw_cont",
    "cw_diff",
    "stem_jacc",
    "stem_cont",
    "bi_jacc",
    "bi_cont",
    "tri_cont",
    "len_ratio",
    "len_diff",
    "num_agree",
    "num_any",
    "ne_agree",
    "ne_any",
    "cos",
    "cos2",
    "cos_x_tok",
]
LEXICAL_FEATURES = [f for f in FEATURES if not f.startswith("cos")]


# --------------------------------------------------------------------------- weights


@lru_cache(maxsize=1)
def _packaged_weights() -> dict[str, Any]:
    try:
        text = resources.files("storyline").joinpath("data/reuse_weights.json").read_text(encoding="utf-8")
        return json.loads(text)
    except (FileNotFoundError, ModuleNotFoundError, json.JSONDecodeError):  # pragma: no cover - broken install
        return {}


def load_weights(embedder_name: str | None, override: dict[str, Any] | None = None) -> dict[str, Any]:
    """The paraphrase model for this embedder: {features, mean, scale, coef, intercept}.

    The weights file holds one model per embedder name plus a lexical-only one ("none"), used
    when there is no embedder or no model for it.
    """
    table = override or _packaged_weights()
    models = table.get("models", table)
    if embedder_name and embedder_name in models:
        return models[embedder_name]
    if "none" in models:
        return models["none"]
    # last resort (no weights file at all): a hand-set lexical rule
    return {
        "features": ["tok_jacc", "bi_jacc"],
        "mean": [0.0, 0.0],
        "scale": [1.0, 1.0],
        "coef": [6.0, 4.0],
        "intercept": -3.0,
    }


# --------------------------------------------------------------------------- sentence-pair features


def _overlap(inter: np.ndarray, sa: np.ndarray, sb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Jaccard and containment (overlap / smaller set) matrices."""
    union = sa[:, None] + sb[None, :] - inter
    small = np.minimum(sa[:, None], sb[None, :])
    jacc = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    cont = np.divide(inter, small, out=np.zeros_like(inter), where=small > 0)
    return jacc, cont


def _agreement(inter: np.ndarray, sa: np.ndarray, sb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Agreement of two optional sets: Jaccard where either has items, 1 where neither has; and 'any'."""
    union = sa[:, None] + sb[None, :] - inter
    anym = (union > 0).astype(np.float32)
    agree = np.where(union > 0, np.divide(inter, union, out=np.zeros_like(inter), where=union > 0), 1.0)
    return agree.astype(np.float32), anym


def pair_features(pa: Profile, pb: Profile) -> dict[str, np.ndarray]:
    """Every feature of :data:`FEATURES` as an (na x nb) matrix."""
    f: dict[str, np.ndarray] = {}
    X = all_intersections(pa, pb)
    inter = X["tok"]
    f["tok_jacc"], f["tok_cont"] = _overlap(inter, pa.tok.sizes, pb.tok.sizes)
    big = np.maximum(pa.tok.sizes[:, None], pb.tok.sizes[None, :])
    f["tok_cover"] = np.divide(inter, big, out=np.zeros_like(inter), where=big > 0)
    inter = X["cw"]
    f["cw_jacc"], f["cw_cont"] = _overlap(inter, pa.cw.sizes, pb.cw.sizes)
    f["cw_diff"] = np.log1p(np.maximum(pa.cw.sizes[:, None] + pb.cw.sizes[None, :] - 2 * inter, 0)).astype(np.float32)
    f["stem_jacc"], f["stem_cont"] = _overlap(X["stem"], pa.stem.sizes, pb.stem.sizes)
    f["bi_jacc"], f["bi_cont"] = _overlap(X["bi"], pa.bi.sizes, pb.bi.sizes)
    _, f["tri_cont"] = _overlap(X["tri"], pa.tri.sizes, pb.tri.sizes)
    la, lb = pa.n_tokens[:, None], pb.n_tokens[None, :]
    f["len_ratio"] = (np.minimum(la, lb) / np.maximum(np.maximum(la, lb), 1)).astype(np.float32)
    f["len_diff"] = np.log1p(np.abs(la - lb)).astype(np.float32)
    f["num_agree"], f["num_any"] = _agreement(X["num"], pa.num.sizes, pb.num.sizes)
    f["ne_agree"], f["ne_any"] = _agreement(X["ne"], pa.ne.sizes, pb.ne.sizes)
    return add_embedding_features(f, pa, pb)


def add_embedding_features(f: dict[str, np.ndarray], pa: Profile, pb: Profile) -> dict[str, np.ndarray]:
    """Set the embedding features of ``f`` (cosine terms; zeros where either side has no embeddings),
    leaving the lexical ones as they are."""
    if pa.emb is not None and pb.emb is not None and pa.emb.shape[1:] == pb.emb.shape[1:]:
        cos = np.clip(pa.emb @ pb.emb.T, -1.0, 1.0).astype(np.float32)
    else:
        cos = np.zeros((pa.n, pb.n), dtype=np.float32)
    f["cos"] = cos
    f["cos2"] = cos * cos
    f["cos_x_tok"] = cos * f["tok_jacc"]
    return f


def apply_weights(features: dict[str, np.ndarray], weights: dict[str, Any]) -> np.ndarray:
    """Logistic regression over standardised features -> probability matrix."""
    z = None
    for name, mu, sd, w in zip(weights["features"], weights["mean"], weights["scale"], weights["coef"], strict=True):
        term = (features[name] - np.float32(mu)) * np.float32(w / (sd or 1.0))
        z = term if z is None else z + term
    if z is None:
        raise ValueError("the paraphrase weights name no features")
    z = z + np.float32(weights["intercept"])
    return (1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))).astype(np.float32)
