"""Online clustering of the article stream into stories, and of each story into events.

Each arriving article is represented by several signals:

- TF-IDF over content words and over named entities (capitalised phrases), with document
  frequencies updated as articles arrive (the weights are applied at comparison time, so
  early articles are not stuck with the poor IDF of a young corpus);
- a sentence embedding of its headline and lead (static model2vec by default, MiniLM selectable);
- its date (a story quiet for weeks is a weaker candidate; an undated article is neutral).

A logistic scorer combines ``[tfidf cosine, entity cosine, embedding cosine]`` with weights
learnt on the tuning half of the DUC 2004 clusters (``eval/cluster.py --train``; shipped as
``storyline/data/cluster_weights.json``, one set per embedding model) and subtracts a time
penalty. The article joins the best candidate story if the score clears the threshold, else it
opens a new story. Candidate stories come from an index over story centroids (exact top-k on a
numpy matrix; usearch HNSW once the index is large) plus an inverted index over entities, so
adding an article never scans every story.

Inside a story the same step runs at a finer grain (tighter threshold, and a date gap larger
than a few days opens a new event), giving an ordered list of events.

Identity is deterministic: a story's id derives from its first article's id and stays as the
story grows; when an article ties two stories together they merge into the older one and the
merge (old -> new) is reported so the store can keep the alias. Copies (exact and near
duplicates found by the reuse stage) join their original's story and event without counting as
independent coverage (kept in ``article_ids``; left out of the centroid, the term statistics and
the outlet list).

:class:`StoryClusterer` is in-memory and store-free (the Spark job reuses it per window);
:class:`ClusterStage` is the pipeline stage that loads/saves it through a :class:`Store`.

The parts, one file each (this module only re-exports the names imported from ``storyline.cluster``):
``entities`` (named-entity candidates), ``features`` (what an article alone gives: embedded text, day,
:class:`DocFeatures`), ``vectors`` (sparse vectors, the hashed vocabulary, :class:`Group`), ``scorer`` (learnt
weights, thresholds, probabilities), ``index`` (candidate stories: centroids and entity postings), ``events``,
``labels``, ``merges`` (and combining clusterers), ``output`` (stories as model records), ``state`` (the state as
bytes: global part, deltas, story parts, in the container of ``arrays``), ``clusterer`` (:class:`StoryClusterer`, built from the parts above as
its bases) and ``stage`` (:class:`ClusterStage` and the store keys of the state).
"""

from __future__ import annotations

from .clusterer import Assignment, StoryClusterer
from .entities import extract_entities
from .features import DocFeatures, embed_text, featurize
from .scorer import FEATURES, default_weights
from .stage import (
    DELTA_KEY,
    DELTAS_KEY,
    GEN_KEY,
    STATE_KEY,
    STORY_KEY,
    ClusterStage,
    copies_from_edges,
    copies_from_results,
)
from .vectors import Group

__all__ = [
    "DELTAS_KEY",
    "DELTA_KEY",
    "FEATURES",
    "GEN_KEY",
    "STATE_KEY",
    "STORY_KEY",
    "Assignment",
    "ClusterStage",
    "DocFeatures",
    "Group",
    "StoryClusterer",
    "copies_from_edges",
    "copies_from_results",
    "default_weights",
    "embed_text",
    "extract_entities",
    "featurize",
]
