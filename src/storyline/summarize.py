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

import math
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


def _concepts(text: str, unigrams: bool = False) -> list[str]:
    sw = stopwords()
    toks = [w for w in words(text)]
    out = [stem(w) for w in toks if w not in sw and not w.isdigit() and len(w) > 2] if unigrams else []
    for a, b in zip(toks, toks[1:]):
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
    if config.summary_skip_quotes and ('"' in t or "“" in t):  # reported speech summarises poorly
        return False
    return True


def _position_prior(index: int, power: float = 0.5) -> float:
    return (index + 1.0) ** -power


def _solve(weights: np.ndarray, cover: list[list[int]], bonus: np.ndarray, lengths: np.ndarray,
           budget: int, conflicts: list[tuple[int, int]], time_limit: float = 5.0) -> list[int]:
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
            c, constraints=LinearConstraint(A.tocsr(), lo, hi), integrality=np.ones(n + m),
            bounds=Bounds(0, 1), options={"time_limit": time_limit, "disp": False},
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


def select_sentences(
    articles: Sequence[Article], embedder, config: AnalysisConfig, words_budget: int,
    copy_of: dict[str, str] | None = None, fill: bool = False,
) -> tuple[list[_Cand], list[int], "_Vectors"]:
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
                cands.append(_Cand(s, k, len(s.text.split()), set(_concepts(s.text, uni))))
                concept_cache[(s.article_id, s.index)] = cands[-1].concepts
    vectors = _Vectors(all_sents, embedder, config)
    if not cands:
        return cands, [], vectors
    # concept weights: number of sources that use the bigram anywhere (all sentences, not only candidates)
    df: dict[str, set[str]] = defaultdict(set)
    for s in all_sents:
        for c in concept_cache.get((s.article_id, s.index)) or set(_concepts(s.text, uni)):
            df[c].add(src[s.article_id])
    if config.summary_min_df > 0:
        min_df = config.summary_min_df
    else:
        min_df = 1 if n_sources <= 1 else max(2, min(3, round(config.summary_df_share * n_sources)))
    weight = {
        c: float(len(v)) ** config.summary_df_power * (1.0 if " " in c else config.summary_unigram_weight)
        for c, v in df.items() if len(v) >= min_df
    }
    if not weight:  # tiny story: every concept counts
        weight = {c: float(len(v)) for c, v in df.items()}
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
        kidx_a[iu[maybe]], kidx_a[ju[maybe]])
    dup = (sims[iu, ju] >= 0.85) | (combined >= config.summary_redundancy)
    conflicts = list(zip(iu[dup].tolist(), ju[dup].tolist()))
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
            Citation(article_id=aid, sentence_index=x.index, outlet=by_id[aid].outlet, text=x.text,
                     copy_of=root[aid] if root[aid] != aid else None)
            for aid, x in cited
        ]
        out.append(SummarySentence(text=s.text, citations=cits))
    return out


def source_count(sentence: SummarySentence, articles: Sequence[Article], copy_of: dict[str, str] | None = None) -> int:
    """How many distinct sources (copies counted once) support a summary sentence."""
    src = source_keys(articles, copy_of)
    return len({src[c.article_id] for c in sentence.citations if c.article_id in src})
