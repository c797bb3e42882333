"""What comparing needs of one article: per sentence, sets of stable hashes (words, content words, 5-letter
stems, bigrams, trigrams, numbers, names) and the sentence embeddings; built once, in any process, and the
intersections of two profiles' sets for every sentence pair."""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from .tokens import M64, WORD, norm_text

_CAP = re.compile(r"(?<!^)(?<![.!?]\s)\b([A-Z][\w'-]*)")
_DIGIT = re.compile(r"\d")
_MASK32 = np.uint64(0xFFFFFFFF)


@dataclass
class _Rows:
    """Per-sentence feature sets as (flat ids, row pointers, set sizes)."""

    ids: np.ndarray  # int64 hashed items, unique within a row
    rows: np.ndarray  # row index of each id
    sizes: np.ndarray  # items per row (float32)


_CONTENT, _NUM, _STOP = (
    1,
    2,
    4,
)  # word flags: content word (not a stopword, 2+ chars, not all digits); has a digit; stopword
_WORD_INFO: dict[str, tuple[int, int, int]] = {}  # word -> (crc32, crc32 of its 5-letter prefix, flags); bounded


def _word_info(w: str, stop: frozenset[str]) -> tuple[int, int, int]:
    is_stop = w in stop
    f = (_STOP if is_stop else 0) | (_NUM if _DIGIT.search(w) else 0)
    if not is_stop and len(w) > 1 and not w.isdigit():
        f |= _CONTENT
    return zlib.crc32(w.encode("utf-8")), zlib.crc32(w[:5].encode("utf-8")), f


def _mix(h: np.ndarray) -> np.ndarray:
    """64-bit mix of combined word hashes, keeping the top 32 bits (every input bit reaches them)."""
    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint64(29))
        h = h * M64
        h = h ^ (h >> np.uint64(32))
        h = h * M64
    return h >> np.uint64(32)


def _row_sets(rows: np.ndarray, ids: np.ndarray, n: int) -> _Rows:
    """Per-row sets of 32-bit ids (duplicates within a row dropped), as :class:`_Rows`."""
    if not len(ids):
        return _Rows(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(n, dtype=np.float32))
    keys = np.unique((rows.astype(np.uint64) << np.uint64(32)) | (ids.astype(np.uint64) & _MASK32))
    r = (keys >> np.uint64(32)).astype(np.int64)
    return _Rows((keys & _MASK32).astype(np.int64), r, np.bincount(r, minlength=n).astype(np.float32))


@dataclass
class Profile:
    """What comparing needs of one article (built once, cached by id)."""

    article_id: str
    texts: list[str]  # sentence texts (capped)
    n_tokens: np.ndarray  # tokens per sentence
    seq_hash: np.ndarray  # hash of each sentence's token sequence (identity test)
    tok: _Rows
    cw: _Rows
    bi: _Rows
    tri: _Rows
    stem: _Rows
    num: _Rows
    ne: _Rows
    emb: np.ndarray | None  # sentence embeddings (n x d), L2-normalised
    body_hash: int  # hash of the whole token sequence
    tagged: _Rows | None = None
    uniq: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.texts)

    def __getstate__(self) -> dict[str, Any]:
        """Compact for sending to another process: each kind's set ids as one uint32 array and its set sizes as
        one table, since the row of each id follows from the sizes (ids are sorted by row); the intersection
        index (``tagged``, ``uniq``) is rebuilt where needed. About half the bytes, and a few arrays instead of
        twenty-odd, which is most of what pickling costs."""
        kinds = [getattr(self, k) for k in _KINDS]
        return {
            "article_id": self.article_id,
            "texts": self.texts,
            "n_tokens": self.n_tokens,
            "seq_hash": self.seq_hash,
            "ids": np.concatenate([r.ids for r in kinds]).astype(np.uint32),
            "sizes": np.stack([r.sizes for r in kinds]).astype(np.int32)
            if self.n
            else np.zeros((len(_KINDS), 0), np.int32),
            "emb": self.emb,
            "body_hash": self.body_hash,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        n = len(state["texts"])
        rows_of = np.arange(n, dtype=np.int64)
        ids = state["ids"].astype(np.int64)
        at = 0
        for name, sizes in zip(_KINDS, state["sizes"], strict=True):
            sizes = sizes.astype(np.int64)
            m = int(sizes.sum())
            setattr(self, name, _Rows(ids[at : at + m], np.repeat(rows_of, sizes), sizes.astype(np.float32)))
            at += m
        for key in ("article_id", "texts", "n_tokens", "seq_hash", "emb", "body_hash"):
            setattr(self, key, state[key])
        self.tagged = None
        self.uniq = None

    def all_ids(self) -> tuple[_Rows, np.ndarray]:
        """All the sets above in one id space (kind in the high bits, so sorted ids group by kind),
        and the sorted unique ids."""
        if self.tagged is None or self.uniq is None:
            ids, rows = [], []
            for k, name in enumerate(_KINDS):
                r: _Rows = getattr(self, name)
                ids.append((r.ids & np.int64(_LOW60)) | np.int64(k << 60))
                rows.append(r.rows)
            self.tagged = _Rows(np.concatenate(ids), np.concatenate(rows), np.zeros(0, dtype=np.float32))
            self.uniq = np.unique(self.tagged.ids)
        return self.tagged, self.uniq


_KINDS = ["tok", "cw", "bi", "tri", "stem", "num", "ne"]
_LOW60 = (1 << 60) - 1
_KIND_STARTS = np.array([k << 60 for k in range(len(_KINDS) + 1)], dtype=np.int64)


def all_intersections(pa: Profile, pb: Profile) -> dict[str, np.ndarray]:
    """|A_i ∩ B_j| for every sentence pair and every kind of set, with one pass over the shared items."""
    na, nb = pa.n, pb.n
    a, ua = pa.all_ids()
    b, ub = pb.all_ids()
    out = {k: np.zeros((na, nb), dtype=np.float32) for k in _KINDS}
    common = np.intersect1d(ua, ub, assume_unique=True)
    if not len(common):
        return out
    bounds = np.searchsorted(common, _KIND_STARTS)
    k = len(common)

    def columns(r: _Rows) -> tuple[np.ndarray, np.ndarray]:
        pos = np.minimum(np.searchsorted(common, r.ids), k - 1)
        hit = common[pos] == r.ids
        return r.rows[hit], pos[hit]

    ra, ka = columns(a)
    rb, kb = columns(b)
    if na * k <= 4_000_000 and nb * k <= 4_000_000:
        ma = np.zeros((na, k), dtype=np.float32)
        mb = np.zeros((nb, k), dtype=np.float32)
        ma[ra, ka] = 1.0
        mb[rb, kb] = 1.0
    else:
        from scipy.sparse import csr_matrix

        ma = csr_matrix((np.ones(len(ka), dtype=np.float32), (ra, ka)), shape=(na, k)).tocsc()
        mb = csr_matrix((np.ones(len(kb), dtype=np.float32), (rb, kb)), shape=(nb, k)).tocsc()
    for i, name in enumerate(_KINDS):
        s, e = int(bounds[i]), int(bounds[i + 1])
        if e > s:
            prod = ma[:, s:e] @ mb[:, s:e].T
            out[name] = prod if isinstance(prod, np.ndarray) else prod.toarray().astype(np.float32)
    return out


def profile_from_texts(key: str, texts: list[str], emb: np.ndarray | None = None, *, stop: frozenset[str]) -> Profile:
    """A profile over given sentences (no splitting); ``emb`` may bring their embeddings.

    Every set holds stable 32-bit hashes (crc32 of words, word 5-prefixes and names; word n-grams
    combined in numpy), so a profile built in another process compares with this one's. ``stop``: the
    stopwords (``text.stopwords()``)."""
    # cap very long sentences (e.g. a text without punctuation) so one row cannot explode
    texts = [t if len(t) <= 2000 else t[:2000] for t in texts]
    info, sw = _WORD_INFO, stop
    if len(info) > 2_000_000:
        info.clear()
    n = len(texts)
    words: list[int] = []
    stems: list[int] = []
    flags: list[int] = []
    counts = np.zeros(n, dtype=np.int64)
    seq_hash = np.zeros(n, dtype=np.int64)
    ne_ids: list[int] = []
    ne_counts = np.zeros(n, dtype=np.int64)
    body = hashlib.blake2b(digest_size=8)
    blake, crc = hashlib.blake2b, zlib.crc32
    for i, t in enumerate(texts):
        toks = WORD.findall(norm_text(t))
        got = list(map(info.get, toks))
        if None in got:
            for k, w in enumerate(toks):
                if got[k] is None:
                    got[k] = info[w] = _word_info(w, sw)
        for w_h, s_h, f in got:  # type: ignore[misc]
            words.append(w_h)
            stems.append(s_h)
            flags.append(f)
        counts[i] = len(toks)
        joined = " ".join(toks).encode("utf-8")
        seq_hash[i] = int.from_bytes(
            blake(joined if toks else t.encode("utf-8", "replace"), digest_size=8).digest(), "little", signed=True
        )
        body.update(joined + b" " if toks else b"")
        names = {m.lower() for m in _CAP.findall(t)}
        ne_ids += [crc(m.encode("utf-8")) for m in names]
        ne_counts[i] = len(names)
    rows = np.repeat(np.arange(n, dtype=np.int64), counts)
    th = np.asarray(words, dtype=np.uint64)
    fl = np.asarray(flags, dtype=np.int64)
    same1 = rows[:-1] == rows[1:]
    bi = _mix(th[:-1] * M64 + th[1:])
    same2 = rows[:-2] == rows[2:]
    tri = _mix((th[:-2] * M64 + th[1:-1]) * M64 + th[2:])
    return Profile(
        article_id=key,
        texts=texts,
        n_tokens=counts.astype(np.float32),
        seq_hash=seq_hash,
        tok=_row_sets(rows, th, n),
        cw=_row_sets(rows[fl & _CONTENT > 0], th[fl & _CONTENT > 0], n),
        bi=_row_sets(rows[:-1][same1], bi[same1], n),
        tri=_row_sets(rows[:-2][same2], tri[same2], n),
        stem=_row_sets(rows[fl & _STOP == 0], np.asarray(stems, dtype=np.uint64)[fl & _STOP == 0], n),
        num=_row_sets(rows[fl & _NUM > 0], th[fl & _NUM > 0], n),
        ne=_row_sets(np.repeat(np.arange(n, dtype=np.int64), ne_counts), np.asarray(ne_ids, dtype=np.uint64), n),
        emb=emb,
        body_hash=int.from_bytes(body.digest(), "little", signed=True),
    )
