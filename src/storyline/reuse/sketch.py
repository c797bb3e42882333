"""Signatures: a MinHash (datasketch's affine32 scheme, vectorised) over word 5-shingles of the cleaned body,
cut into LSH bands whose keys the store indexes, plus fingerprints of the long sentences as extra keys.
Tokens, shingles and fingerprints come from one pass over the sentences."""

from __future__ import annotations

import hashlib
import itertools
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..config import ReuseConfig
from ..model import Article
from ..text import split_sentences
from .tokens import M64, WORD, norm_text

_TOKEN_HASH: dict[str | bytes, int] = {}  # word (str, or bytes for ASCII) -> crc32 of its UTF-8 (stable), bounded
Token = str | bytes  # a word: bytes in ASCII sentences (5x faster to split), str elsewhere; hashed alike
_MISSING = itertools.repeat(-1)
_BAND_TAGS = [bytes((b,)) for b in range(256)]
# bytes.translate table: ASCII word characters (what \w matches in ASCII) kept, everything else a space
_ASCII_WORDS = bytes(c if (c < 128 and (chr(c).isalnum() or c == 95)) else 32 for c in range(256))


def fmix32(hv: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, element-wise (wrapping uint32 arithmetic): the pre-mix that
    datasketch's affine32 MinHash applies to every hash value before its permutations."""
    with np.errstate(over="ignore"):
        hv = hv ^ (hv >> np.uint32(16))
        hv = hv * np.uint32(0x85EBCA6B)
        hv = hv ^ (hv >> np.uint32(13))
        hv = hv * np.uint32(0xC2B2AE35)
        return hv ^ (hv >> np.uint32(16))


class Sketcher:
    """MinHash signatures, LSH band keys and long-sentence keys of an article (pure: no store)."""

    def __init__(self, config: ReuseConfig | None = None):
        from datasketch import MinHash, MinHashLSH

        self.config = config or ReuseConfig()
        self._template = MinHash(num_perm=self.config.num_perm, seed=1, scheme="affine32")
        self._perm_a, self._perm_b = (np.asarray(p, dtype=np.uint32) for p in self._template.permutations)
        lsh = MinHashLSH(threshold=self.config.lsh_threshold, num_perm=self.config.num_perm)  # its band layout
        self.bands, self.rows = lsh.b, lsh.r

    def tokens(self, article: Article) -> list[Token]:
        """The body's word tokens (capped at ``max_tokens``; bytes in ASCII sentences, str elsewhere)."""
        return self._scan(article)[0]

    def _scan(self, article: Article, keys: bool = False) -> tuple[list[Token], list[bytes]]:
        """One pass over the article's sentences (numbered as ``text.article_sentences``): the body's
        word tokens (capped at ``max_tokens``) and, if asked, the fingerprints of its long sentences."""
        cfg = self.config
        cap, n_keys, min_words, max_s = (
            cfg.max_tokens,
            cfg.sentence_keys if keys else 0,
            cfg.sentence_key_min_words,
            cfg.max_sentences,
        )
        tokens: list[Token] = []
        found: dict[bytes, None] = {}
        findall, blake = WORD.findall, hashlib.blake2b
        si = 0
        for p in article.paragraphs:
            for sent in split_sentences(p):
                want = si < max_s and len(found) < n_keys
                if not want and len(tokens) >= cap:
                    return tokens[:cap], list(found)
                toks: list[bytes] | list[str]
                if sent.isascii():  # the same tokens as \w+ gives, as bytes (5x faster)
                    toks = btoks = sent.encode().lower().translate(_ASCII_WORDS).split()
                    si += 1
                    if want and len(btoks) >= min_words:
                        found[b"\xfe" + blake(b" ".join(btoks), digest_size=8).digest()] = None
                else:
                    toks = stoks = findall(norm_text(sent))
                    si += 1
                    if want and len(stoks) >= min_words:
                        found[b"\xfe" + blake(" ".join(stoks).encode("utf-8"), digest_size=8).digest()] = None
                if len(tokens) < cap:
                    tokens.extend(toks)
        return tokens[:cap], list(found)

    def shingle_hashes(self, tokens: Sequence[Token], unique: bool = True) -> np.ndarray:
        """Stable 32-bit hashes of the word k-shingles (vectorised rolling hash over crc32 of words);
        ``unique=False`` keeps repeats (the MinHash does not mind them)."""
        if not tokens:
            return np.zeros(0, dtype=np.uint32)
        cache = _TOKEN_HASH
        if len(cache) > 2_000_000:
            cache.clear()
        vals = list(map(cache.get, tokens, _MISSING))
        if -1 in vals:  # words not seen yet in this process
            crc = zlib.crc32
            for i, v in enumerate(vals):
                if v < 0:
                    t = tokens[i]
                    vals[i] = cache[t] = crc(t if isinstance(t, bytes) else t.encode("utf-8"))
        th = np.array(vals, dtype=np.uint64)
        k = min(self.config.shingle_size, len(th))
        n = len(th) - k + 1
        h = np.zeros(n, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j in range(k):
                h = h * M64 + th[j : j + n] + np.uint64(j + 1)
            h ^= h >> np.uint64(29)
            h = h * M64
        out = (h >> np.uint64(32)).astype(np.uint32)
        return np.unique(out) if unique else out

    def minhash(self, article: Article) -> Any:
        """The datasketch LeanMinHash of the article (same permutations as :meth:`signature`)."""
        from datasketch import LeanMinHash, MinHash

        hv = self.signature(article).astype(np.uint32)
        return LeanMinHash(
            MinHash(
                num_perm=self.config.num_perm,
                seed=1,
                scheme="affine32",
                hashvalues=hv,
                permutations=self._template.permutations,
            )
        )

    def signature(self, article: Article) -> np.ndarray:
        """MinHash signature (num_perm uint64 values; all max for an empty body)."""
        return self.signature_of_hashes(self.shingle_hashes(self.tokens(article), unique=False))

    def signature_of_hashes(self, hashes: np.ndarray) -> np.ndarray:
        num_perm = self.config.num_perm
        if not len(hashes):
            return np.full(num_perm, 0xFFFFFFFF, dtype=np.uint64)
        hv = fmix32(hashes.astype(np.uint32))  # datasketch's affine32 scheme, vectorised
        out = np.full(num_perm, 0xFFFFFFFF, dtype=np.uint32)
        with np.errstate(over="ignore"):
            step = max(1, 65536 // num_perm)
            for i in range(0, len(hv), step):
                chunk = hv[i : i + step, None]
                phv = chunk * self._perm_a[None, :] + self._perm_b[None, :]
                np.minimum(out, phv.min(axis=0), out=out)
        return out.astype(np.uint64)

    def band_keys(self, signature: np.ndarray) -> list[bytes]:
        """One key per LSH band; none for an empty body (it would collide with every other empty one)."""
        sig = np.asarray(signature, dtype=np.uint64)
        if len(sig) < self.bands * self.rows or bool(np.all(sig == 0xFFFFFFFF)):
            return []
        buf = memoryview(sig[: self.bands * self.rows].astype(np.uint32).tobytes())
        w, blake = 4 * self.rows, hashlib.blake2b
        return [
            tag + blake(buf[i : i + w], digest_size=8).digest()
            for tag, i in zip(_BAND_TAGS, range(0, self.bands * w, w), strict=False)
        ]

    def sentence_keys(self, article: Article) -> list[bytes]:
        """Fingerprints of the article's long sentences (exact word sequence), stored as extra LSH keys
        so that an article carrying a few verbatim passages of another is a candidate too."""
        if self.config.sentence_keys <= 0:
            return []
        return self._scan(article, keys=True)[1]

    def signature_and_keys(self, article: Article) -> tuple[np.ndarray, list[bytes]]:
        """``signature(a)`` and ``band_keys(signature) + sentence_keys(a)`` from one pass over the text."""
        tokens, skeys = self._scan(article, keys=True)
        sig = self.signature_of_hashes(self.shingle_hashes(tokens, unique=False))
        return sig, self.band_keys(sig) + skeys

    @staticmethod
    def estimate_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
        if len(sig_a) != len(sig_b) or not len(sig_a):
            return 0.0
        return float(np.mean(np.asarray(sig_a) == np.asarray(sig_b)))
