"""Where a story's analysis comes from: computed by the analysis stage (:func:`default_analysis`) or only read
from the store (:func:`stored_analysis`)."""

from __future__ import annotations

from collections.abc import Callable

from ..config import Config
from ..model import StoryAnalysis
from ..store import Store

AnalysisProvider = Callable[[Store, str, Config], StoryAnalysis | None]


def default_analysis(store: Store, story_id: str, config: Config) -> StoryAnalysis | None:
    """The story's analysis from the analysis stage (cached in the store, recomputed when the story changed)."""
    from ..analyze import analysis_for  # imported on first use: it loads the embedding and spaCy models

    return analysis_for(store, story_id, config)


def stored_analysis(store: Store, story_id: str, config: Config) -> StoryAnalysis | None:
    """Only what the store holds (never computes): for tests and read-only deployments."""
    cached = store.get_analysis(story_id)
    return cached[1] if cached else None
