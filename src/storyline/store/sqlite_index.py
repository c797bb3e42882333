"""The SQLite store's copy-detection part: MinHash signatures, LSH and sentence keys, embeddings, reuse edges (a part of :class:`~storyline.store.sqlite.SQLiteStore`)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..model import (
    ReuseEdge,
    reuse_edge_from_dict,
    to_dict,
)
from .sqlite_schema import article_key, article_of_key, bucket_ints


class SQLiteCopyIndex:
    """Mixed into SQLiteStore: uses its ``_q`` / ``_x`` / ``_db`` / ``transaction``."""

    _q: Any
    _x: Any
    _db: Any
    _lock: Any
    transaction: Any

    # ------------------------------------------------------------------ copy detection
    def put_minhash(self, article_id: str, signature: np.ndarray, band_keys: list[bytes]) -> None:
        self.put_minhashes([(article_id, signature, band_keys)])

    def get_minhashes(self, ids: Iterable[str]) -> dict[str, np.ndarray]:
        ids = list(ids)
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for aid, blob in self._q(f"SELECT article_id, signature FROM minhash WHERE article_id IN ({marks})", chunk):
                out[aid] = np.frombuffer(blob, dtype=np.uint64)
        return out

    def query_bands(self, band_keys: list[bytes]) -> list[str]:
        return list(dict.fromkeys(aid for _, aid in self._lookup_bands(band_keys)))

    def lookup_bands(self, band_keys: list[bytes]) -> list[tuple[bytes, str]]:
        """(bucket, article_id) for every stored article in these buckets (one query for a whole chunk)."""
        return self._lookup_bands(band_keys)

    def _lookup_bands(self, band_keys: list[bytes]) -> list[tuple[bytes, str]]:
        keys = list(dict.fromkeys(band_keys))
        back = dict(zip(bucket_ints(keys), keys, strict=True))
        if not back:
            return []
        rows = self._q(
            "SELECT bucket, article_id FROM lsh_bands WHERE bucket IN (SELECT value FROM json_each(?))",
            (json.dumps(list(back)),),
        )
        return [(back[b], article_of_key(aid)) for b, aid in rows]

    def put_minhashes(self, items: list[tuple[str, np.ndarray, list[bytes]]]) -> None:
        """Signatures and their LSH / sentence keys for many articles (one statement each, keys sorted
        so the inserts walk the key B-tree in order)."""
        flat = [k for _, _, keys in items for k in keys]
        owners = [o for aid, _, keys in items for o in itertools.repeat(article_key(aid), len(keys))]
        buckets = np.asarray(bucket_ints(flat), dtype=np.int64)
        order = np.argsort(buckets, kind="stable").tolist()
        ints = buckets.tolist()
        rows = [(ints[i], owners[i]) for i in order]
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO minhash(article_id, signature) VALUES (?, ?)",
                [(aid, np.asarray(sig, dtype=np.uint64).tobytes()) for aid, sig, _ in items],
            )
            self._db.executemany("INSERT OR IGNORE INTO lsh_bands(bucket, article_id) VALUES (?, ?)", rows)

    def put_embedding(self, kind: str, key: str, vector: np.ndarray) -> None:
        v = np.asarray(vector, dtype=np.float32)
        self._x(
            "INSERT OR REPLACE INTO embeddings(kind, key, dim, vector) VALUES (?,?,?,?)",
            (kind, key, v.shape[-1], v.tobytes()),
        )

    def get_embeddings(self, kind: str, keys: Iterable[str] | None = None) -> tuple[list[str], np.ndarray]:
        if keys is None:
            rows = self._q("SELECT key, dim, vector FROM embeddings WHERE kind=? ORDER BY rowid", (kind,))
        else:
            keys = list(keys)
            rows = []
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                marks = ",".join("?" * len(chunk))
                rows += self._q(
                    f"SELECT key, dim, vector FROM embeddings WHERE kind=? AND key IN ({marks})", [kind, *chunk]
                )
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        ks = [r[0] for r in rows]
        mat = np.stack([np.frombuffer(r[2], dtype=np.float32) for r in rows])
        return ks, mat

    def put_edges(self, edges: list[ReuseEdge]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO reuse_edges(source_id, target_id, relation, confidence, data) VALUES (?,?,?,?,?)",
                [
                    (e.source_id, e.target_id, e.relation, e.confidence, json.dumps(to_dict(e), ensure_ascii=False))
                    for e in edges
                ],
            )

    def edges_for(self, article_id: str) -> list[ReuseEdge]:
        rows = self._q(
            "SELECT data FROM reuse_edges WHERE source_id=? UNION ALL SELECT data FROM reuse_edges WHERE target_id=?",
            (article_id, article_id),
        )
        return [reuse_edge_from_dict(json.loads(r[0])) for r in rows]

    def all_edges(self) -> list[ReuseEdge]:
        return [reuse_edge_from_dict(json.loads(r[0])) for r in self._q("SELECT data FROM reuse_edges ORDER BY rowid")]
