"""Storyline: turn a stream of news articles from many outlets into stories.

Python API::

    import storyline
    with storyline.open_store("news.db") as store:
        report = storyline.Pipeline(store).ingest_paths(["examples/seeds"])
        for article in store.iter_articles():
            print(article.id, article.outlet, article.title)
"""

from .config import Config
from .model import (
    AlignedPassage,
    Article,
    Citation,
    ClaimGroup,
    Event,
    Quote,
    RawDocument,
    Rejection,
    RemovedLine,
    ReuseEdge,
    Sentence,
    Story,
    StoryAnalysis,
    SummarySentence,
    TimelineEntry,
)
from .pipeline import IngestReport, Pipeline
from .store import SQLiteStore, Store, open_store

__version__ = "0.1.0"

__all__ = [
    "AlignedPassage",
    "Article",
    "Citation",
    "ClaimGroup",
    "Config",
    "Event",
    "IngestReport",
    "Pipeline",
    "Quote",
    "RawDocument",
    "Rejection",
    "RemovedLine",
    "ReuseEdge",
    "SQLiteStore",
    "Sentence",
    "Store",
    "Story",
    "StoryAnalysis",
    "SummarySentence",
    "TimelineEntry",
    "open_store",
    "__version__",
]
