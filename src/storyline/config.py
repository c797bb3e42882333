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
    max_bytes: int = 20_000_000  # a single input, record or decompressed member larger than this is rejected
    # files read from folders (besides these, every extension a registered reader declares)
    extensions: tuple[str, ...] = (
        ".txt",
        ".text",
        ".html",
        ".htm",
        ".xhtml",
        ".jsonl",
        ".ndjson",
        ".md",
        ".json",
        ".warc",
        ".csv",
        ".tsv",
        ".parquet",
        ".gz",
        ".zip",
    )
    # field -> column (CSV, Parquet) or key (JSON) of the input, for the fields text, html, title, date, url,
    # outlet, author, language; a field not named here is read from a column of its own name (--map on the CLI)
    columns: dict[str, str] = field(default_factory=dict)
    max_decompressed_bytes: int = 8_000_000_000  # reading one .gz or zip member stops past this many bytes
    batch_rows: int = 1024  # Parquet rows decoded at a time
    charset_error_share: float = 0.001  # a page whose declared charset fails on more of its bytes is rejected
    warc_verify_digests: bool = True  # a WARC record whose bytes do not match its WARC-Block-Digest is rejected
    workers: int = 0  # cleaning processes: 0 = one per CPU (at most 4), 1 = clean in the calling process
    parallel_min_docs: int = 64  # a chunk smaller than this is cleaned in the calling process (else by the workers,
    # which also compute the later stages' per-article parts while the calling process places the chunk before)


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
    bp_learnt: bool = (
        False  # final call by the learnt line model (data/clean_lines.json): same held-out F1, ~40% slower
    )
    bp_learnt_threshold: float = 0.5


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
    # a semantic candidate is compared if the MinHash estimate of its 5-word-shingle Jaccard with the
    # new article reaches semantic_min_jaccard (0.03 = 4 of 128 values; every rewrite, near-duplicate
    # and partial copy of the eval's tuning half is above it, while half of the independent same-event
    # reports are below), or if its similarity is at least semantic_sure_similarity (a reworded copy
    # sharing no 5-word run at all, e.g. a translation)
    semantic_min_jaccard: float = 0.03
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
    edited_min_bigram_jaccard: float = (
        0.7  # aligned pair sharing this share of word bigrams is "edited" (else "paraphrase")
    )
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
    # Thresholds on the scorer's probability; None = the value learnt with the weights
    # (storyline/data/cluster_weights.json, per embedding model).
    story_threshold: float | None = None
    event_threshold: float | None = None  # finer grain inside a story
    merge_threshold: float | None = None  # an article this close to a second story ties the two together
    time_decay_days: float = 14.0  # time penalty: time_weight * log(1 + gap / time_decay_days) on the logit
    # Timeline17's tuning topics prefer 0.5 (eval/cluster.py --data eval/data/t17 --tune-time: +0.02 pair F1 there and
    # held out), but then the Spark windowed run agrees less with the single machine (ARI 0.987 -> 0.928,
    # tests/test_spark.py), so 1.0 stays the default
    time_weight: float = 1.0
    event_window_days: float = 2.0  # an article dated further than this from an event cannot join it
    event_candidates: int = 12  # an article is compared with the story's most recent events only
    weights: dict[str, float] = field(
        default_factory=dict
    )  # overrides of the learnt scorer weights, saved with the store
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
    # across languages (cluster/crosslingual.py): an article joins the story of the article in another language
    # that it most resembles by the multilingual USE v3 embedding of its headline and lead, when the cosine is at
    # least cross_language_threshold and the two were published within cross_language_days of each other
    cross_language: bool = True
    cross_language_threshold: float = 0.6
    cross_language_days: float = 3.0
    cross_language_candidates: int = 200  # articles in other languages compared, nearest in time first
    cross_language_min_score: float = 0.8  # a language detected with a lower probability is placed as English


@dataclass
class AnalysisConfig:
    summary_words: int = 100
    consensus_share: float = 0.5  # a claim reported by at least this share of outlets is consensus
    # timeline (analysis1)
    timeline_merge_similarity: float = 0.5  # content-word overlap (of the smaller bag) to merge same-date entries
    # a dated article's undated lead is a kind="report" entry on its publication date (never an event date)
    timeline_publication_leads: bool = True
    timeline_min_words: int = 4  # fewer words besides the date: a dateline, not an event
    # ranked timeline (timeline/rank.py): N dates, K sentences each; date importance =
    # sources naming the date + later_weight * those published after it + sentence_weight * sentences naming
    # it + published_weight * sources published that day + next_day_weight * those published the day after
    timeline_dates: int = 10
    timeline_sentences: int = 1
    timeline_later_weight: float = 1.0
    timeline_sentence_weight: float = 0.0  # per sentence naming the date (beyond the sources naming it)
    timeline_published_weight: float = 0.5
    timeline_next_day_weight: float = 0.5
    timeline_report_sentences: int = 5  # first sentences (naming no date) of a report that may tell its day's event
    timeline_min_sentence_words: int = 6
    timeline_max_sentence_words: int = 60
    timeline_redundancy: float = 0.7  # TF-IDF cosine above which a sentence repeats one already chosen

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
    # drop attribution tails (", officials said on Tuesday."), weekdays and wire tags from extracted sentences
    summary_compress: bool = False
    # concept weight *= 1 + lead_weight * (share of its sources that use it in their first lead_sentences sentences)
    summary_lead_weight: float = 0.0
    summary_lead_sentences: int = 3
    # concept weights from a model learnt on DUC 2004's tuning half (storyline/data/summary_concepts.json: source
    # share, lead share, first position, ...) instead of the number of sources
    summary_learnt_concepts: bool = False


@dataclass
class FollowConfig:
    """``storyline follow``: polling feeds and sitemaps and fetching their pages (storyline.follow)."""

    interval_s: float = 600.0  # between polls
    max_pages: int = 100  # new pages fetched per poll (the rest wait for the next one)
    timeout_s: float = 20.0  # connect / read timeout of one request
    max_page_bytes: int = 5_000_000  # a page larger than this is rejected (reading stops at the cap)
    max_feed_bytes: int = 20_000_000  # the same for a feed or sitemap (also once unpacked from .gz)
    max_redirects: int = 5
    max_sitemaps: int = 50  # child sitemaps of sitemap indexes read per poll
    host_delay_s: float = 1.0  # at least this long between two requests to one host
    retries: int = 3  # tries after the first on a timeout, connection error, 429 or 5xx
    backoff_s: float = 2.0  # first wait before a retry; doubled each time (unless Retry-After says otherwise)
    max_backoff_s: float = 120.0  # no wait is longer (also caps Retry-After)
    retry_polls: int = 3  # a page failing with a passing error (after its retries) is tried on this many polls
    batch_pages: int = 16  # fetched pages go through the pipeline (and are remembered) this many at a time
    user_agent: str = "Storyline/0.1 (news story tracker; feed follower)"


@dataclass
class Config:
    ingest: IngestConfig = field(default_factory=IngestConfig)
    clean: CleanConfig = field(default_factory=CleanConfig)
    embed: EmbedConfig = field(default_factory=EmbedConfig)
    reuse: ReuseConfig = field(default_factory=ReuseConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    follow: FollowConfig = field(default_factory=FollowConfig)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Config:
        return cls.from_dict(json.loads(text))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Config:
        """Settings from a dict of sections; an unknown section or key is an error naming it (with the
        nearest known name), never silently dropped. Missing keys take their defaults."""
        if not isinstance(data, dict):
            raise ConfigError(f"settings must be an object of sections, not {type(data).__name__}")
        sections: dict[str, Any] = {f.name: f.default_factory for f in dataclasses.fields(cls)}
        for name in data:
            if name not in sections:
                raise ConfigError(f"unknown settings section {name!r}{_did_you_mean(name, sections)}")
        kwargs = {}
        for name, section_cls in sections.items():
            section = data.get(name) or {}
            if not isinstance(section, dict):
                raise ConfigError(f"settings section {name!r} must be an object, not {type(section).__name__}")
            known = {sf.name for sf in dataclasses.fields(section_cls)}
            for key in section:
                if key not in known:
                    raise ConfigError(f"unknown setting {name}.{key}{_did_you_mean(key, known)}")
            values = {k: (tuple(v) if isinstance(v, list) and k == "extensions" else v) for k, v in section.items()}
            kwargs[name] = section_cls(**values)
        return cls(**kwargs)


class ConfigError(ValueError):
    """Settings that cannot be used: an unknown section or key, or a value of the wrong shape."""


def _did_you_mean(name: str, known: Any) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
