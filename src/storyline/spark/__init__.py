"""The batch pipeline on Apache Spark: the same stages as :class:`storyline.pipeline.Pipeline`, distributed.

    read (JSONL | Parquet | folder of text/HTML)            -> raw documents (per partition)
    furniture: distributed count of short lines per outlet  -> FurnitureModel (broadcast)
    clean (per partition, the same Cleaner)                  -> articles (deduplicated by content id)
    MinHash signatures + LSH keys (per partition) -> LSH bands (shuffle on band keys) -> candidate pairs
       -> Jaccard pre-filter (on the JVM) -> ReuseDetector.compare -> reuse edges
    connected components (min-label propagation with DataFrame joins, on Spark) -> duplicate groups
    stories: one pass tags each article with its time window and counts the clusterer's document
             frequencies per window (broadcast); one partition per window (largest first), one online
             clusterer each, seeded with the document frequencies of the earlier windows, windows in
             parallel on the executors; then the story pieces linked across windows on the driver by the
             clusterer's own story-pair scorer (one row per piece, one window's state at a time)
    (rows cross between the JVM and the Python workers as Arrow batches)
    -> Parquet tables under OUTPUT: articles, rejections, signatures, reuse_edges, duplicate_groups,
       stories, events, story_articles, and ``_storyline.json`` (settings, counts, which back-ends ran)

Every per-record function is the single-machine one (``storyline.ingest``, ``storyline.clean``,
``storyline.reuse``, ``storyline.cluster``); this package only distributes them.

Run: ``storyline spark-run INPUT OUTPUT --master local[2]``, or
``spark-submit scripts/spark_submit.py INPUT OUTPUT`` (same arguments as ``python -m storyline.spark``).
Load the result into a store with ``storyline import OUTPUT --db news.db``.

The parts: ``session`` (the SparkSession), ``options`` (SparkOptions), ``read`` (the input), ``rows``
(articles as rows and Arrow batches), ``clean`` (furniture and cleaning), ``copies`` (MinHash, LSH, pair
verification, duplicate groups), ``vectors`` (embeddings, ``--link cosine``), ``stories`` (clustering per
window), ``link`` (pieces into stories, on the driver), ``output`` (tables, manifest, import into a store),
``job`` (the whole run and its command line). Every public name is importable from ``storyline.spark``.
"""

from __future__ import annotations

from .clean import clean_partitions, dedup_articles, learn_furniture
from .copies import (
    candidate_pairs,
    connected_components,
    duplicate_groups_df,
    jaccard_estimate,
    make_signer,
    signatures,
    verify_pairs,
)
from .job import RunReport, build_parser, main, run_pipeline
from .link import link_pieces, link_windows, merge_pieces
from .options import SparkOptions
from .output import MANIFEST, TABLES, import_output
from .read import read_raw
from .rows import ARTICLE_COLS, article_row, row_article
from .session import make_session
from .stories import (
    DF,
    article_df,
    cluster_window,
    day_of,
    default_clusterer,
    hash_keys,
    prior_for,
    prior_frequencies,
    stories_per_window,
    stream_order,
    sum_df,
    window_of,
    window_partitions,
)
from .vectors import embed_text, embeddings

__all__ = [
    "ARTICLE_COLS",
    "DF",
    "MANIFEST",
    "TABLES",
    "RunReport",
    "SparkOptions",
    "article_df",
    "article_row",
    "build_parser",
    "candidate_pairs",
    "clean_partitions",
    "cluster_window",
    "connected_components",
    "day_of",
    "dedup_articles",
    "default_clusterer",
    "duplicate_groups_df",
    "embed_text",
    "embeddings",
    "hash_keys",
    "import_output",
    "jaccard_estimate",
    "learn_furniture",
    "link_pieces",
    "link_windows",
    "main",
    "make_session",
    "make_signer",
    "merge_pieces",
    "prior_for",
    "prior_frequencies",
    "read_raw",
    "row_article",
    "run_pipeline",
    "signatures",
    "stories_per_window",
    "stream_order",
    "sum_df",
    "verify_pairs",
    "window_of",
    "window_partitions",
]
