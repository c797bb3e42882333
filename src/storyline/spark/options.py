"""How a run is distributed: input format, partitions, time windows, linking across windows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SparkOptions:
    """Settings of the distributed run (the stages' own settings stay in :class:`Config`)."""

    input_format: str = "auto"  # auto | jsonl | parquet | files
    partitions: int = 0  # articles are repartitioned to this many partitions (0: 2 x default parallelism)
    window_days: float = 7.0  # stories are clustered per time window of this many days, in parallel
    # how pieces of different windows are linked: "scorer" = the clusterer's own story-pair probability
    # against any earlier window (as the stream compares an article with every story; the scorer's time
    # penalty decides), "cosine" = embedding centroids only (link_threshold, link_span)
    link: str = "scorer"
    link_threshold: float = 0.9  # link="cosine" only: centroid cosine above which pieces join
    link_span: int = 2  # link="cosine" only: how many windows back a piece may link to
    # seed each window's clusterer with the document frequencies of the earlier windows (a distributed count)
    window_df: bool = True
    max_cc_iterations: int = 60  # connected components: label propagation rounds at most
    max_bucket: int = 2000  # an LSH bucket with more members is paired as a chain, not all pairs
    partition_articles: int = 10_000  # shuffles get at least articles / this many partitions
    stories: bool = True  # run story clustering
