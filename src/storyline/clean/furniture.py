"""Learnt furniture: counts of short normalised lines over the documents seen, overall and per outlet
(:meth:`storyline.clean.Cleaner.fit` / :meth:`~storyline.clean.Cleaner.partial_fit` fill it)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field


@dataclass
class FurnitureModel:
    """Counts of short normalised lines over documents, overall and per outlet."""

    docs: int = 0
    line_docs: Counter[str] = field(default_factory=Counter)
    outlet_line_docs: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "docs": self.docs,
                "lines": dict(self.line_docs),
                "outlets": {k: dict(v) for k, v in self.outlet_line_docs.items()},
            }
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> FurnitureModel:
        d = json.loads(data)
        m = cls(docs=d["docs"], line_docs=Counter(d["lines"]))
        for k, v in d["outlets"].items():
            m.outlet_line_docs[k] = Counter(v)
        return m
