"""What the clusterer compares: sparse term vectors (ids sorted, float32 weights), the hashed vocabulary with its
running document frequencies, one article's signals (``_Doc``) and a story's or event's running sums (``Group``)."""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

_EMPTY_I = np.zeros(0, dtype=np.int32)
_EMPTY_F = np.zeros(0, dtype=np.float32)


def _sparse_add(a_ids: np.ndarray, a_vals: np.ndarray, b_ids: np.ndarray, b_vals: np.ndarray, scale: float = 1.0):
    if len(a_ids) == 0:
        return b_ids.copy(), (b_vals * scale).astype(np.float32)
    ids = np.concatenate([a_ids, b_ids])
    vals = np.concatenate([a_vals, b_vals * scale])
    uniq, inv = np.unique(ids, return_inverse=True)
    return uniq.astype(np.int32), np.bincount(inv, weights=vals).astype(np.float32)


def _sparse_dot(a_ids: np.ndarray, a_w: np.ndarray, b_ids: np.ndarray, b_w: np.ndarray) -> float:
    if len(a_ids) == 0 or len(b_ids) == 0:
        return 0.0
    _, ia, ib = np.intersect1d(a_ids, b_ids, assume_unique=True, return_indices=True)
    if len(ia) == 0:
        return 0.0
    return float(np.dot(a_w[ia], b_w[ib]))


def _ids(keys: Iterable[str], mask: int) -> list[int]:
    return [zlib.crc32(k.encode("utf-8")) & mask for k in keys]


class _Vocab:
    """Hashed term ids (words and "@entities" share one space of 2**bits buckets, CRC32) and
    incrementally updated document frequencies. No per-term dictionary: memory is fixed
    (the df array), whatever the vocabulary grows to; only entity display names are kept."""

    def __init__(self, bits: int = 21) -> None:
        self.bits = bits
        self.mask = (1 << bits) - 1
        self.df = np.zeros(1 << bits, dtype=np.uint32)
        self.surface: dict[int, str] = {}  # entity id -> display name (first seen)
        self.n_docs = 0
        self._log1 = np.zeros(0, dtype=np.float32)  # log(k + 1) for k < len, grown on demand

    def ids(self, keys: Iterable[str], add: bool = True) -> list[int]:
        return _ids(keys, self.mask)

    def idf(self, ids: np.ndarray) -> np.ndarray:
        """log((n_docs + 1) / (df + 1)) + 1, with log(df + 1) read from a table of log(k + 1)
        (df never exceeds n_docs): two gathers and a subtraction per call."""
        n = self.n_docs
        if len(self._log1) <= n:
            self._log1 = np.log1p(np.arange(max(2 * n, 1024), dtype=np.float64)).astype(np.float32)
        d = self.df[ids]
        try:
            logs = self._log1[d]
        except IndexError:  # frequencies set from outside beyond n_docs (e.g. summed window counts)
            self._log1 = np.log1p(np.arange(2 * int(d.max()) + 2, dtype=np.float64)).astype(np.float32)
            logs = self._log1[d]
        return np.float32(math.log(n + 1.0) + 1.0) - logs


def _merge_ids(ids: list[int], counts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Sum counts of keys that hashed to the same id."""
    if not ids:
        return _EMPTY_I, _EMPTY_F
    arr = np.asarray(ids, dtype=np.int64)
    uniq, inv = np.unique(arr, return_inverse=True)
    return uniq.astype(np.int32), np.bincount(inv, weights=np.asarray(counts, dtype=np.float64)).astype(np.float32)


@dataclass
class HashedTerms:
    """An article's terms, entities and label words as ids of a ``2**bits`` vocabulary (:func:`hash_terms`):
    what placing needs of them, computable in another process, and smaller to send than the words."""

    bits: int
    t_ids: np.ndarray  # unique term ids, and the summed count of each
    t_cnt: np.ndarray
    e_raw: list[int]  # the id of each entity key, in key order, and its first surface form
    e_surfaces: list[str]
    e_ids: np.ndarray  # unique entity ids, and the summed count of each
    e_cnt: np.ndarray
    label_ids: np.ndarray


def hash_terms(
    terms: dict[str, int], entities: dict[str, int], surfaces: dict[str, str], label_words: list[str], bits: int
) -> HashedTerms:
    """Map an article's term, entity and label-word counts to vocabulary ids (CRC32 of each key; keys that
    hash to the same id are summed)."""
    mask = (1 << bits) - 1
    t_ids, t_cnt = _merge_ids(_ids(terms, mask), list(terms.values()))
    e_keys = list(entities)
    e_raw = _ids(e_keys, mask)
    e_ids, e_cnt = _merge_ids(e_raw, list(entities.values()))
    label_ids = np.unique(np.asarray(_ids(label_words, mask), dtype=np.int32))
    return HashedTerms(bits, t_ids, t_cnt, e_raw, [surfaces[k] for k in e_keys], e_ids, e_cnt, label_ids)


@dataclass
class _Doc:
    """One article's signals while it is being placed (not kept afterwards)."""

    id: str
    t_ids: np.ndarray
    t_vals: np.ndarray  # log-tf, L2-normalised (IDF applied at comparison time)
    e_ids: np.ndarray
    e_vals: np.ndarray
    emb: np.ndarray
    day: float
    outlet: str | None
    label: str
    label_is_title: bool
    label_ids: np.ndarray  # content-word ids of the label (for lexical centrality)


class Group:
    """A story or an event: running sums of its members' signals."""

    __slots__ = (
        "id",
        "order",
        "article_ids",
        "copy_ids",
        "n",
        "emb",
        "t_ids",
        "t_vals",
        "e_ids",
        "e_vals",
        "first",
        "last",
        "outlets",
        "labels",
        "events",
        "alive",
        "_cache",
        "out",
        "saved",
    )

    def __init__(self, gid: str, order: int, dim: int, dtype: Any = np.float32):
        self.id = gid
        self.order = order
        self.article_ids: list[str] = []
        self.copy_ids: list[str] = []
        self.n = 0
        self.emb = np.zeros(dim, dtype=dtype)  # sum of member embeddings (events: float16)
        self.t_ids, self.t_vals = _EMPTY_I, _EMPTY_F
        self.e_ids, self.e_vals = _EMPTY_I, _EMPTY_F
        self.first = math.nan
        self.last = math.nan
        self.outlets: dict[str, int] = {}
        self.labels: list[tuple[str, str, bool, np.ndarray]] = []  # (article_id, text, is_title, term ids)
        self.events: list[Group] = []
        self.alive = True
        self._cache: Any = None
        # an event's title and key entities, worked out when it last changed (kept in the state); None = stale
        self.out: tuple[str | None, list[str]] | None = None
        self.saved: tuple[Any, str] | None = None  # an event's record in the saved state, and what it was made of

    def centroid(self) -> np.ndarray:
        e = self.emb.astype(np.float32)
        nrm = float(np.linalg.norm(e))
        return e / nrm if nrm > 0 else e
