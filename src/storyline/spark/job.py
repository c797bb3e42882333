"""The whole batch run: the steps in order (read, furniture, clean, copies, stories per window, linking),
the Parquet tables and the manifest, and its command line (``python -m storyline.spark``, spark-submit)."""

from __future__ import annotations

import argparse
import base64
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from ..config import Config
from ..model import Story
from .clean import clean_partitions, dedup_articles, learn_furniture
from .copies import candidate_pairs, duplicate_groups_df, signatures, verify_pairs
from .link import _piece_order, link_pieces, link_windows, merge_pieces
from .options import SparkOptions
from .output import MANIFEST, TABLES, _write_text
from .read import read_raw
from .session import make_session
from .stories import stories_per_window
from .vectors import embeddings


@dataclass
class RunReport:
    output: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    backends: dict[str, str] = field(default_factory=dict)


def run_pipeline(
    spark,
    input_path: str,
    output: str,
    config: Config | None = None,
    options: SparkOptions | None = None,
    mode: str = "overwrite",
    on_lap: Callable[[str], None] | None = None,
) -> RunReport:
    """The whole batch pipeline; writes the Parquet tables and the manifest under ``output``.
    ``on_lap(step)`` is called as each step ends (the benchmark samples CPU time there)."""
    from pyspark import StorageLevel
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    config = config or Config()
    options = options or SparkOptions()
    rep = RunReport(output=output)
    t0 = time.perf_counter()
    clock = [t0]

    def lap(name: str) -> None:
        now = time.perf_counter()
        rep.seconds[name] = round(now - clock[0], 2)
        clock[0] = now
        if on_lap is not None:
            on_lap(name)

    parts = options.partitions or 2 * spark.sparkContext.defaultParallelism
    out = output.rstrip("/")

    # 1. read + learn furniture (one pass over the raw documents, kept for the cleaning pass)
    raw = (
        read_raw(spark, input_path, config, options.input_format)
        .repartition(parts)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    furniture = learn_furniture(raw, config)
    lap("read+furniture")

    # 2. clean per partition, dedup by content id
    arts, rejs, cleaned = clean_partitions(raw, config, furniture)
    arts = dedup_articles(arts).persist(StorageLevel.MEMORY_AND_DISK)
    rep.counts["articles"] = arts.count()
    # later shuffles: at least one partition per ``partition_articles`` articles, so that what a Python
    # worker holds at once (a batch, a window) stays small whatever the corpus size
    want = max(parts, math.ceil(rep.counts["articles"] / max(1, options.partition_articles)))
    shuffle_parts = spark.conf.get("spark.sql.shuffle.partitions")
    if want > int(shuffle_parts or 0):
        spark.conf.set("spark.sql.shuffle.partitions", str(want))
    raw.unpersist()
    rejs.write.mode(mode).parquet(f"{out}/rejections")
    rep.counts["rejected"] = spark.read.parquet(f"{out}/rejections").count()  # from the Parquet footers
    cleaned.unpersist()
    lap("clean")

    # 3. near-duplicates: signatures -> LSH shuffle -> verified edges -> components on Spark
    sigs = signatures(arts, config).persist(StorageLevel.MEMORY_AND_DISK)
    sigs.drop("lsh_keys").write.mode(mode).parquet(f"{out}/signatures")
    pairs = candidate_pairs(sigs, options.max_bucket)
    edges = verify_pairs(pairs, sigs, arts, config)
    edges.write.mode(mode).parquet(f"{out}/reuse_edges")
    edges = spark.read.parquet(f"{out}/reuse_edges")
    rep.counts["reuse_edges"] = edges.count()
    groups = duplicate_groups_df(edges, options.max_cc_iterations)
    groups.write.mode(mode).parquet(f"{out}/duplicate_groups")
    groups = spark.read.parquet(f"{out}/duplicate_groups")
    rep.counts["duplicate_groups"] = groups.count()
    sigs.unpersist()
    rep.backends["reuse"] = "storyline.reuse.ReuseDetector"
    lap("near-duplicates")

    # articles table, with the duplicate group of each member
    member = groups.select("group_id", F.explode("article_ids").alias("id"))
    arts.join(member, "id", "left").orderBy("ord").write.mode(mode).parquet(f"{out}/articles")

    # 4. stories: per window in parallel, then the pieces linked across windows
    story_schema = T.StructType(
        [
            T.StructField("id", T.StringType()),
            T.StructField("title", T.StringType()),
            T.StructField("article_ids", T.ArrayType(T.StringType())),
            T.StructField("event_ids", T.ArrayType(T.StringType())),
            T.StructField("entities", T.ArrayType(T.StringType())),
            T.StructField("outlets", T.ArrayType(T.StringType())),
            T.StructField("first_date", T.StringType()),
            T.StructField("last_date", T.StringType()),
            T.StructField("size", T.LongType()),
            T.StructField("pieces", T.ArrayType(T.StringType())),
        ]
    )
    event_schema = T.StructType(
        [
            T.StructField("id", T.StringType()),
            T.StructField("story_id", T.StringType()),
            T.StructField("article_ids", T.ArrayType(T.StringType())),
            T.StructField("title", T.StringType()),
            T.StructField("start", T.StringType()),
            T.StructField("end", T.StringType()),
            T.StructField("entities", T.ArrayType(T.StringType())),
        ]
    )
    sa_schema = "story_id string, event_id string, article_id string, window long"
    if not options.stories:
        rep.backends["cluster"] = "skipped"
        spark.createDataFrame([], story_schema).write.mode(mode).parquet(f"{out}/stories")
        spark.createDataFrame([], event_schema).write.mode(mode).parquet(f"{out}/events")
        spark.createDataFrame([], sa_schema).write.mode(mode).parquet(f"{out}/story_articles")
        rep.counts["stories"] = 0
    else:
        rep.backends["cluster"] = "storyline.cluster.StoryClusterer, one per window"
        # copies: a duplicate's original = the earliest member of its group (by date, then input order)
        first = member.join(arts.select("id", "published", "ord"), "id").withColumn(
            "_r",
            F.row_number().over(
                Window.partitionBy("group_id").orderBy(F.col("published").asc_nulls_last(), "ord", "id")
            ),
        )
        originals = first.where("_r = 1").select("group_id", F.col("id").alias("original"))
        copies = first.where("_r > 1").join(originals, "group_id").select("id", "original")
        res, tags = stories_per_window(arts, copies, config, options)
        res.write.mode(mode).parquet(f"{out}/story_pieces")
        tags.unpersist()
        res = spark.read.parquet(f"{out}/story_pieces")
        lap("stories-per-window")
        assign = res.where("kind = 'a'").select("window", "piece_id", "event_id", F.col("article_id").alias("id"))
        piece_rows = res.where("kind = 's'").select("piece_id", "window", "payload").collect()
        pieces = [_story_from_json(r.payload) for r in piece_rows]
        window_of_piece = {r.piece_id: int(r.window) for r in piece_rows}
        mapping = {p.id: p.id for p in pieces}
        n_windows = len(set(window_of_piece.values()))
        if n_windows > 1 and options.link == "scorer":
            wstates = res.where("kind = 'w'").select("window", "payload").orderBy(F.col("window") < 0, "window")

            def states() -> Iterator[tuple[int, bytes]]:  # one window's state at a time on the driver
                for r in wstates.toLocalIterator():
                    yield int(r.window), base64.b64decode(r.payload)

            mapping.update(link_pieces(states, config))
            rep.backends["link"] = "clusterer scorer (story-pair probability >= story threshold)"
        elif n_windows > 1:
            rep.backends["link"] = f"centroid cosine >= {options.link_threshold}"
            vecs = embeddings(arts, config)
            cent = (
                assign.join(vecs, "id")
                .rdd.map(lambda r: (r.piece_id, (np.asarray(r.vector, dtype=np.float64), 1)))
                .reduceByKey(lambda x, y: (x[0] + y[0], x[1] + y[1]))
                .mapValues(lambda t: t[0].astype(np.float32))
                .collect()
            )
            centroids = {pid: (window_of_piece[pid], v) for pid, v in cent if pid in window_of_piece}
            mapping.update(link_windows(centroids, options.link_threshold, options.link_span))
        stories = merge_pieces(pieces, mapping)
        lap("link-windows")
        spark.createDataFrame(
            [
                (
                    s.id,
                    s.title,
                    s.article_ids,
                    [e.id for e in s.events],
                    s.entities,
                    s.outlets,
                    _iso(s.first_date),
                    _iso(s.last_date),
                    len(s.article_ids),
                    sorted({p for p, t in mapping.items() if t == s.id}, key=_piece_order),
                )
                for s in stories
            ],
            story_schema,
        ).write.mode(mode).parquet(f"{out}/stories")
        spark.createDataFrame(
            [
                (e.id, e.story_id, e.article_ids, e.title, _iso(e.start), _iso(e.end), e.entities)
                for s in stories
                for e in s.events
            ],
            event_schema,
        ).write.mode(mode).parquet(f"{out}/events")
        map_df = spark.createDataFrame(list(mapping.items()), "piece_id string, story_id string")
        assign.join(F.broadcast(map_df), "piece_id").select(
            "story_id", "event_id", F.col("id").alias("article_id"), "window"
        ).write.mode(mode).parquet(f"{out}/story_articles")
        rep.counts["stories"] = len(stories)
        rep.counts["story_pieces"] = len(pieces)
        rep.counts["windows"] = n_windows
    arts.unpersist()
    spark.conf.set("spark.sql.shuffle.partitions", shuffle_parts)
    lap("write")
    rep.seconds["total"] = round(time.perf_counter() - t0, 2)
    manifest = {
        "version": 1,
        "config": json.loads(config.to_json()),
        "options": asdict(options),
        "counts": rep.counts,
        "seconds": rep.seconds,
        "backends": rep.backends,
        "tables": list(TABLES),
        "furniture": {"docs": furniture.docs, "lines": len(furniture.line_docs)},
    }
    _write_text(spark, f"{out}/{MANIFEST}", json.dumps(manifest, indent=2))
    return rep


def _story_from_json(js: str) -> Story:
    from ..model import story_from_dict

    return story_from_dict(json.loads(js))


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="storyline.spark", description="Storyline batch pipeline on Spark.")
    p.add_argument("input", help="JSONL file/folder, Parquet, or a folder of text/HTML files (any URI Spark reads)")
    p.add_argument("output", help="folder (or URI) for the Parquet tables")
    p.add_argument("--master", default=None, help="local[2], spark://host:7077, yarn ... (default: spark-submit's)")
    p.add_argument("--format", default="auto", choices=["auto", "jsonl", "parquet", "files"])
    p.add_argument("--window-days", type=float, default=SparkOptions.window_days)
    p.add_argument(
        "--link",
        default=SparkOptions.link,
        choices=["scorer", "cosine"],
        help="link story pieces across windows with the clusterer's story-pair score, or centroid cosine",
    )
    p.add_argument("--link-threshold", type=float, default=SparkOptions.link_threshold, help="--link cosine only")
    p.add_argument("--partitions", type=int, default=0)
    p.add_argument("--config", default=None, help="JSON file with Storyline settings (Config)")
    p.add_argument("--conf", action="append", default=[], help="extra Spark setting key=value (repeatable)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    config = Config.from_json(Path(args.config).read_text()) if args.config else Config()
    options = SparkOptions(
        input_format=args.format,
        window_days=args.window_days,
        link=args.link,
        link_threshold=args.link_threshold,
        partitions=args.partitions,
    )
    conf = dict(kv.split("=", 1) for kv in args.conf)
    spark = make_session(args.master, conf=conf)
    try:
        rep = run_pipeline(spark, args.input, args.output, config, options)
    finally:
        spark.stop()
    print(
        json.dumps(
            {"output": rep.output, "counts": rep.counts, "seconds": rep.seconds, "backends": rep.backends}, indent=2
        )
    )
    return 0
