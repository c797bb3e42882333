"""Extractive multi-document summary of a story, every sentence cited to all the articles that support it.

Selection is concept coverage (Gillick & Favre's ILP, as in ICSISumm) plus a per-sentence quality term:

    maximise  sum_c w_c * y_c  +  sum_s b_s * x_s
    s.t.      sum_s len_s * x_s <= budget,   y_c <= sum_{s contains c} x_s,   x_i + x_j <= 1 for near-duplicates

- concepts c: stemmed word bigrams (not both stopwords) found in at least ``min_df`` *sources*, with
  weight w_c = their number of sources. Copies of the same text (``copy_of``) and articles of the
  same outlet count as one source, so a wire story reprinted ten times does not outvote the rest.
- b_s: position prior (news leads carry the story) and closeness to the story's embedding centroid,
  scaled to the concept weights. Concepts are counted once, so redundancy costs coverage.

Solved exactly with HiGHS (scipy.optimize.milp) on the best ``summary_max_candidates`` sentences,
greedy fallback. Each chosen sentence is then cited to every article holding a sentence similar
above ``summary_support_threshold`` (its own article always); copies are marked (``copy_of``) and
count as one source. Sentences come out in story order (article date, then position).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from .compare import LexicalIndex, centred, resolve_copies, source_keys, stem
from .config import AnalysisConfig
from .model import Article, Citation, Sentence, SummarySentence
from .text import article_sentences, stopwords, words


@dataclass
class _Cand:
    sent: Sentence
    order: int  # article order in the story
    n_words: int
    concepts: set[str]
    text: str = ""  # what the summary says: the sentence, or its compression (summary_compress)


_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_WHEN = rf"(?:(?:on |last |early |late )?{_DAY}(?: (?:morning|afternoon|evening|night))?|today|yesterday|(?:on |last )?(?:this|last) week)"
# ", Foreign Minister Ana Lopez said on Tuesday." / ", officials said." at the end of a sentence
_TRAILING_SAID = re.compile(
    rf",\s+(?:(?:the|a|an|his|her|their|its)\s+)?(?:[\w.'’-]+\s+){{0,6}}?(?:said|says|reported|announced|added|told [\w.'’ -]{{1,40}}?)(?:\s+{_WHEN})?(?=[.]$)"
)
# "... said Tuesday that" / "... said on Monday." -> the weekday goes (the date is on the timeline, not in the summary)
_SAID_WHEN = re.compile(rf"\b(said|says|announced|reported|told \w+)\s+{_WHEN}\b")
_WHEN_MID = re.compile(rf"\s+on\s+{_DAY}(?: (?:morning|afternoon|evening|night))?(?=[\s,.;])")
_PAREN = re.compile(r"\s*\((?:AP|Reuters|AFP|UPI|[A-Z]{2,6})\)\s*|\s+\([^()]{1,60}\)(?=[\s,.;])")


def compress(text: str) -> str:
    """A shorter sentence that says the same: attribution tails (", officials said on Tuesday."), weekdays after a
    reporting verb or "on" ("said Monday", "on Friday"), wire tags and short parentheses go. The result keeps the
    sentence's capital and full stop; a sentence that would lose more than half its words is kept as it was."""
    t = text.strip()
    out = _TRAILING_SAID.sub("", t)
    out = _SAID_WHEN.sub(r"\1", out)
    out = _WHEN_MID.sub("", out)
    out = _PAREN.sub(" ", out)
    out = re.sub(r"\s+([,.;])", r"\1", re.sub(r"\s{2,}", " ", out)).strip()
    if not out or len(out.split()) < len(t.split()) / 2 or not out[0].isupper() or out[-1] not in ".!\"'”’)":
        return t
    return out


def _concepts(text: str, unigrams: bool = False) -> list[str]:
    sw = stopwords()
    toks = [w for w in words(text)]
    out = [stem(w) for w in toks if w not in sw and not w.isdigit() and len(w) > 2] if unigrams else []
    for a, b in itertools.pairwise(toks):
        if a in sw and b in sw:
            continue
        if a.isdigit() and b.isdigit():
            continue
        out.append(stem(a) + " " + stem(b))
    return out


def _good_sentence(text: str, config: AnalysisConfig) -> bool:
    n = len(text.split())
    if n < config.summary_min_words or n > config.summary_max_words:
        return False
    t = text.strip()
    if not t or t[0].islower():
        return False
    if t[-1] not in ".!?\"'”’)":  # cut off or a heading
        return False
    if t.endswith("?"):
        return False
    if t.count('"') % 2 == 1 or (t.count("“") != t.count("”")):  # a quote torn across sentences
        return False
    # reported speech summarises poorly
    return not (config.summary_skip_quotes and ('"' in t or "“" in t))


def _position_prior(index: int, power: float = 0.5) -> float:
    return (index + 1.0) ** -power


def _solve(
    weights: np.ndarray,
    cover: list[list[int]],
    bonus: np.ndarray,
    lengths: np.ndarray,
    budget: int,
    conflicts: list[tuple[int, int]],
    time_limit: float = 5.0,
) -> list[int]:
    """Exact ILP (HiGHS); greedy if it is unavailable or fails."""
    n, m = len(lengths), len(weights)
    try:
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import lil_matrix

        c = -np.concatenate([bonus, weights])
        rows = 1 + m + len(conflicts)
        A = lil_matrix((rows, n + m))
        lo = np.full(rows, -np.inf)
        hi = np.zeros(rows)
        A[0, :n] = lengths
        hi[0] = budget
        for k in range(m):  # y_k - sum_{s in cover[k]} x_s <= 0
            A[1 + k, n + k] = 1
            for s in cover[k]:
                A[1 + k, s] = -1
        for r, (i, j) in enumerate(conflicts):
            A[1 + m + r, i] = 1
            A[1 + m + r, j] = 1
            hi[1 + m + r] = 1
        res = milp(
            c,
            constraints=LinearConstraint(A.tocsr(), lo, hi),
            integrality=np.ones(n + m),
            bounds=Bounds(0, 1),
            options={"time_limit": time_limit, "disp": False},
        )
        if res.x is not None:
            return [i for i in range(n) if res.x[i] > 0.5]
    except ValueError:  # pragma: no cover - scipy's milp refuses an ill-posed problem: greedy instead
        pass
    return _greedy(weights, cover, bonus, lengths, budget, conflicts)


def _greedy(weights, cover, bonus, lengths, budget, conflicts) -> list[int]:
    n = len(lengths)
    sent_concepts: list[list[int]] = [[] for _ in range(n)]
    for k, ss in enumerate(cover):
        for s in ss:
            sent_concepts[s].append(k)
    bad = defaultdict(set)
    for i, j in conflicts:
        bad[i].add(j)
        bad[j].add(i)
    covered: set[int] = set()
    chosen: list[int] = []
    used = 0
    while True:
        best, best_gain = -1, 0.0
        for s in range(n):
            if s in chosen or used + lengths[s] > budget or bad[s] & set(chosen):
                continue
            gain = (sum(weights[k] for k in sent_concepts[s] if k not in covered) + bonus[s]) / lengths[s]
            if gain > best_gain:
                best, best_gain = s, gain
        if best < 0:
            return chosen
        chosen.append(best)
        used += lengths[best]
        covered.update(sent_concepts[best])


def concept_stats(
    sents: Sequence[Sentence],
    src: dict[str, str],
    cache: dict | None = None,
    unigrams: bool = False,
    lead_sentences: int = 3,
):
    """Per concept: the sources using it (df), those using it in their first ``lead_sentences`` sentences, the
    first sentence index using it per source, and the number of sentences holding it."""
    df: dict[str, set[str]] = defaultdict(set)
    lead: dict[str, set[str]] = defaultdict(set)
    first: dict[str, dict[str, int]] = defaultdict(dict)
    n_sent: dict[str, int] = defaultdict(int)
    cache = cache or {}
    for s in sents:
        for c in cache.get((s.article_id, s.index)) or set(_concepts(s.text, unigrams)):
            k_src = src[s.article_id]
            df[c].add(k_src)
            n_sent[c] += 1
            if s.index < lead_sentences:
                lead[c].add(k_src)
            if first[c].get(k_src, 1 << 30) > s.index:
                first[c][k_src] = s.index
    return df, lead, first, n_sent


CONCEPT_FEATURES = (
    "source_share",
    "log_sources",
    "lead_share",
    "first_position",
    "sentence_share",
    "has_stopword",
    "has_number",
)


def concept_features(concepts: list[str], df, lead, first, n_sent, n_sources: int, n_sentences: int) -> np.ndarray:
    """One row per concept (CONCEPT_FEATURES): the share and log number of sources using it, the share of those
    using it in their lead, the mean 1 / (1 + first sentence index) over its sources, the share of the story's
    sentences holding it, and whether it has a stopword or a number in it. Nothing here names a topic."""
    sw = stopwords()
    rows = np.zeros((len(concepts), len(CONCEPT_FEATURES)))
    for i, c in enumerate(concepts):
        d = len(df[c])
        toks = c.split()
        rows[i] = (
            d / max(1, n_sources),
            math.log1p(d),
            len(lead.get(c, ())) / max(1, d),
            float(np.mean([1.0 / (1 + x) for x in first[c].values()])) if first.get(c) else 0.0,
            n_sent.get(c, 0) / max(1, n_sentences),
            float(any(t in sw for t in toks)),
            float(any(t.isdigit() for t in toks)),
        )
    return rows


_CONCEPT_MODEL: dict | None = None


def concept_model() -> dict | None:
    """The learnt concept weights (storyline/data/summary_concepts.json), or None when there are none."""
    global _CONCEPT_MODEL
    if _CONCEPT_MODEL is None:
        import json
        from pathlib import Path

        p = Path(__file__).parent / "data" / "summary_concepts.json"
        _CONCEPT_MODEL = json.loads(p.read_text()) if p.exists() else {}
    return _CONCEPT_MODEL or None


def select_sentences(
    articles: Sequence[Article],
    embedder,
    config: AnalysisConfig,
    words_budget: int,
    copy_of: dict[str, str] | None = None,
    fill: bool = False,
) -> tuple[list[_Cand], list[int], _Vectors]:
    """The chosen candidates (indices into the returned candidate list) and the vectors used."""
    src = source_keys(articles, copy_of)
    root = resolve_copies([a.id for a in articles], copy_of)
    n_sources = len(set(src.values()))
    cands: list[_Cand] = []
    all_sents: list[Sentence] = []
    concept_cache: dict[tuple[str, int], set[str]] = {}
    uni = config.summary_unigram_weight > 0
    for k, a in enumerate(articles):
        for s in article_sentences(a):
            all_sents.append(s)
            # the summary quotes originals: a copy's sentences are cited, not extracted
            if root[a.id] == a.id and _good_sentence(s.text, config):
                text = compress(s.text) if config.summary_compress else s.text
                cands.append(_Cand(s, k, len(text.split()), set(_concepts(text, uni)), text))
                concept_cache[(s.article_id, s.index)] = (
                    set(_concepts(s.text, uni)) if text != s.text else cands[-1].concepts
                )
    vectors = _Vectors(all_sents, embedder, config)
    if not cands:
        return cands, [], vectors
    # concept weights: number of sources that use the bigram anywhere (all sentences, not only candidates)
    df, lead, first, n_sent = concept_stats(all_sents, src, concept_cache, uni, config.summary_lead_sentences)
    if config.summary_min_df > 0:
        min_df = config.summary_min_df
    else:
        min_df = 1 if n_sources <= 1 else max(2, min(3, round(config.summary_df_share * n_sources)))
    weight = {
        c: float(len(v)) ** config.summary_df_power
        * (1.0 if " " in c else config.summary_unigram_weight)
        * (1.0 + config.summary_lead_weight * len(lead.get(c, ())) / len(v))
        for c, v in df.items()
        if len(v) >= min_df
    }
    if not weight:  # tiny story: every concept counts
        weight = {c: float(len(v)) for c, v in df.items()}
    model = concept_model() if config.summary_learnt_concepts else None
    if model is not None:  # learnt weights (eval/summary.py --train-concepts): P(concept in a human summary)
        feats = concept_features(list(weight), df, lead, first, n_sent, n_sources, len(all_sents))
        z = feats @ np.asarray(model["coef"]) + float(model["bias"])
        weight = {c: float(p) for c, p in zip(weight, 1.0 / (1.0 + np.exp(-z)), strict=True)}
    # sentence bonus: position prior + centroid closeness, in units of an average sentence's concept weight
    cand_vecs = vectors.raw[[vectors.index[(c.sent.article_id, c.sent.index)] for c in cands]]
    centroid = vectors.raw.mean(axis=0)
    centroid /= np.linalg.norm(centroid) or 1.0
    cen = np.clip(cand_vecs @ centroid, 0, 1)
    pos = np.array([_position_prior(c.sent.index, config.summary_position_power) for c in cands])
    cw = np.array([sum(weight.get(x, 0.0) for x in c.concepts) for c in cands])
    lengths = np.array([c.n_words for c in cands], dtype=float)
    per_word = float(cw.sum() / lengths.sum()) if cw.sum() > 0 else 1.0  # concept weight of an average word
    bonus = per_word * lengths * (config.summary_position_weight * pos + config.summary_centroid_weight * cen)
    # keep the most promising candidates for the exact solver
    score = (cw + bonus) / lengths
    keep = sorted(int(i) for i in np.argsort(-score)[: config.summary_max_candidates])
    concept_ids: dict[str, int] = {}
    cover: list[list[int]] = []
    for local, i in enumerate(keep):
        for x in cands[i].concepts:
            if x in weight:
                if x not in concept_ids:
                    concept_ids[x] = len(concept_ids)
                    cover.append([])
                cover[concept_ids[x]].append(local)
    w = np.array([weight[x] for x in concept_ids])
    # near-duplicates (copies, reprints) may not both be chosen
    kv = cand_vecs[keep]
    sims = kv @ kv.T
    kidx = [vectors.index[(cands[i].sent.article_id, cands[i].sent.index)] for i in keep]
    kc = vectors.centred[kidx]
    csims = kc @ kc.T
    iu, ju = np.triu_indices(len(keep), k=1)
    maybe = csims[iu, ju] >= config.summary_redundancy - (1 - vectors.w)  # only these can reach the bar
    kidx_a = np.asarray(kidx, dtype=np.int64)
    combined = np.full(len(iu), -1.0)
    combined[maybe] = vectors.w * csims[iu[maybe], ju[maybe]] + (1 - vectors.w) * vectors.lexical.pair_sims(
        kidx_a[iu[maybe]], kidx_a[ju[maybe]]
    )
    dup = (sims[iu, ju] >= 0.85) | (combined >= config.summary_redundancy)
    conflicts = list(zip(iu[dup].tolist(), ju[dup].tolist(), strict=True))
    chosen = _solve(w, cover, bonus[keep], lengths[keep], words_budget, conflicts)
    if fill and chosen:  # one more sentence past the budget (the best marginal gain), for cut-to-length use
        covered = {k for k, ss in enumerate(cover) if any(x in chosen for x in ss)}
        gains = []
        for i in range(len(keep)):
            if i in chosen or any((min(i, j), max(i, j)) in set(conflicts) for j in chosen):
                continue
            g = sum(w[k] for k, ss in enumerate(cover) if i in ss and k not in covered) + bonus[keep[i]]
            gains.append((g / lengths[keep[i]], i))
        if gains:
            chosen.append(max(gains)[1])
    return cands, [keep[i] for i in chosen], vectors


class _Vectors:
    """Embeddings and lexical bags of every sentence of the story (for bonuses and citations)."""

    def __init__(self, sents: list[Sentence], embedder, config: AnalysisConfig):
        self.sents = sents
        self.index = {(s.article_id, s.index): k for k, s in enumerate(sents)}
        texts = [s.text for s in sents]
        self.raw = np.asarray(embedder.encode(texts), dtype=np.float32) if texts else np.zeros((0, 1), np.float32)
        self.centred = centred(self.raw, config.claim_centre)
        self.lexical = LexicalIndex(texts, config.claim_bigram_weight, config.claim_name_weight)
        self.w = config.claim_embed_weight

    def support(self, k: int) -> np.ndarray:
        """Combined similarity of sentence k to every sentence."""
        emb = self.centred @ self.centred[k]
        lex = self.lexical.row_sims(k)
        return self.w * emb + (1 - self.w) * lex


def _date_key(a: Article) -> float:
    return a.published.timestamp() if isinstance(a.published, datetime) else float("inf")


def summarize(
    articles: Sequence[Article],
    embedder,
    config: AnalysisConfig | None = None,
    words: int | None = 100,
    copy_of: dict[str, str] | None = None,
    *,
    fill: bool = False,
) -> list[SummarySentence]:
    """A ``words``-word extractive summary; each sentence cited to every article that supports it.

    ``fill``: append one more sentence after the budget (last in the list), for fixed-length
    evaluations that cut the text at ``words`` (as DUC/ROUGE does for every system).
    """
    config = config or AnalysisConfig()
    articles = list({a.id: a for a in articles}.values())  # each article once
    if not articles:
        return []
    budget = words or config.summary_words
    cands, chosen, vectors = select_sentences(articles, embedder, config, budget, copy_of, fill=fill)
    filler = chosen.pop() if fill and len(chosen) > 1 else None
    if not chosen:
        return []
    by_id = {a.id: a for a in articles}
    root = resolve_copies(by_id, copy_of)
    src = source_keys(articles, copy_of)
    order = {a.id: k for k, a in enumerate(articles)}
    chosen.sort(key=lambda i: (_date_key(by_id[cands[i].sent.article_id]), cands[i].order, cands[i].sent.index))
    if filler is not None:
        chosen.append(filler)
    out = []
    for i in chosen:
        s = cands[i].sent
        k = vectors.index[(s.article_id, s.index)]
        sup = vectors.support(k)
        best: dict[str, tuple[float, int]] = {}
        for j, other in enumerate(vectors.sents):
            if other.article_id == s.article_id:
                continue
            if sup[j] >= config.summary_support_threshold and sup[j] > best.get(other.article_id, (-1.0, -1))[0]:
                best[other.article_id] = (float(sup[j]), j)
        cited = [(s.article_id, s)] + [(aid, vectors.sents[j]) for aid, (_, j) in best.items()]
        # sources first (originals before their copies), then story order
        cited.sort(key=lambda t: (t[0] != s.article_id, src[t[0]], root[t[0]] != t[0], order[t[0]]))
        cits = [
            Citation(
                article_id=aid,
                sentence_index=x.index,
                outlet=by_id[aid].outlet,
                text=x.text,
                copy_of=root[aid] if root[aid] != aid else None,
            )
            for aid, x in cited
        ]
        out.append(SummarySentence(text=cands[i].text or s.text, citations=cits))
    return out


def source_count(sentence: SummarySentence, articles: Sequence[Article], copy_of: dict[str, str] | None = None) -> int:
    """How many distinct sources (copies counted once) support a summary sentence."""
    src = source_keys(articles, copy_of)
    return len({src[c.article_id] for c in sentence.citations if c.article_id in src})
