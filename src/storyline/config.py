"""One typed settings object, with defaults, saved with the store.

Each stage reads only its own section. A store remembers the settings that
built it (``Store.load_config``), so it is always read back with them.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class IngestConfig:
    max_bytes: int = 20_000_000  # a single input larger than this is rejected (not read whole)
    extensions: tuple[str, ...] = (".txt", ".text", ".html", ".htm", ".xhtml", ".jsonl", ".ndjson", ".md")
    workers: int = 0  # cleaning processes: 0 = one per CPU (at most 4), 1 = clean in the calling process
    parallel_min_docs: int = 64  # a chunk smaller than this is cleaned in the calling process
    main_share: float = 0.75  # share of an even split that the calling process cleans itself (it also reads and stores)


@dataclass
class CleanConfig:
    min_body_words: int = 5  # fewer words left after cleaning -> rejected as empty
    learn_min_docs: int = 3  # a line seen in at least this many documents of the corpus is furniture...
    learn_max_words: int = 12  # ...if it is short (never learn long body sentences as furniture)
    language: str = "en"
    html_favor_precision: bool = True  # trafilatura's precise mode (better on the even half of aeb: 0.969 vs 0.957)
    # line classifier for whole-page text (storyline.boilerplate; tuned on half of the aeb pages)
    page_min_lines: int = 25  # apply it only to texts with at least this many non-empty lines...
    page_min_short_share: float = 0.4  # ...of which at least this share are short (a whole page, not an article)
    page_min_tiny_share: float = 0.3  # ...and has menus (this share of lines of 1-3 words)...
    page_min_furniture: int = 3  # ...or at least this many lines the furniture rules recognise
    page_header_lines: int = 6  # lines just above a page's main text searched for title, date and byline
    bp_long_words: int = 25
    bp_good_words: int = 15
    bp_near_words: int = 5
    bp_stop_low: float = 0.2
    bp_stop_high: float = 0.3
    bp_max_short_run: int = 3
    bp_score_cap: int = 60
    bp_bad_penalty: float = 2.0
    bp_lone_factor: float = 0.3
    bp_headline_penalty: float = 1.0
    bp_max_gap: int = 15
    bp_far_share: float = 0.6  # a block further away is kept only when nearly as strong as the main one
    bp_extra_min: float = 40.0
    bp_extra_share: float = 0.3


@dataclass
class EmbedConfig:
    # "static": model2vec distilled from the local MiniLM (fast); "minilm": the transformer itself.
    backend: str = "static"
    device: str = "cpu"
    batch_size: int = 64
    static_pca_dims: int = 256


@dataclass
class ReuseConfig:
    num_perm: int = 128
    shingle_size: int = 5
    lsh_threshold: float = 0.3
    semantic: bool = True  # second, embedding-based candidate route
    semantic_top_k: int = 10
    semantic_min_similarity: float = 0.6


@dataclass
class ClusterConfig:
    story_threshold: float = 0.35
    event_threshold: float = 0.55
    time_decay_days: float = 14.0
    weights: dict[str, float] = field(default_factory=dict)  # learnt scorer weights, saved with the store


@dataclass
class AnalysisConfig:
    summary_words: int = 100
    consensus_share: float = 0.5  # a claim reported by at least this share of outlets is consensus


@dataclass
class Config:
    ingest: IngestConfig = field(default_factory=IngestConfig)
    clean: CleanConfig = field(default_factory=CleanConfig)
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    reuse: ReuseConfig = field(default_factory=ReuseConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Config":
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        kwargs = {}
        for f in dataclasses.fields(cls):
            section_cls = f.default_factory  # type: ignore[misc]
            section = data.get(f.name) or {}
            known = {sf.name for sf in dataclasses.fields(section_cls)}
            values = {k: (tuple(v) if isinstance(v, list) and k == "extensions" else v) for k, v in section.items() if k in known}
            kwargs[f.name] = section_cls(**values)
        return cls(**kwargs)
