"""A run's output folder: its tables and manifest, writing the manifest (any URI Hadoop writes), and loading
the tables into a store (``storyline import``)."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import numpy as np

from ..config import Config
from ..model import Event, Story, event_from_dict, reuse_edge_from_dict
from ..pipeline import apply_outlet_table
from .rows import EDGE_COLS, _order_key, row_article

MANIFEST = "_storyline.json"
TABLES = (
    "articles",
    "rejections",
    "signatures",
    "reuse_edges",
    "duplicate_groups",
    "stories",
    "events",
    "story_articles",
)


def _write_text(spark, path: str, text: str) -> None:
    """A small file next to the tables: local paths directly, other URIs through Hadoop's FileSystem."""
    if "://" not in path or path.startswith("file://"):
        p = Path(path[len("file://") :] if path.startswith("file://") else path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    hpath = jvm.org.apache.hadoop.fs.Path(path)
    fs = hpath.getFileSystem(conf)
    stream = fs.create(hpath, True)
    stream.write(bytearray(text.encode("utf-8")))
    stream.close()


def _read_table(output: str, name: str):
    import pyarrow.parquet as pq

    path = Path(output) / name
    if not path.exists():
        return None
    return pq.read_table(str(path)).to_pylist()


def import_output(output: str | os.PathLike[str], store, batch: int = 1000) -> dict[str, int]:
    """Load a spark-run's Parquet tables into a store: articles (in date, then input order), reuse edges,
    MinHash signatures (when they came from storyline.reuse, so later ingests find copies of them), stories."""
    output = str(output)
    manifest_path = Path(output) / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    if store.load_config() is None and manifest.get("config"):
        store.save_config(Config.from_dict(manifest["config"]))
    counts = {"articles": 0, "edges": 0, "stories": 0, "signatures": 0}
    rows = _read_table(output, "articles") or []
    rows.sort(key=_order_key)
    for i in range(0, len(rows), batch):
        with store.transaction():
            arts = [row_article(r) for r in rows[i : i + batch]]
            apply_outlet_table(store, arts)  # named by the store's outlet table, as ingest names them
            for a in arts:
                if store.put_article(a):
                    counts["articles"] += 1
    if str(manifest.get("backends", {}).get("reuse", "")).startswith("storyline.reuse"):
        sig_rows = _read_table(output, "signatures") or []
        with store.transaction():
            for r in sig_rows:
                store.put_minhash(
                    r["id"], np.asarray(r["signature"], dtype=np.int64).view(np.uint64), list(r["band_keys"])
                )
                counts["signatures"] += 1
    edge_rows = _read_table(output, "reuse_edges") or []
    edges = []
    for r in edge_rows:
        d = {k: r[k] for k in EDGE_COLS}
        d["passages"] = json.loads(r.get("passages") or "[]")
        edges.append(reuse_edge_from_dict(d))
    if edges:
        with store.transaction():
            store.put_edges(edges)
    counts["edges"] = len(edges)
    events_by_story: dict[str, list[Event]] = defaultdict(list)
    for r in _read_table(output, "events") or []:
        events_by_story[r["story_id"]].append(event_from_dict(dict(r)))
    for r in _read_table(output, "stories") or []:
        s = Story(
            id=r["id"],
            article_ids=list(r["article_ids"] or []),
            events=events_by_story.get(r["id"], []),
            title=r["title"],
            entities=list(r["entities"] or []),
            outlets=list(r["outlets"] or []),
            first_date=datetime.fromisoformat(r["first_date"]) if r["first_date"] else None,
            last_date=datetime.fromisoformat(r["last_date"]) if r["last_date"] else None,
        )
        store.save_story(s)
        counts["stories"] += 1
    return counts
