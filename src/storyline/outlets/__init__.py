"""Who copies whom: outlets as sources and copiers, stories by outlet, and outlet groups' blind spots.

    graph = outlet_graph(store)                   # cached per store revision, updated incrementally
    graph.pairs[("TASS", "Tasnim")]               # PairStats: copies, rewrites, partial, share, lags (hours), ...
    graph.outlet("TASS")                          # OutletStats: original share, top sources / copiers, firsts, delay
    story_coverage(store, story_id)               # first report, copy chains, join order, articles per outlet per day
    load_groups(store, csv_text)                  # outlet -> group(s) per CSV column, kept in the store
    blind_spots(store) / story_blind_spots(store, story_id)
    to_csv(graph) / to_json(graph) / to_graphml(graph)

See docs/outlets.md.
"""

from __future__ import annotations

from .common import ArticleMeta, OutletConfig, StoryRecord, outlet_key, quantile
from .coverage import (
    ArticleRef,
    CopyChain,
    OutletJoin,
    StoryCoverage,
    coverage_of,
    story_coverage,
)
from .export import to_csv, to_graphml, to_json
from .graph import (
    OutletAggregator,
    OutletGraph,
    OutletStats,
    PairStats,
    build_outlet_graph,
    outlet_graph,
)
from .groups import (
    GROUPS_STATE,
    ClaimCarriers,
    GroupCoverage,
    GroupsError,
    OutletGroups,
    StoryBlindSpots,
    blind_spots,
    claim_carriers,
    group_coverage,
    load_groups,
    parse_groups,
    saved_groups,
    story_blind_spots,
)

__all__ = [
    "GROUPS_STATE",
    "ArticleMeta",
    "ArticleRef",
    "ClaimCarriers",
    "CopyChain",
    "GroupCoverage",
    "GroupsError",
    "OutletAggregator",
    "OutletConfig",
    "OutletGraph",
    "OutletGroups",
    "OutletJoin",
    "OutletStats",
    "PairStats",
    "StoryBlindSpots",
    "StoryCoverage",
    "StoryRecord",
    "blind_spots",
    "build_outlet_graph",
    "claim_carriers",
    "coverage_of",
    "group_coverage",
    "load_groups",
    "outlet_graph",
    "outlet_key",
    "parse_groups",
    "quantile",
    "saved_groups",
    "story_blind_spots",
    "story_coverage",
    "to_csv",
    "to_graphml",
    "to_json",
]
