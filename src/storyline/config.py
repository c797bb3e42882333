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


@dataclass
class CleanConfig:
    min_body_words: int = 5  # fewer words left after cleaning -> rejected as empty
    learn_min_docs: int = 3  # a line seen in at least this many documents of the corpus is furniture...
    learn_max_words: int = 12  # ...if it is short (never learn long body sentences as furniture)
    language: str = "en"


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
    # Thresholds on the scorer's probability; None = the value learnt with the weights
    # (storyline/data/cluster_weights.json, per embedding model).
    story_threshold: float | None = None
    event_threshold: float | None = None  # finer grain inside a story
    merge_threshold: float | None = None  # an article this close to a second story ties the two together
    time_decay_days: float = 14.0  # time penalty: time_weight * log(1 + gap / time_decay_days) on the logit
    time_weight: float = 1.0
    event_window_days: float = 2.0  # an article dated further than this from an event cannot join it
    event_candidates: int = 12  # an article is compared with the story's most recent events only
    weights: dict[str, float] = field(default_factory=dict)  # overrides of the learnt scorer weights, saved with the store
    top_k: int = 10  # candidate stories from the centroid index
    posting_entities: int = 5  # the article's rarest entities used for candidates (inverted index)
    posting_per_entity: int = 5  # most recent stories taken per entity
    posting_cap: int = 64  # stories kept per entity posting list
    index_exact_max: int = 20_000  # exact numpy top-k up to this many stories, usearch HNSW beyond
    entity_chars: int = 3000  # entities are taken from the headline and the first this-many characters (the lead)
    hash_bits: int = 21  # terms and entities hashed into 2**hash_bits ids (fixed memory, no vocabulary)
    article_terms: int = 100  # sparse vector sizes (memory per story is bounded by these)
    article_entities: int = 30
    story_terms: int = 128
    story_entities: int = 48
    event_terms: int = 32
    event_entities: int = 16
    label_entities: int = 6


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
