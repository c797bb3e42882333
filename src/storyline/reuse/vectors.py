"""The semantic route's vector index: usearch over article vectors, keyed by article id, saved beside the store."""

from __future__ import annotations

import numpy as np


class VectorIndex:
    """usearch index over article vectors, keyed by article id; built once, then added to."""

    def __init__(self, dim: int):
        from usearch.index import Index

        self.dim = dim
        # modest graph settings: building 100k vectors once per process stays in seconds (recall@10 ~0.98)
        self.index = Index(ndim=dim, metric="cos", dtype="f16", connectivity=16, expansion_add=32, expansion_search=48)
        self.ids: list[str] = []
        self.key_of: dict[str, int] = {}

    def add(self, ids: list[str], vectors: np.ndarray) -> None:
        new = [(i, v) for i, v in zip(ids, vectors, strict=True) if i not in self.key_of]
        if not new:
            return
        keys = np.arange(len(self.ids), len(self.ids) + len(new), dtype=np.uint64)
        for (aid, _), k in zip(new, keys, strict=True):
            self.key_of[aid] = int(k)
            self.ids.append(aid)
        self.index.add(keys, np.stack([v for _, v in new]).astype(np.float32), threads=1 if len(new) < 64 else 0)

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        if not self.ids:
            return []
        m = self.index.search(np.asarray(vector, dtype=np.float32), min(k, len(self.ids)), threads=1)
        return [(self.ids[int(key)], 1.0 - float(d)) for key, d in zip(m.keys, m.distances, strict=True)]

    def __len__(self) -> int:
        return len(self.ids)

    def save(self, base: str) -> None:
        """Write the index and its ids beside the store (atomic replace of each file; the ids file
        carries the count so that a torn pair is detected and rebuilt)."""
        import os

        tmp = f"{base}.tmp{os.getpid()}"
        self.index.save(tmp)
        with open(tmp + ".ids", "w", encoding="utf-8") as fh:
            fh.write(f"{len(self.ids)} {self.dim}\n" + "\n".join(self.ids))
        os.replace(tmp + ".ids", base + ".ids")
        os.replace(tmp, base)

    @classmethod
    def load(cls, base: str, dim: int) -> VectorIndex | None:
        """The saved index, or None if missing, of another size, or inconsistent."""
        import os

        if not (os.path.exists(base) and os.path.exists(base + ".ids")):
            return None
        try:
            with open(base + ".ids", encoding="utf-8") as fh:
                head, _, rest = fh.read().partition("\n")
            count, saved_dim = (int(x) for x in head.split())
            ids = rest.split("\n") if count else []
            if saved_dim != dim or len(ids) != count:
                return None
            out = cls(dim)
            out.index.load(base)
            if len(out.index) != count:
                return None
        except (OSError, ValueError, RuntimeError):  # a torn or foreign file (usearch: RuntimeError): rebuild
            return None
        out.ids = ids
        out.key_of = {aid: i for i, aid in enumerate(ids)}
        return out
