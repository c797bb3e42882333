"""Copies on Spark: MinHash signatures per partition, LSH banding as a shuffle on the band keys, candidate
pairs verified by the single-machine ReuseDetector, and duplicate groups as connected components."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from ..config import Config
from ..model import DUPLICATE_RELATIONS, to_dict
from .rows import ARTICLE_COLS, EDGE_COLS, _order_key, _rows_batch, row_article

_SIGNERS: dict[str, Any] = {}


def make_signer(config_json: str, embedder: bool = False) -> Any:
    """The single-machine ``ReuseDetector`` (one per Python worker process and settings)."""
    key = f"{config_json}|{embedder}"
    if key not in _SIGNERS:
        from ..reuse import ReuseDetector

        cfg = Config.from_json(config_json)
        emb = None
        if embedder:
            from ..embed import get_embedder

            emb = get_embedder(cfg.embed)
        _SIGNERS[key] = ReuseDetector(cfg.reuse, emb)
    return _SIGNERS[key]


def jaccard_estimate(a: np.ndarray, b: np.ndarray) -> float:
    a = np.asarray(a)
    b = np.asarray(b)
    return float(np.mean(a == b)) if len(a) else 0.0


def signatures(articles_df, config: Config):
    """Per partition, ``ReuseDetector.signature_and_keys`` (one pass over the text, as the single-machine
    stage): (id, signature: array<long> (uint64 bits), band_keys: array<binary> (the LSH band keys and the
    long-sentence fingerprints, what the store keeps), lsh_keys: array<binary> (the band keys only, which
    the LSH shuffle pairs on)). Rows cross between the JVM and Python as Arrow batches."""
    from pyspark.sql import types as T

    config_json = config.to_json()

    def sign(batches: Iterable[Any]) -> Iterator[Any]:
        import pyarrow as pa

        signer = make_signer(config_json)
        for batch in batches:
            ids, sigs, keys, lsh = [], [], [], []
            for r in batch.to_pylist():
                a = row_article(r)
                sig, ks = signer.signature_and_keys(a)
                ks = [bytes(k) for k in ks]
                ids.append(a.id)
                sigs.append(np.asarray(sig, dtype=np.uint64).view(np.int64))
                keys.append(ks)
                lsh.append([k for k in ks if k[:1] != b"\xfe"])
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array(ids, pa.string()),
                    pa.array(sigs, pa.list_(pa.int64())),
                    pa.array(keys, pa.list_(pa.binary())),
                    pa.array(lsh, pa.list_(pa.binary())),
                ],
                names=["id", "signature", "band_keys", "lsh_keys"],
            )

    schema = T.StructType(
        [
            T.StructField("id", T.StringType()),
            T.StructField("signature", T.ArrayType(T.LongType())),
            T.StructField("band_keys", T.ArrayType(T.BinaryType())),
            T.StructField("lsh_keys", T.ArrayType(T.BinaryType())),
        ]
    )
    return articles_df.select(*ARTICLE_COLS).mapInArrow(sign, schema)


def candidate_pairs(sigs_df, max_bucket: int = 0):
    """LSH banding as a shuffle on band keys: (a, b) with a < b sharing at least one band.

    A bucket larger than ``max_bucket`` (a template or a story copied thousands of times) would give a
    quadratic number of pairs; its members are paired as a chain in id order instead (each with the
    next), which keeps a group of copies connected with a linear number of comparisons.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    col = "lsh_keys" if "lsh_keys" in sigs_df.columns else "band_keys"
    bands = sigs_df.select("id", F.explode(col).alias("band"))
    big = None
    if max_bucket:
        sized = bands.withColumn("_n", F.count("*").over(Window.partitionBy("band")))
        big = sized.where(F.col("_n") > max_bucket).drop("_n")
        bands = sized.where(F.col("_n") <= max_bucket).drop("_n")
    left = bands.alias("l")
    right = bands.alias("r")
    pairs = (
        left.join(right, F.col("l.band") == F.col("r.band"))
        .where(F.col("l.id") < F.col("r.id"))
        .select(F.col("l.id").alias("a"), F.col("r.id").alias("b"))
    )
    if big is not None:
        chain = (
            big.withColumn("a", F.lag("id").over(Window.partitionBy("band").orderBy("id")))
            .where(F.col("a").isNotNull())
            .select("a", F.col("id").alias("b"))
        )
        pairs = pairs.unionByName(chain)
    return pairs.distinct()


def verify_pairs(pairs_df, sigs_df, articles_df, config: Config):
    """Candidate pairs -> reuse edges (non-independent ones), source = the earlier article:
    ``ReuseDetector.compare`` on both articles, after a Jaccard pre-filter from the signatures
    (half the LSH threshold). Rows cross between the JVM and Python as Arrow batches."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    config_json = config.to_json()
    s = sigs_df.select("id", "signature")
    art = articles_df.select(*ARTICLE_COLS)
    joined = (
        pairs_df.join(s.withColumnRenamed("id", "a").withColumnRenamed("signature", "sa"), "a")
        .join(s.withColumnRenamed("id", "b").withColumnRenamed("signature", "sb"), "b")
        # the Jaccard estimate, before the article bodies are joined in (most LSH candidates stop here)
        .where(
            F.expr(
                f"size(filter(arrays_zip(sa, sb), z -> z.sa = z.sb)) >= size(sa) * {config.reuse.lsh_threshold * 0.5!r}"
            )
        )
        .join(art.select(F.col("id").alias("a"), F.struct(*[F.col(c) for c in art.columns]).alias("art_a")), "a")
        .join(art.select(F.col("id").alias("b"), F.struct(*[F.col(c) for c in art.columns]).alias("art_b")), "b")
    )

    names = [*EDGE_COLS, "passages", "jaccard"]

    def verify(batches: Iterable[Any]) -> Iterator[Any]:

        det = make_signer(config_json, embedder=True)
        for batch in batches:
            out: list[tuple] = []
            for r in batch.to_pylist():
                A, B = r["art_a"], r["art_b"]
                first, second = (A, B) if _order_key(A) <= _order_key(B) else (B, A)
                e = det.compare(row_article(first), row_article(second))
                if e.relation == "independent":
                    continue
                out.append(
                    (
                        e.source_id,
                        e.target_id,
                        e.relation,
                        float(e.confidence),
                        float(e.source_coverage),
                        float(e.target_coverage),
                        e.direction_rule,
                        float(e.direction_confidence),
                        json.dumps(to_dict(e.passages), ensure_ascii=False),
                        round(jaccard_estimate(np.asarray(r["sa"]), np.asarray(r["sb"])), 4),
                    )
                )
            yield _rows_batch(out, names, types)

    schema = T.StructType(
        [
            T.StructField("source_id", T.StringType()),
            T.StructField("target_id", T.StringType()),
            T.StructField("relation", T.StringType()),
            T.StructField("confidence", T.DoubleType()),
            T.StructField("source_coverage", T.DoubleType()),
            T.StructField("target_coverage", T.DoubleType()),
            T.StructField("direction_rule", T.StringType()),
            T.StructField("direction_confidence", T.DoubleType()),
            T.StructField("passages", T.StringType()),
            T.StructField("jaccard", T.DoubleType()),
        ]
    )
    import pyarrow as pa

    types = [
        pa.string(),
        pa.string(),
        pa.string(),
        pa.float64(),
        pa.float64(),
        pa.float64(),
        pa.string(),
        pa.float64(),
        pa.string(),
        pa.float64(),
    ]
    return joined.mapInArrow(verify, schema)


def connected_components(edges_df, max_iterations: int = 60):
    """Connected components of an undirected graph given as (src, dst), computed on Spark.

    Min-label propagation: every vertex starts with its own id as label; each round a vertex takes the
    smallest label among itself and its neighbours (a DataFrame join + groupBy), until no label changes.
    Lineage is cut each round with ``localCheckpoint``. Nothing is collected to the driver except the
    number of changed labels. -> DataFrame (id, component) where component = the smallest id in it.
    """
    from pyspark.sql import functions as F

    e = edges_df.select(F.col("src").alias("u"), F.col("dst").alias("v"))
    e = e.union(e.select(F.col("v").alias("u"), F.col("u").alias("v"))).where("u != v").distinct().localCheckpoint()
    labels = e.select(F.col("u").alias("id")).distinct().withColumn("label", F.col("id")).localCheckpoint()
    for _ in range(max_iterations):
        prop = (
            e.join(labels.withColumnRenamed("id", "u"), "u")
            .groupBy(F.col("v").alias("id"))
            .agg(F.min("label").alias("nl"))
        )
        new = (
            labels.join(prop, "id", "left")
            .select(
                "id",
                F.least("label", F.coalesce("nl", "label")).alias("label"),
                (F.col("nl") < F.col("label")).alias("ch"),
            )
            .localCheckpoint()
        )
        changed = new.where("ch").count()
        labels = new.select("id", "label")
        if changed == 0:
            break
    return labels.withColumnRenamed("label", "component")


def duplicate_groups_df(edges_df, max_iterations: int = 60):
    """(group_id, article_ids sorted, size) from exact/near-duplicate edges."""
    from pyspark.sql import functions as F

    dup = edges_df.where(F.col("relation").isin(*DUPLICATE_RELATIONS)).select(
        F.col("source_id").alias("src"), F.col("target_id").alias("dst")
    )
    comp = connected_components(dup, max_iterations)
    return comp.groupBy(F.col("component").alias("group_id")).agg(
        F.sort_array(F.collect_list("id")).alias("article_ids"), F.count("*").alias("size")
    )
