"""Agreement and difference inside a story: group the claims of all its articles by meaning.

A *claim* is a sentence of an article (``text.article_sentences``, so indices agree with every
other stage). Two claims of different articles are *linked* when a combined similarity

    sim = w * cos(story-centred embeddings) + (1 - w) * idf-weighted lexical cosine (words + bigrams)

is above ``claim_threshold`` **and** they are each other's best match in the other article (mutual
best match: a sentence says the same thing as at most one sentence of another article). Links are
merged greedily, strongest first, into groups that hold at most one claim per article (unless two
claims of one article match almost verbatim) and whose average link stays above the threshold, so
groups do not chain into one blob.

A group's *sources* are its distinct outlets, where copies of the same text (``copy_of``: copy id ->
original id) count as the original's outlet. Reported by one source: "unique"; by at least
``consensus_share`` of the story's sources: "consensus"; otherwise "partial". Members that differ
in a number, a date or a name are flagged (``differences``).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Literal

import numpy as np

from .config import AnalysisConfig
from .model import Article, Citation, ClaimGroup, Sentence
from .text import article_sentences, stopwords, words

# ----------------------------------------------------------------------------- shared helpers


@lru_cache(maxsize=1)
def _stemmer():
    from nltk.stem.porter import PorterStemmer  # a dependency: missing, it is an install error, not a fallback

    return PorterStemmer().stem


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _stemmer()(word)


def stems(text: str, keep_stopwords: bool = False) -> list[str]:
    """Lowercased, stemmed word tokens (stopwords and bare numbers dropped unless asked)."""
    sw = stopwords()
    out = []
    for w in words(text):
        if not keep_stopwords and (w in sw or w.isdigit() or len(w) < 2):
            continue
        out.append(stem(w))
    return out


def resolve_copies(article_ids: Iterable[str], copy_of: dict[str, str] | None) -> dict[str, str]:
    """article id -> the id of the original it copies (itself when it is no copy); chains followed."""
    copy_of = copy_of or {}
    out: dict[str, str] = {}
    for aid in article_ids:
        cur, seen = aid, {aid}
        while cur in copy_of and copy_of[cur] not in seen:
            cur = copy_of[cur]
            seen.add(cur)
        out[aid] = cur
    return out


def outlet_label(article: Article) -> str:
    """What to show for an article's outlet (its id when the text names none)."""
    return article.outlet or f"article {article.id[:8]}"


def source_keys(articles: Sequence[Article], copy_of: dict[str, str] | None = None) -> dict[str, str]:
    """article id -> source key: the outlet of the original text (copies count as their original)."""
    by_id = {a.id: a for a in articles}
    root = resolve_copies(by_id, copy_of)
    keys = {}
    for a in articles:
        orig = by_id.get(root[a.id], a)
        keys[a.id] = ("outlet:" + orig.outlet.strip().lower()) if orig.outlet else ("article:" + orig.id)
    return keys


_FURNITURE = re.compile(
    r"^(read more|see also|related|photo|image|advertisement|subscribe|share this|follow us|click here|"
    r"copyright|all rights reserved|sign up)\b",
    re.IGNORECASE,
)


def is_claim(text: str, min_words: int = 6) -> bool:
    """A sentence worth comparing: long enough, has content, is not site furniture or a bare dateline."""
    toks = text.split()
    if len(toks) < min_words:
        return False
    if _FURNITURE.match(text.strip()):
        return False
    if len(stems(text)) < 3:
        return False
    letters = [c for c in text if c.isalpha()]
    return not (letters and sum(c.isupper() for c in letters) / len(letters) > 0.6)  # not a SHOUTED heading


class LexicalIndex:
    """IDF-weighted bag of stemmed words + bigrams over one set of sentences; cosine between them.

    Rows are L2-normalised sparse vectors (``matrix``, CSR), so similarities are dot products and
    averages of similarities are dot products of averages.
    """

    def __init__(self, texts: Sequence[str], bigram_weight: float = 1.0, name_weight: float = 1.0):
        from scipy.sparse import csr_matrix

        toks = [stems(t) for t in texts]
        names: set[str] = set()
        if name_weight != 1.0:  # words written capitalised mid-sentence: who/where, not what was said
            for t in texts:
                for m in re.finditer(r"(?<=[a-z,;:] )([A-Z][a-z]+)", t):
                    names.add(stem(m.group(1).lower()))
        feats = []
        for tk in toks:
            f = set(tk)
            if bigram_weight > 0:
                f |= {a + "_" + b for a, b in itertools.pairwise(tk)}
            feats.append(f)
        df = Counter(x for f in feats for x in f)
        n = max(len(texts), 1)
        self.vocab = {x: k for k, x in enumerate(df)}
        idf = {x: math.log((n + 1) / (c + 0.5)) for x, c in df.items()}
        indptr, indices, data = [0], [], []
        for f in feats:
            vals = [
                (self.vocab[x], idf[x] * (bigram_weight if "_" in x else (name_weight if x in names else 1.0)))
                for x in f
            ]
            norm = math.sqrt(sum(v * v for _, v in vals)) or 1.0
            for k, v in vals:
                indices.append(k)
                data.append(v / norm)
            indptr.append(len(indices))
        self.matrix = csr_matrix(
            (
                np.asarray(data, dtype=np.float32),
                np.asarray(indices, dtype=np.int64),
                np.asarray(indptr, dtype=np.int64),
            ),
            shape=(len(texts), max(len(self.vocab), 1)),
        )

    def sim(self, i: int, j: int) -> float:
        return float(self.matrix[i].multiply(self.matrix[j]).sum())

    def pair_sims(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Similarities of the pairs (rows[k], cols[k])."""
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(self.matrix[rows].multiply(self.matrix[cols]).sum(axis=1)).ravel()

    def row_sims(self, i: int) -> np.ndarray:
        """Similarities of sentence i to every sentence."""
        return np.asarray((self.matrix @ self.matrix[i].T).todense()).ravel()


def centred(vectors: np.ndarray, amount: float) -> np.ndarray:
    """Remove ``amount`` of the mean vector (the story's shared topic) and re-normalise."""
    if len(vectors) == 0 or amount <= 0:
        return vectors
    v = vectors - amount * vectors.mean(axis=0, keepdims=True)
    n = np.linalg.norm(v, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return (v / n).astype(np.float32)


# ----------------------------------------------------------------------------- differences

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_WEEKDAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
_MONTH_RE = r"(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
_DATE_RES = [
    re.compile(_MONTH_RE + r"\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?\b", re.IGNORECASE),  # January 12, 2022
    re.compile(
        r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH_RE + r"(?:,?\s+(\d{4}))?\b", re.IGNORECASE
    ),  # 12 January
    re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"),
]
_NUM_RE = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(\s*(?:%|percent|per cent))?(\s+(?:thousand|million|billion|trillion))?\b",
    re.IGNORECASE,
)
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_NAME_RE = re.compile(r"\b([A-Z][a-zA-Z'’\-]+(?:\s+(?:[A-Z][a-zA-Z'’\-]+|of|de|al|bin|van|von))*)")


def extract_dates(text: str) -> dict[str, str]:
    """Normalised calendar mentions (month-day[-year]) -> the text as written."""
    out: dict[str, str] = {}
    spans: list[tuple[int, int]] = []
    for k, rx in enumerate(_DATE_RES):
        for m in rx.finditer(text):
            if any(s <= m.start() < e for s, e in spans):
                continue
            if k == 0:
                mon, day, year = _MONTHS[m.group(1).lower().rstrip(".")], int(m.group(2)), m.group(3)
            elif k == 1:
                day, mon, year = int(m.group(1)), _MONTHS[m.group(2).lower().rstrip(".")], m.group(3)
            else:
                year, mon, day = m.group(1), int(m.group(2)), int(m.group(3))
            if not 1 <= day <= 31:
                continue
            key = f"{mon:02d}-{day:02d}" + (f"-{year}" if year else "")
            out[key] = m.group(0)
            spans.append((m.start(), m.end()))
    return out


def _date_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for rx in _DATE_RES:
        spans += [(m.start(), m.end()) for m in rx.finditer(text)]
    return spans


def extract_numbers(text: str) -> dict[float, str]:
    """Quantities (dates and years excluded) -> as written."""
    spans = _date_spans(text)
    out: dict[float, str] = {}
    for m in _NUM_RE.finditer(text):
        if any(s <= m.start() < e for s, e in spans):
            continue
        raw = m.group(1)
        try:
            value = float(raw.replace(",", ""))
        except ValueError:  # pragma: no cover
            continue
        if m.group(3):
            value *= _SCALE[m.group(3).strip().lower()]
        if not m.group(2) and not m.group(3) and re.fullmatch(r"(19|20)\d\d", raw):  # a year: a date, not a number
            continue
        if m.group(2):
            value = ("%", value)  # type: ignore[assignment]
        out[value] = m.group(0).strip()
    return out


def extract_names(text: str) -> set[str]:
    """Capitalised name runs: no months/weekdays, no stopwords at the ends, no lone sentence-initial word."""
    sw = stopwords()
    names = set()
    for m in _NAME_RE.finditer(text):
        toks = [re.sub(r"['’]s$", "", t) for t in m.group(1).split()]
        toks = [t for t in toks if t.lower() not in _MONTHS and t.lower() not in _WEEKDAYS]
        while toks and toks[0].lower() in sw:
            toks = toks[1:]
        while toks and (toks[-1].lower() in sw or toks[-1].lower() in ("of", "de", "al", "bin", "van", "von")):
            toks = toks[:-1]
        if not toks:
            continue
        if m.start() == 0 and len(toks) == 1:  # "According", "Earlier", ...: capitalised because first
            continue
        names.add(" ".join(toks))
    return names


def _similar_name(a: str, b: str) -> bool:
    a_l, b_l = a.lower(), b.lower()
    if a_l in b_l or b_l in a_l:
        return True
    at, bt = a_l.split(), b_l.split()
    if set(at) & set(bt):
        return True
    return SequenceMatcher(None, a_l, b_l).ratio() >= 0.8


def differences(texts: Sequence[str]) -> list[str]:
    """What differs between claims reported as the same: numbers, dates, names (first difference of each)."""
    out: list[str] = []
    if len(texts) < 2:
        return out
    nums = [extract_numbers(t) for t in texts]
    dates = [extract_dates(t) for t in texts]
    names = [extract_names(t) for t in texts]

    def pairwise(kind: str, items: list[dict]) -> None:
        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                a, b = items[i], items[j]
                if not a or not b:
                    continue
                only_a = [a[k] for k in a if k not in b]
                only_b = [b[k] for k in b if k not in a]
                if kind == "date":  # "January 12" vs "January 12, 2022" is the same day
                    only_a = [
                        a[k]
                        for k in a
                        if not any(k[:5] == kb[:5] and (len(k) == 5 or len(kb) == 5 or k == kb) for kb in b)
                    ]
                    only_b = [
                        b[k]
                        for k in b
                        if not any(k[:5] == ka[:5] and (len(k) == 5 or len(ka) == 5 or k == ka) for ka in a)
                    ]
                if only_a and only_b:
                    out.append(f"{kind}: {', '.join(only_a)} vs {', '.join(only_b)}")
                    return

    pairwise("number", nums)
    pairwise("date", dates)
    # a name difference only between claims that otherwise say the same thing (else it is just rewording)
    rest = [set(stems(_NAME_RE.sub(" ", t))) for t in texts]
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = names[i], names[j]
            if not a or not b or not rest[i] or not rest[j]:
                continue
            if len(rest[i] & rest[j]) / min(len(rest[i]), len(rest[j])) < 0.6:
                continue
            only_a = sorted(x for x in a if not any(_similar_name(x, y) for y in b))
            only_b = sorted(y for y in b if not any(_similar_name(x, y) for x in a))
            if len(only_a) == 1 and len(only_b) == 1:  # one name put in place of another
                out.append(f"name: {only_a[0]} vs {only_b[0]}")
                return out
    return out


# ----------------------------------------------------------------------------- claim similarity


@dataclass
class ClaimSet:
    """The claims of a story with their vectors (built once, shared by compare and summarize)."""

    sentences: list[Sentence]
    article_of: list[str]
    embeddings: np.ndarray  # story-centred, unit
    lexical: LexicalIndex

    def sim(self, i: int, j: int, w_embed: float) -> float:
        return w_embed * float(self.embeddings[i] @ self.embeddings[j]) + (1 - w_embed) * self.lexical.sim(i, j)


def build_claims(
    articles: Sequence[Article], embedder, config: AnalysisConfig, min_words: int | None = None
) -> ClaimSet:
    sents: list[Sentence] = []
    for a in articles:
        for s in article_sentences(a):
            if is_claim(s.text, config.claim_min_words if min_words is None else min_words):
                sents.append(s)
    texts = [s.text for s in sents]
    emb = embedder.encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)
    emb = centred(np.asarray(emb, dtype=np.float32), config.claim_centre)
    return ClaimSet(
        sents,
        [s.article_id for s in sents],
        emb,
        LexicalIndex(texts, config.claim_bigram_weight, config.claim_name_weight),
    )


def candidate_links(claims: ClaimSet, config: AnalysisConfig, block: int = 1024) -> list[tuple[float, int, int]]:
    """Mutual-best-match links between claims of different articles with similarity >= threshold.

    Embedding neighbours are found block-wise (top ``claim_neighbours`` per claim), so memory stays
    linear in the number of claims.
    """
    n = len(claims.sentences)
    if n < 2:
        return []
    art_idx = {a: k for k, a in enumerate(dict.fromkeys(claims.article_of))}
    arts = np.array([art_idx[a] for a in claims.article_of])
    k = min(config.claim_neighbours, n - 1)
    E = claims.embeddings
    w = config.claim_embed_weight
    floor = config.claim_threshold - (1 - w)  # cosine below this cannot reach the threshold
    # claims of one article are contiguous (build_claims walks article by article)
    a_lo = np.zeros(n, dtype=np.int64)
    a_hi = np.zeros(n, dtype=np.int64)
    start_i = 0
    for i in range(1, n + 1):
        if i == n or arts[i] != arts[start_i]:
            a_lo[start_i:i], a_hi[start_i:i] = start_i, i
            start_i = i
    if len(set(arts.tolist())) != len([i for i in range(n) if i == 0 or arts[i] != arts[i - 1]]):
        raise ValueError("claims must be grouped by article")
    Ci_all, Cj_all, C_all = [], [], []
    import torch  # a dependency (the embeddings); its top-k is faster than argpartition on wide blocks

    for start in range(0, n, block):
        sims = E[start : start + block] @ E.T
        rows = np.arange(start, min(start + block, n))
        for r, row in enumerate(rows):  # no links inside an article (its claims are contiguous)
            sims[r, a_lo[row] : a_hi[row]] = -9.0
        if k >= n - 1:
            idx = np.tile(np.arange(n), (len(rows), 1))
        else:
            idx = torch.topk(torch.from_numpy(sims), k, dim=1).indices.numpy()
        cos = np.take_along_axis(sims, idx, axis=1)
        ok = (cos >= floor).ravel()
        Ci_all.append(np.repeat(rows, idx.shape[1])[ok])
        Cj_all.append(idx.ravel()[ok])
        C_all.append(cos.ravel()[ok])
    Ci = np.concatenate(Ci_all).astype(np.int64)
    Cj = np.concatenate(Cj_all).astype(np.int64)
    C = np.concatenate(C_all)
    if len(Ci) == 0:
        return []
    S = w * C + (1 - w) * claims.lexical.pair_sims(Ci, Cj)
    # best match of each claim in each other article: first of each (i, article of j) by descending score
    AJ = arts[Cj]
    order = np.lexsort((-S, AJ, Ci))
    Ci, Cj, AJ, S = Ci[order], Cj[order], AJ[order], S[order]
    first = np.ones(len(Ci), dtype=bool)
    first[1:] = (Ci[1:] != Ci[:-1]) | (AJ[1:] != AJ[:-1])
    Ci, Cj, AJ, S = Ci[first], Cj[first], AJ[first], S[first]
    n_arts = int(arts.max()) + 1
    keys = Ci * n_arts + AJ  # sorted (lexsort above)
    want = Cj * n_arts + arts[Ci]  # j's best match in i's article must be i
    pos = np.searchsorted(keys, want)
    pos_ok = pos < len(keys)
    mutual = np.zeros(len(Ci), dtype=bool)
    mutual[pos_ok] = (keys[pos[pos_ok]] == want[pos_ok]) & (Cj[pos[pos_ok]] == Ci[pos_ok])
    sel = mutual & (Ci < Cj) & (config.claim_threshold <= S)
    links = sorted(zip(S[sel].tolist(), Ci[sel].tolist(), Cj[sel].tolist(), strict=True), reverse=True)
    return links


def group_claims(claims: ClaimSet, config: AnalysisConfig) -> list[list[int]]:
    """Greedy constrained agglomeration over the links (strongest first).

    Two groups merge when their link is the strongest left, they share no article (unless the link
    is near-verbatim) and their average pairwise similarity stays >= ``claim_link_threshold``. The
    average is exact and cheap: similarities are dot products, so it is the dot product of the
    groups' summed vectors divided by the number of pairs.
    """
    n = len(claims.sentences)
    group_of = list(range(n))
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    arts_of: dict[int, set[str]] = {i: {claims.article_of[i]} for i in range(n)}
    w = config.claim_embed_weight
    emb_sum: dict[int, np.ndarray] = {}
    lex_sum: dict[int, dict[int, float]] = {}  # summed sparse lexical vectors, as {feature: value}
    M = claims.lexical.matrix

    def row(i: int) -> dict[int, float]:
        lo, hi = M.indptr[i], M.indptr[i + 1]
        return dict(zip(M.indices[lo:hi].tolist(), M.data[lo:hi].tolist(), strict=True))

    def sums(g: int):
        if g not in emb_sum:
            emb_sum[g] = claims.embeddings[members[g]].sum(axis=0)
            acc: dict[int, float] = {}
            for x in members[g]:
                for f, v in row(x).items():
                    acc[f] = acc.get(f, 0.0) + v
            lex_sum[g] = acc
        return emb_sum[g], lex_sum[g]

    def dot(a: dict[int, float], b: dict[int, float]) -> float:
        if len(a) > len(b):
            a, b = b, a
        return sum(v * b[f] for f, v in a.items() if f in b)

    for s, i, j in candidate_links(claims, config):
        gi, gj = group_of[i], group_of[j]
        if gi == gj:
            continue
        if arts_of[gi] & arts_of[gj] and s < config.claim_strong:
            continue
        a, b = members[gi], members[gj]
        if len(a) > 1 or len(b) > 1:
            ea, la = sums(gi)
            eb, lb = sums(gj)
            avg = (w * float(ea @ eb) + (1 - w) * dot(la, lb)) / (len(a) * len(b))
            if avg < config.claim_link_threshold:
                continue
        if len(a) < len(b):
            gi, gj, a, b = gj, gi, b, a
        ea, la = sums(gi)
        eb, lb = sums(gj)
        for f, v in lb.items():  # the smaller group's features into the larger's
            la[f] = la.get(f, 0.0) + v
        emb_sum[gi] = ea + eb
        emb_sum.pop(gj, None)
        lex_sum.pop(gj, None)
        for x in b:
            group_of[x] = gi
        a.extend(b)
        arts_of[gi] |= arts_of.pop(gj)
        del members[gj]
    return [sorted(m) for m in members.values()]


# ----------------------------------------------------------------------------- the stage


def compare_claims(
    articles: Sequence[Article],
    embedder,
    config: AnalysisConfig | None = None,
    copy_of: dict[str, str] | None = None,
) -> list[ClaimGroup]:
    """Group the claims of a story's articles by meaning; consensus / partial / unique, with differences.

    Groups come back most-reported first (then by first appearance). Every claim is in exactly one group.
    """
    config = config or AnalysisConfig()
    articles = list({a.id: a for a in articles}.values())  # each article once
    if not articles:
        return []
    by_id = {a.id: a for a in articles}
    src = source_keys(articles, copy_of)
    root = resolve_copies(by_id, copy_of)
    total_sources = len(set(src.values()))
    claims = build_claims(articles, embedder, config)
    groups = group_claims(claims, config)
    w = config.claim_embed_weight
    order = {a.id: k for k, a in enumerate(articles)}
    out: list[ClaimGroup] = []
    for g in groups:
        g.sort(key=lambda x: (order[claims.article_of[x]], claims.sentences[x].index))
        if len(g) == 1:
            centre = g[0]
        else:
            emb = claims.embeddings[g]
            lex = claims.lexical.matrix[g]
            central = (
                w * (emb @ emb.sum(axis=0)) + (1 - w) * np.asarray(lex @ np.asarray(lex.sum(axis=0)).ravel()).ravel()
            )
            # the label is an original's wording when the group has one (not a copy's rewording)
            is_orig = np.array([root[claims.article_of[x]] == claims.article_of[x] for x in g])
            if is_orig.any():
                central = np.where(is_orig, central, -np.inf)
            centre = g[int(np.argmax(central))]
        cits = []
        for x in g:
            s = claims.sentences[x]
            a = by_id[s.article_id]
            cits.append(
                Citation(
                    article_id=a.id,
                    sentence_index=s.index,
                    outlet=a.outlet,
                    text=s.text,
                    copy_of=root[a.id] if root[a.id] != a.id else None,
                )
            )
        n_src = len({src[c.article_id] for c in cits})
        kind: Literal["consensus", "partial", "unique"]
        if n_src <= 1:
            kind = "unique"
        elif total_sources and n_src / total_sources >= config.consensus_share:
            kind = "consensus"
        else:
            kind = "partial"
        outlets = list(dict.fromkeys(outlet_label(by_id[c.article_id]) for c in cits))
        # differences only between different sources (a copy restating its original is no disagreement)
        per_source: dict[str, str] = {}
        for c in cits:
            per_source.setdefault(src[c.article_id], c.text or "")
        texts = list(dict.fromkeys(per_source.values()))[: config.claim_max_compare]
        diffs = differences(texts) if n_src > 1 and len(texts) > 1 else []
        out.append(
            ClaimGroup(
                id=0, claims=cits, outlets=outlets, kind=kind, label=claims.sentences[centre].text, differences=diffs
            )
        )
    out.sort(
        key=lambda g: (
            -len({src[c.article_id] for c in g.claims}),
            order[g.claims[0].article_id],
            g.claims[0].sentence_index or 0,
        )
    )
    for rank, group in enumerate(out):
        group.id = rank
    return out


def sources_of(group: ClaimGroup, articles: Sequence[Article], copy_of: dict[str, str] | None = None) -> set[str]:
    """The distinct sources (copies counted once) that report a group."""
    src = source_keys(articles, copy_of)
    return {src[c.article_id] for c in group.claims if c.article_id in src}


def unique_by_outlet(groups: Sequence[ClaimGroup]) -> dict[str, list[ClaimGroup]]:
    """For each outlet: the claims it alone reports (its "unique" groups)."""
    out: dict[str, list[ClaimGroup]] = defaultdict(list)
    for g in groups:
        if g.kind == "unique":
            for o in g.outlets:
                out[o].append(g)
    return dict(out)
