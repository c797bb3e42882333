"""Cleaning on Spark: the furniture (boilerplate lines) learnt by a distributed count, the single-machine
Cleaner per partition with that model broadcast, and one row per content id."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

from ..clean import Cleaner, FurnitureModel
from ..config import Config
from ..model import RawDocument, Rejection
from .rows import article_row


def learn_furniture(raw_rdd, config: Config) -> FurnitureModel:
    """Corpus-level boilerplate learning as a distributed count of short normalised lines per document.

    Same counts as ``Cleaner.fit`` over the whole corpus; only lines seen in at least
    ``learn_min_docs`` documents come back to the driver (the others can never be furniture).
    """
    clean_cfg = config.clean
    k = max(1, clean_cfg.learn_min_docs)

    def lines(item: tuple[int, Any]) -> Iterator[tuple[tuple[str, str], int]]:
        raw = item[1]
        if not isinstance(raw, RawDocument):
            return
        cand = Cleaner(clean_cfg).candidate_lines(raw)
        if not cand:
            return
        yield ("", "\x00docs"), 1
        outlet = raw.meta.get("outlet")
        for line in cand:
            yield ("", line), 1
            if outlet:
                yield (outlet, line), 1

    counts = raw_rdd.flatMap(lines).reduceByKey(lambda a, b: a + b)
    kept = counts.filter(lambda kv: kv[1] >= k or kv[0][1] == "\x00docs").collect()
    model = FurnitureModel()
    for (outlet, line), n in kept:
        if line == "\x00docs":
            model.docs = n
        elif outlet:
            model.outlet_line_docs[outlet][line] = n
        else:
            model.line_docs[line] = n
    return model


_CLEANERS: dict[Any, Cleaner] = {}


def _cleaner(config_json: str, furniture_bytes: bytes) -> Cleaner:
    key = (config_json, hashlib.sha1(furniture_bytes).hexdigest())
    if key not in _CLEANERS:
        _CLEANERS.clear()
        cfg = Config.from_json(config_json)
        _CLEANERS[key] = Cleaner(cfg.clean, FurnitureModel.from_bytes(furniture_bytes))
    return _CLEANERS[key]


def _schemas():
    from pyspark.sql import types as T

    removed = T.ArrayType(
        T.StructType(
            [
                T.StructField("text", T.StringType()),
                T.StructField("reason", T.StringType()),
                T.StructField("position", T.IntegerType()),
            ]
        )
    )
    article = T.StructType(
        [
            T.StructField("id", T.StringType(), False),
            T.StructField("source", T.StringType()),
            T.StructField("paragraphs", T.ArrayType(T.StringType())),
            T.StructField("title", T.StringType()),
            T.StructField("outlet", T.StringType()),
            T.StructField("author", T.StringType()),
            T.StructField("dateline", T.StringType()),
            T.StructField("published", T.StringType()),
            T.StructField("date_precision", T.StringType()),
            T.StructField("language", T.StringType()),
            T.StructField("language_score", T.DoubleType()),
            T.StructField("outlet_from", T.StringType()),
            T.StructField("notes", T.ArrayType(T.StringType())),
            T.StructField("url", T.StringType()),
            T.StructField("removed", removed),
            T.StructField("word_count", T.IntegerType()),
            T.StructField("ord", T.LongType()),
        ]
    )
    rejection = T.StructType([T.StructField("source", T.StringType()), T.StructField("reason", T.StringType())])
    return article, rejection


def clean_partitions(raw_rdd, config: Config, furniture: FurnitureModel):
    """Per partition: the single-machine Cleaner with the broadcast furniture model. -> (articles DF, rejections DF)."""
    sc = raw_rdd.context
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    b_furniture = sc.broadcast(furniture.to_bytes())
    config_json = config.to_json()

    def clean(items: Iterable[tuple[int, Any]]) -> Iterator[tuple[str, Any]]:
        cleaner = _cleaner(config_json, b_furniture.value)
        for ord_, raw in items:
            out = raw if isinstance(raw, Rejection) else cleaner.transform(raw)
            if isinstance(out, Rejection):
                yield "r", (out.source, out.reason)
            else:
                yield "a", article_row(out, ord_)

    # read twice (the articles, then the rejections): spilled to disk when memory is short instead of
    # cleaned again (the default MEMORY_ONLY drops partitions that do not fit and recomputes them)
    from pyspark import StorageLevel

    cleaned = raw_rdd.mapPartitions(clean).persist(StorageLevel.MEMORY_AND_DISK)
    art_schema, rej_schema = _schemas()
    names = art_schema.names
    arts = spark.createDataFrame(
        cleaned.filter(lambda kv: kv[0] == "a").map(lambda kv: tuple(kv[1].get(n) for n in names)),
        art_schema,
        verifySchema=False,
    )
    rejs = spark.createDataFrame(
        cleaned.filter(lambda kv: kv[0] == "r").map(lambda kv: kv[1]), rej_schema, verifySchema=False
    )
    return arts, rejs, cleaned


# an http(s) address with a path below the site's root (storyline.urls.is_article_url, as a Java regex)
_ARTICLE_URL = r"(?i)^https?://[^/?#]+/[^?#]*[^/?#]"


def dedup_articles(arts):
    """One row per content id (the first in input order wins, as in the single-machine ingest);
    the other sources of the same body are kept in ``also_sources``. Then one row per canonical article
    URL (the same page fetched twice is one article, the first kept), as the single-machine ingest does."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    w = Window.partitionBy("id").orderBy("ord")
    ranked = arts.withColumn("_rank", F.row_number().over(w))
    others = ranked.where("_rank > 1").groupBy("id").agg(F.sort_array(F.collect_list("source")).alias("also_sources"))
    by_id = ranked.where("_rank = 1").drop("_rank").join(others, "id", "left")
    is_article = F.col("url").isNotNull() & F.col("url").rlike(_ARTICLE_URL)
    by_url = Window.partitionBy(F.when(is_article, F.col("url")).otherwise(F.col("id"))).orderBy("ord")
    return by_id.withColumn("_rank", F.row_number().over(by_url)).where("_rank = 1").drop("_rank")
