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
    lsh_threshold: float = 0.4  # bands for whole-article near-copies; partial copies come via sentence keys
    semantic: bool = True  # second, embedding-based candidate route
    semantic_top_k: int = 10
    semantic_min_similarity: float = 0.6  # cosine of centred article vectors (candidates then pass the MinHash gate)
    # a semantic candidate is compared if its MinHash shares a value with the new article's, or if
    # its similarity is at least this (a reworded copy sharing no 5-word run at all)
    semantic_sure_similarity: float = 0.95
    embedding_kind: str = "reuse"  # store embedding space of the (centred) article vectors
    persist_index: bool = True  # keep the vector index in a file beside the store (else rebuilt per process)
    sentence_keys: int = 64  # fingerprints of up to N long sentences join the LSH keys (verbatim passages)
    sentence_key_min_words: int = 8
    max_candidates: int = 20  # compared per new article (LSH ones first, then the nearest by embedding)
    max_tokens: int = 20_000  # caps for huge inputs: shingles from the first N words...
    max_sentences: int = 400  # ...and alignment over the first N sentences
    # sentence matching (the paraphrase model's weights ship in storyline/data/reuse_weights.json;
    # a non-empty dict here overrides them)
    weights: dict = field(default_factory=dict)
    match_threshold: float = 0.75  # min. paraphrase probability for two sentences to be aligned
    edited_min_bigram_jaccard: float = 0.7  # aligned pair sharing this share of word bigrams is "edited" (else "paraphrase")
    # article relations from the alignment
    fill_threshold: float = 0.45  # weaker pairs aligned too when they keep the order between aligned ones
    exact_min_coverage: float = 1.0  # all sentences identical both ways (or the same words)
    near_min_coverage: float = 0.8  # coverage of the more covered article
    near_min_other_coverage: float = 0.4  # coverage of the other one (truncated copies)
    near_min_lexical_share: float = 0.7  # share of aligned pairs that are identical/edited
    rewrite_min_coverage: float = 0.6
    rewrite_min_other_coverage: float = 0.4
    rewrite_min_order: float = 0.7  # share of aligned pairs in the longest same-order chain
    partial_min_lexical: int = 2  # aligned identical/edited sentences (>= 6 words) for partial reuse...
    partial_min_paraphrase: int = 3  # ...or this many paraphrased ones with probability >= partial_paraphrase_prob
    partial_paraphrase_prob: float = 0.9
    partial_min_identical_words: int = 20  # or one identical sentence at least this long


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
