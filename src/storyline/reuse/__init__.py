"""Copies and rewrites: near-duplicates and passage-level provenance (who copied whom).

Three parts, all pure except :class:`ReuseStage` (which the pipeline hands the store):

- **Signatures** (:meth:`ReuseDetector.signature`, :meth:`ReuseDetector.band_keys`): a datasketch
  MinHash over word 5-shingles of the cleaned body (shingles hashed with a stable vectorised
  rolling hash, then datasketch's own permutations and min-reduction), cut into LSH bands whose
  keys the store indexes. Updated per article, never rebuilt.
- **Alignment** (:meth:`ReuseDetector.compare`): every sentence pair of the two articles gets a
  paraphrase probability from a logistic regression over lexical features (word / content-word /
  bigram overlap, length ratio, agreement of numbers and names) and the embedding cosine. The
  weights were learnt offline on MRPC (``eval/reuse.py --write-weights``) and ship in
  ``storyline/data/reuse_weights.json``. Pairs are matched one-to-one, best first; each aligned pair
  is *identical*, *edited* or *paraphrase*. Coverage both ways, the share in the same order and the
  kinds give the relation: exact-duplicate, near-duplicate, rewrite, partial-reuse or independent.
- **Direction**: dates, then citation cues naming the other article's outlet ("TASS reported",
  "according to The Washington Post"), then ingest order; the edge says which rule decided and
  how sure it is.

:class:`ReuseStage` finds candidates for each new article through two routes (LSH band buckets in
the store; nearest article embeddings in a usearch index, built once per process from the store and
then updated per article), compares, stores the non-independent edges and fills
``results[id].copies_of``.

The files: ``tokens.py`` (word tokens, the shared hash multiplier), ``sketch.py`` (MinHash signatures, LSH
band and sentence keys), ``profile.py`` (per-sentence hash sets of an article and their intersections),
``paraphrase.py`` (sentence-pair features and the shipped weights), ``align.py`` (sentence alignment),
``relation.py`` (the relation from an alignment), ``direction.py`` (who was first), ``detector.py``
(:class:`ReuseDetector`, composing them), ``vectors.py`` (the usearch index of the semantic route),
``stage.py`` (:class:`ReuseStage`), ``graph.py`` (duplicate groups, an article's edges). Every name this
module had is importable from here.
"""

from __future__ import annotations

from .detector import PreparedReuse, ReuseDetector  # noqa: F401 (re-exported)
from .direction import citation_strength, cites, decide_direction  # noqa: F401 (re-exported)
from .graph import duplicate_groups, duplicates, edges_of
from .paraphrase import FEATURES, LEXICAL_FEATURES, add_embedding_features, apply_weights, load_weights, pair_features  # noqa: F401 (re-exported)
from .profile import Profile  # noqa: F401 (re-exported)
from .sketch import fmix32  # noqa: F401 (re-exported)
from .stage import ReuseStage

__all__ = [
    "ReuseDetector",
    "ReuseStage",
    "duplicate_groups",
    "pair_features",
    "FEATURES",
    "load_weights",
    "edges_of",
    "duplicates",
]
