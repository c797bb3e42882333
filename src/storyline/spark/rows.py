"""An article as a Spark row and back, and rows as an Arrow batch: what every step's rows are made of."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..model import Article, article_from_dict, to_dict


def article_row(a: Article, ord_: int) -> dict[str, Any]:
    d = to_dict(a)
    d.pop("seq", None)
    d.pop("ingested_at", None)
    d["word_count"] = a.word_count
    d["ord"] = int(ord_)
    return d


# a reuse edge's scalar columns in the Spark tables (its passages travel as JSON beside them)
EDGE_COLS = (
    "source_id",
    "target_id",
    "relation",
    "confidence",
    "source_coverage",
    "target_coverage",
    "direction_rule",
    "direction_confidence",
)

ARTICLE_COLS = [
    "id",
    "source",
    "paragraphs",
    "title",
    "outlet",
    "author",
    "dateline",
    "published",
    "date_precision",
    "language",
    "language_score",
    "outlet_from",
    "notes",
    "url",
    "removed",
    "ord",
]


def row_article(row: Any) -> Article:
    d = row.asDict(recursive=True) if hasattr(row, "asDict") else dict(row)
    keep = {k: d.get(k) for k in ARTICLE_COLS if k != "ord"}
    keep["paragraphs"] = list(keep["paragraphs"] or [])
    keep["removed"] = [dict(r) for r in keep["removed"] or []]
    return article_from_dict(keep)


def _order_key(d: dict[str, Any]) -> tuple:
    return (d.get("published") is None, d.get("published") or "", d.get("ord") or 0, d["id"])


def _rows_batch(rows: list[tuple], names: list[str], types: list[Any]) -> Any:
    """An Arrow record batch of these rows (tuples in the order of ``names``, of Arrow ``types``)."""
    import pyarrow as pa

    cols: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    return pa.RecordBatch.from_arrays([pa.array(list(c), t) for c, t in zip(cols, types, strict=True)], names=names)
