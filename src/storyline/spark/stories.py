"""Stories per time window on Spark: each article's window and the clusterer's document frequencies per
window (one distributed pass), then one partition per window (largest first), one online StoryClusterer
each, seeded with the earlier windows' document frequencies. The per-window functions (window_of,
article_df, prior_for, cluster_window) also run without Spark (bench/spark_windows.py)."""

from __future__ import annotations

import base64
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import numpy as np

from ..cluster.crosslingual import ArticlePool, CrossLingualLinker, join_links, plan_links
from ..config import Config
from ..model import Article, Event, Story, to_dict
from .options import SparkOptions
from .rows import ARTICLE_COLS, _rows_batch, row_article


def default_clusterer(config: Config | str) -> Any:
    """The single-machine online clusterer (storyline.cluster.StoryClusterer) with the shared embedder."""
    from ..cluster import StoryClusterer
    from ..embed import get_embedder

    cfg = Config.from_json(config) if isinstance(config, str) else config
    return StoryClusterer(cfg.cluster, get_embedder(cfg.embed))


def day_of(published: str) -> float:
    """Days since 1970 of an ISO date."""
    dt = datetime.fromisoformat(published)
    return (dt - datetime(1970, 1, 1, tzinfo=dt.tzinfo)).total_seconds() / 86400.0


def window_of(published: str | None, window_days: float) -> int:
    """Window number of a date (days since 1970 // window_days); -1 for undated articles."""
    if not published:
        return -1
    return int(math.floor(day_of(published) / window_days))


DF = tuple[np.ndarray, np.ndarray, int]  # sparse document frequencies: (term/entity ids, counts, documents)


def article_df(articles: Iterable[Article], config: Config) -> DF:
    """Document frequencies of the clusterer's hashed terms and entities over ``articles`` (copies excluded
    by the caller), counted exactly as the online clusterer counts them. -> (ids, counts, n_docs)."""
    from ..cluster import StoryClusterer

    c = StoryClusterer(config.cluster, None)
    c.count_documents(articles)
    v = c.vocab
    ids = np.flatnonzero(v.df).astype(np.int32)
    return ids, v.df[ids].astype(np.int64), int(v.n_docs)


def sum_df(parts: Iterable[DF | None]) -> DF | None:
    """Sum of sparse document-frequency counts (as :func:`article_df` returns them)."""
    present = [p for p in parts if p is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    ids = np.concatenate([p[0] for p in present]).astype(np.int64)
    cnt = np.concatenate([p[1] for p in present]).astype(np.int64)
    uniq, inv = np.unique(ids, return_inverse=True)
    return uniq.astype(np.int32), np.bincount(inv, weights=cnt).astype(np.int64), sum(p[2] for p in present)


def prior_for(per_window: dict[int, DF], window: int) -> DF | None:
    """The document frequencies of all windows before ``window`` (undated, -1: of all dated windows)."""
    return sum_df(per_window[w] for w in per_window if w >= 0 and (window < 0 or w < window))


def prior_frequencies(per_window: dict[int, DF]) -> dict[int, DF | None]:
    """Window -> :func:`prior_for` of every window."""
    return {w: prior_for(per_window, w) for w in per_window}


def _seed_df(clusterer: Any, seed: DF | None, sign: int) -> None:
    if seed is None:
        return
    ids, counts, n = seed
    v = clusterer.vocab
    if sign > 0:
        v.df[ids] += counts.astype(v.df.dtype)
        v.n_docs += n
    else:
        v.df[ids] -= counts.astype(v.df.dtype)
        v.n_docs -= n


def stream_order(articles: Iterable[Article], ords: dict[str, int]) -> list[Article]:
    """Date, then input order (undated last)."""
    return sorted(articles, key=lambda a: (a.published is None, a.published or datetime.min, ords.get(a.id, 0), a.id))


def cluster_window(
    window: int,
    articles: list[Article],
    ords: dict[str, int],
    copies: dict[str, str],
    config: Config,
    prior_df: DF | None = None,
) -> tuple[list[tuple[str, str | None, str]], list[Story], bytes]:
    """Run one online clusterer (``StoryClusterer``) over one window's articles in stream order.

    -> (assignments (piece_id, event_id, article_id), story pieces, the clusterer's state). Piece and
    event ids are prefixed with the window (``w{window}-``) so that they are unique over the whole run.
    ``prior_df``: document frequencies of the articles before this window (:func:`prior_for`), so that
    the window's TF-IDF statistics are the ones the stream has when it reaches the window; they are taken
    out again before the state (story sums + the window's own document frequencies) is returned, for
    :func:`link_pieces`.
    """
    clusterer = default_clusterer(config)
    _seed_df(clusterer, prior_df, +1)
    articles = stream_order(articles, ords)
    ids = {a.id for a in articles}
    copies = {c: o for c, o in copies.items() if c in ids and o in ids}
    linker = CrossLingualLinker(config.cluster) if config.cluster.cross_language else None
    links, alone = plan_links(linker, articles, ArticlePool(articles), copies)  # across languages, in the window
    join_links(clusterer, clusterer.partial_fit(articles, copies, alone=alone), links)
    prefix = f"w{window}-"
    rows: list[tuple[str, str | None, str]] = []
    pieces: list[Story] = []
    for s in clusterer.stories():
        if s.merged_into or not s.article_ids:
            continue
        sid = prefix + s.id
        ev_of = {}
        events = []
        for ev in s.events:
            eid = prefix + ev.id
            events.append(
                Event(
                    id=eid,
                    story_id=sid,
                    article_ids=list(ev.article_ids),
                    title=ev.title,
                    start=ev.start,
                    end=ev.end,
                    entities=list(ev.entities),
                )
            )
            for aid in ev.article_ids:
                ev_of[aid] = eid
        pieces.append(
            Story(
                id=sid,
                article_ids=list(s.article_ids),
                events=events,
                title=s.title,
                entities=list(s.entities),
                outlets=list(s.outlets),
                first_date=s.first_date,
                last_date=s.last_date,
            )
        )
        rows += [(sid, ev_of.get(aid), aid) for aid in s.article_ids]
    _seed_df(clusterer, prior_df, -1)  # the state keeps the window's own counts
    return rows, pieces, clusterer.to_bytes()


def window_partitions(sizes: dict[int, int]) -> dict[int, int]:
    """Window -> partition: one partition per window, the largest first (Spark starts the tasks in
    partition order, so the longest ones do not come last: longest-processing-time-first scheduling)."""
    return {w: i for i, w in enumerate(sorted(sizes, key=lambda w: (-sizes[w], w)))}


def hash_keys(spark, n: int) -> list[int]:
    """For each partition index i < n, a long whose Spark hash lands in partition i of an ``n``-way hash
    partitioning (``pmod(hash(key), n)``, what ``repartition(n, col)`` computes): a column of these keys
    puts each group of rows in the partition of our choice."""
    from pyspark.sql import functions as F

    keys: dict[int, int] = {}
    lo, size = 0, 64 * n + 64
    while len(keys) < n:
        for r in (
            spark.range(lo, lo + size)
            .select("id", F.expr(f"pmod(hash(id), {n})").alias("p"))
            .groupBy("p")
            .agg(F.min("id").alias("k"))
            .collect()
        ):
            keys.setdefault(int(r.p), int(r.k))
        lo += size
    return [keys[i] for i in range(n)]


def stories_per_window(articles_df, copies_df, config: Config, options: SparkOptions):
    """Partition the articles by time window (a shuffle, one partition per window, largest first) and run
    one clusterer per window, windows in parallel on the executors.

    First one pass over the articles gives each one's window and a distributed count of the clusterer's
    document frequencies per window (copies not counted, as in the stream); the per-window counts (sparse)
    are broadcast and each window's task sums the earlier windows' into its prior. Rows cross between the
    JVM and Python as Arrow batches. -> (DataFrame (kind, window, piece_id, event_id, article_id, payload):
    kind "a" = one article's assignment, "s" = one story piece (payload = the Story as JSON), "w" = the
    window clusterer's state (base64); the persisted tag table, to unpersist when done).
    """
    from pyspark import StorageLevel
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    spark = SparkSession.builder.getOrCreate()
    sc = spark.sparkContext
    window_days = options.window_days
    with_df = options.window_df
    config_json = config.to_json()
    df = articles_df.select(*ARTICLE_COLS).join(
        copies_df.select(F.col("id"), F.col("original").alias("copy_of")), "id", "left"
    )

    def tag(batches: Iterable[Any]) -> Iterator[Any]:
        """Each article's window (kind "t"); at the end, per window in this partition, its size and
        document frequencies (kind "d")."""
        import pyarrow as pa

        cfg = Config.from_json(config_json)
        acc: dict[int, DF | None] = {}  # window -> document frequencies so far (one batch of articles in memory)
        sizes: Counter = Counter()
        names = ["kind", "id", "window", "ids", "counts", "n", "size"]
        for batch in batches:
            rows = batch.to_pylist()
            wins = [window_of(r["published"], window_days) for r in rows]
            by_w: dict[int, list[Article]] = defaultdict(list)
            for r, w in zip(rows, wins, strict=True):
                sizes[w] += 1
                if with_df and not r["copy_of"]:
                    by_w[w].append(row_article(r))
            for w, items in by_w.items():
                acc[w] = sum_df([acc.get(w), article_df(items, cfg)])
            k = len(rows)
            yield pa.RecordBatch.from_arrays(
                [
                    pa.array(["t"] * k),
                    pa.array([r["id"] for r in rows]),
                    pa.array(wins, pa.int64()),
                    pa.nulls(k, pa.binary()),
                    pa.nulls(k, pa.binary()),
                    pa.nulls(k, pa.int64()),
                    pa.nulls(k, pa.int64()),
                ],
                names=names,
            )
        ws = sorted(sizes)
        dfs = [acc.get(w) for w in ws]
        yield pa.RecordBatch.from_arrays(
            [
                pa.array(["d"] * len(ws)),
                pa.nulls(len(ws), pa.string()),
                pa.array(ws, pa.int64()),
                pa.array([d[0].astype(np.int32).tobytes() if d else None for d in dfs], pa.binary()),
                pa.array([d[1].astype(np.int64).tobytes() if d else None for d in dfs], pa.binary()),
                pa.array([d[2] if d else 0 for d in dfs], pa.int64()),
                pa.array([sizes[w] for w in ws], pa.int64()),
            ],
            names=names,
        )

    tag_schema = "kind string, id string, window long, ids binary, counts binary, n long, size long"
    tags = df.mapInArrow(tag, tag_schema).persist(StorageLevel.MEMORY_AND_DISK)

    def parse(r: Any) -> tuple[int, tuple[DF | None, int]]:
        d = (np.frombuffer(r.ids, dtype=np.int32), np.frombuffer(r.counts, dtype=np.int64), int(r.n)) if r.ids else None
        return int(r.window), (d, int(r.size))

    def add(x: tuple[Any, int], y: tuple[Any, int]) -> tuple[Any, int]:
        return sum_df([x[0], y[0]]), x[1] + y[1]

    counted = dict(
        tags.where("kind = 'd'")
        .select("window", "ids", "counts", "n", "size")
        .rdd.map(parse)
        .reduceByKey(add)
        .collect()
    )
    per_window = {w: d for w, (d, _) in counted.items() if d is not None}
    sizes = {w: n for w, (_, n) in counted.items()}
    part_of = window_partitions(sizes)
    n_parts = max(1, len(part_of))
    keys = hash_keys(spark, n_parts)
    b_df = sc.broadcast(per_window)
    pkeys = spark.createDataFrame([(w, keys[i]) for w, i in part_of.items()], "window long, pkey long")
    placed = (
        df.join(tags.where("kind = 't'").select("id", "window"), "id")
        .join(F.broadcast(pkeys), "window")
        .repartition(n_parts, "pkey")
        .drop("pkey")
    )

    def run(batches: Iterable[Any]) -> Iterator[Any]:
        import pyarrow as pa

        cfg = Config.from_json(config_json)
        arts, ords, copies = [], {}, {}
        window = None
        for batch in batches:
            for r in batch.to_pylist():
                window = r["window"]
                a = row_article(r)
                arts.append(a)
                ords[a.id] = r["ord"] or 0
                if r["copy_of"]:
                    copies[a.id] = r["copy_of"]
        if window is None:
            return
        prior = prior_for(b_df.value, window) if with_df else None
        assigned, pieces, state = cluster_window(window, arts, ords, copies, cfg, prior)
        out: list[tuple[str, int, str | None, str | None, str | None, str | None]] = [
            ("a", window, p, e, a, None) for p, e, a in assigned
        ]
        out += [("s", window, s.id, None, None, json.dumps(to_dict(s), ensure_ascii=False)) for s in pieces]
        out.append(("w", window, None, None, None, base64.b64encode(state).decode("ascii")))
        yield _rows_batch(
            out,
            ["kind", "window", "piece_id", "event_id", "article_id", "payload"],
            [pa.string(), pa.int64(), pa.string(), pa.string(), pa.string(), pa.string()],
        )

    schema = T.StructType(
        [
            T.StructField(n, t)
            for n, t in (
                ("kind", T.StringType()),
                ("window", T.LongType()),
                ("piece_id", T.StringType()),
                ("event_id", T.StringType()),
                ("article_id", T.StringType()),
                ("payload", T.StringType()),
            )
        ]
    )
    return placed.mapInArrow(run, schema), tags
