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
    story_threshold: float = 0.35
    event_threshold: float = 0.55
    time_decay_days: float = 14.0
    weights: dict[str, float] = field(default_factory=dict)  # learnt scorer weights, saved with the store


@dataclass
class AnalysisConfig:
    summary_words: int = 100
    consensus_share: float = 0.5  # a claim reported by at least this share of outlets is consensus
    # -- claims (compare.py): combined similarity = w * cos(story-centred embeddings) + (1-w) * idf lexical cosine
    claim_min_words: int = 6  # shorter sentences are not compared as claims
    claim_embed_weight: float = 0.5
    claim_centre: float = 0.5  # share of the story's mean embedding removed before comparing
    claim_bigram_weight: float = 1.0
    claim_name_weight: float = 0.5  # weight of capitalised (name) words in the lexical similarity
    claim_threshold: float = 0.35  # mutual best matches at least this similar are the same claim
    claim_link_threshold: float = 0.3  # average similarity two merged groups must keep
    claim_strong: float = 0.85  # two claims of one article may share a group only when this similar
    claim_neighbours: int = 30
    claim_max_compare: int = 8  # differences are looked for among this many distinct texts of a group
    # -- summary (summarize.py)
    summary_min_words: int = 8  # shorter sentences are not extracted
    summary_max_words: int = 60
    summary_skip_quotes: bool = False  # do not extract sentences holding a direct quote
    summary_min_df: int = 0  # concepts (bigrams) need this many sources; 0 = adaptive to the story size
    summary_df_share: float = 0.3  # adaptive min_df = max(2, round(share * sources)), at most 3
    summary_unigram_weight: float = 0.0  # content words as concepts too, at this weight (bigrams: 1)
    summary_df_power: float = 1.0  # concept weight = (number of sources) ** power
    summary_position_weight: float = 1.0
    summary_position_power: float = 0.5  # position prior = (sentence index + 1) ** -power
    summary_centroid_weight: float = 0.5
    summary_support_threshold: float = 0.4  # a sentence of another article this similar supports (cites) it
    summary_redundancy: float = 0.4  # two sentences this similar (claim similarity) are not both extracted
    summary_max_candidates: int = 300  # sentences given to the ILP (the best by a greedy score)


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
