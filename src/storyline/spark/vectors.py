"""Article embeddings on Spark (for ``--link cosine``): per partition, one model per executor process."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import Any

import numpy as np

from ..config import Config
from ..model import Article
from .rows import row_article


def embed_text(a: Article) -> str:
    """What an article's vector is computed from (title + the first paragraphs)."""
    body = a.text[:2000]
    return f"{a.title}\n{body}" if a.title else body


def embeddings(articles_df, config: Config):
    """(id, vector array<float>) per partition; the model is loaded once per executor process
    (``storyline.embed.get_embedder`` keeps it in a module-level cache of the Python worker)."""
    from pyspark.sql import SparkSession
    from pyspark.sql import types as T

    spark = SparkSession.builder.getOrCreate()
    embed_json = json.dumps(asdict(config.embed))

    def enc(rows: Iterable[Any]) -> Iterator[tuple[str, list[float]]]:
        from ..config import EmbedConfig
        from ..embed import get_embedder

        embedder = get_embedder(EmbedConfig(**json.loads(embed_json)))
        batch: list[Any] = []

        def flush():
            vecs = embedder.encode([embed_text(row_article(r)) for r in batch])
            for r, v in zip(batch, vecs, strict=True):
                yield r.id, v.astype(np.float32).tolist()

        for r in rows:
            batch.append(r)
            if len(batch) >= 512:
                yield from flush()
                batch = []
        if batch:
            yield from flush()

    schema = T.StructType(
        [T.StructField("id", T.StringType(), False), T.StructField("vector", T.ArrayType(T.FloatType()))]
    )
    return spark.createDataFrame(articles_df.rdd.mapPartitions(enc), schema, verifySchema=False)
