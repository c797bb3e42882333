"""Reading the input on Spark: JSONL lines, Parquet rows or whole files, each record through the readers of
``storyline.ingest`` (:func:`storyline.ingest.read_bytes` for whole files: every format the CLI reads),
numbered in input order. A whole file is one Spark record (binaryFile: under 2 GB each); split larger
crawls into several WARC files."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..config import Config


def _detect_format(path: str) -> str:
    low = path.lower().rstrip("/")
    if low.endswith((".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")):
        return "jsonl"
    if low.endswith(".parquet"):
        return "parquet"
    p = Path(path)
    if "://" not in path and p.is_dir():
        names = [f.name.lower() for f in p.rglob("*") if f.is_file() and not f.name.startswith((".", "_"))]
        if names and all(n.endswith(".parquet") for n in names):
            return "parquet"
        if names and all(n.endswith((".jsonl", ".ndjson")) for n in names):
            return "jsonl"
    return "files"


def read_raw(spark, path: str, config: Config, input_format: str = "auto"):
    """RDD of ``(ord, RawDocument | Rejection)``; ``ord`` is the input order (the single-machine ingest order)."""
    from pyspark.sql import functions as F

    from ..ingest import parse_jsonl_record

    fmt = _detect_format(path) if input_format == "auto" else input_format
    ingest_cfg = config.ingest
    if fmt == "jsonl":
        df = (
            spark.read.text(path)
            .withColumn("file", F.input_file_name())
            .withColumn("ord", F.monotonically_increasing_id())
        )

        def parse(rows: Iterable[Any]) -> Iterator[tuple[int, Any]]:
            for r in rows:
                if not r.value.strip():
                    continue
                yield r.ord, parse_jsonl_record(f"{r.file}#{r.ord}", r.value)

        return df.rdd.mapPartitions(parse)
    if fmt == "parquet":
        df = spark.read.parquet(path).withColumn("ord", F.monotonically_increasing_id())
        keep = [c for c in ("text", "html", "url", "title", "date", "outlet", "author", "source") if c in df.columns]
        df = df.select(*[F.col(c).cast("string") for c in keep], "ord")

        def parse_rows(rows: Iterable[Any]) -> Iterator[tuple[int, Any]]:
            for r in rows:
                d = {k: v for k, v in r.asDict().items() if k != "ord" and v is not None}
                yield r.ord, parse_jsonl_record(d.get("source") or f"{path}#{r.ord}", json.dumps(d))

        return df.rdd.mapPartitions(parse_rows)
    if fmt != "files":
        raise ValueError(f"unknown input format {fmt!r} (use auto, jsonl, parquet or files)")
    from ..ingest import known_extensions, read_bytes

    known = known_extensions(ingest_cfg)
    df = spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(path).select("path", "content")

    def wanted(p: str) -> bool:
        name = p.rsplit("/", 1)[-1]
        suffix = os.path.splitext(name)[1].lower()
        return not name.startswith((".", "_")) and (suffix in known or suffix == "")

    def parse_files(rows: Iterable[Any]) -> Iterator[tuple[tuple[str, int], Any]]:
        # every file through the single-machine readers (one code path): text, HTML, JSON, JSONL, CSV,
        # Parquet, WARC, feeds, and any of them gzipped or zipped; each output keyed by (file, record number)
        for r in rows:
            p = r.path[len("file:") :] if r.path.startswith("file:") else r.path
            if wanted(p):
                for i, out in enumerate(read_bytes(p, bytes(r.content), ingest_cfg)):
                    yield (p, i), out

    # input order = sorted paths (what the single-machine reader does), as a number
    return df.rdd.mapPartitions(parse_files).sortByKey().zipWithIndex().map(lambda kv: (kv[1], kv[0][1]))
