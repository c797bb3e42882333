"""A jusText/boilerpipe-like classifier for the lines of plain scraped text.

Plain text keeps no markup, so a line's only evidence is itself and its neighbours:

1. each line gets a class from general, language-neutral features: its length, its share
   of stopwords (English list, or the page's own most frequent short words for other
   languages), whether it ends like a sentence, its internal punctuation;
2. context smoothing (as jusText): short and near-good lines take the class of the good or
   bad lines around them, so a sub-heading inside the article stays and a menu item stays out;
3. the main text is the densest contiguous block of prose (maximum-sum segment over line
   scores, as boilerpipe's largest block); other blocks of clear prose are kept when they are
   near it or nearly as dense, so an article cut in two by a widget keeps both halves.

Nothing here is tuned to a site: thresholds are in :class:`~storyline.config.CleanConfig`.
The cleaner only applies this when a text looks like a whole page (many short lines); an
article that is already clean is left as it is.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from .config import CleanConfig
from .text import stopwords

_TOKEN = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SENT_END = re.compile(r"[.!?。！？…:;\"”’»)\]]\s*$")
_INNER_PUNCT = re.compile(r"[,;:、，。.!?](?=\s|$)|[、，。]")

GOOD, NEAR, SHORT, BAD = "good", "near-good", "short", "bad"


@dataclass
class LineInfo:
    text: str
    chars: int
    words: int  # word count (for CJK text, about one word per two characters)
    stop: float
    ends: bool
    punct: int
    headline: bool = False  # Title Case Words Without A Final Stop
    cls: str = BAD


def _effective_words(text: str, toks: list[str]) -> int:
    cjk = len(_CJK.findall(text))
    if cjk:
        return max(len(toks), cjk // 2)
    return len(toks)


def page_stopwords(lines: list[str]) -> frozenset[str]:
    """English stopwords, or (for a page mostly not in English) its own frequent short words."""
    sw = stopwords()
    toks = [t.lower() for ln in lines for t in _TOKEN.findall(ln)]
    if not toks:
        return sw
    en = sum(1 for t in toks if t in sw) / len(toks)
    if en >= 0.15:
        return sw
    counts = Counter(t for t in toks if len(t) <= 4 and not t.isdigit())
    return frozenset(w for w, _ in counts.most_common(40))


def line_info(text: str, sw: frozenset[str]) -> LineInfo:
    toks = [t.lower() for t in _TOKEN.findall(text)]
    n = _effective_words(text, toks)
    stop = (sum(1 for t in toks if t in sw) / len(toks)) if toks else 0.0
    if _CJK.search(text) and len(toks) < 8:  # CJK runs are few, long tokens: stopword share means little
        stop = max(stop, 0.3 if _SENT_END.search(text) or "、" in text or "，" in text else 0.0)
    ends = bool(_SENT_END.search(text))
    info = LineInfo(text, len(text), n, stop, ends, len(_INNER_PUNCT.findall(text)))
    if not ends and len(toks) >= 3:
        caps = [t for t in _TOKEN.findall(text) if t[:1].isalpha() and (len(t) > 3 or t.lower() not in sw)]
        info.headline = bool(caps) and sum(1 for t in caps if t[:1].isupper()) >= 0.75 * len(caps)
    return info


def classify(info: LineInfo, c: CleanConfig) -> str:
    n, stop = info.words, info.stop
    if info.headline and n < c.bp_long_words:
        return SHORT if n < c.bp_good_words else BAD
    if n >= c.bp_long_words and (stop >= c.bp_stop_low or (info.ends and info.punct >= 2)):
        return GOOD  # long prose (punctuated sentences in any language)
    if n >= c.bp_good_words and stop >= c.bp_stop_high and (info.ends or info.punct >= 2):
        return GOOD
    if n >= c.bp_good_words and stop >= c.bp_stop_low:
        return NEAR
    if n >= c.bp_near_words and stop >= c.bp_stop_low and info.ends:
        return NEAR
    if n < c.bp_good_words:
        return SHORT
    return BAD


def _smooth(infos: list[LineInfo], max_run: int = 3) -> None:
    """jusText's context rules: short/near-good lines follow their non-short neighbours."""
    n = len(infos)
    orig = [i.cls for i in infos]

    def neighbour(k: int, step: int, skip_near: bool) -> str:
        j = k + step
        while 0 <= j < n:
            c = orig[j]
            if c in (GOOD, BAD):
                return c
            if c == NEAR and not skip_near:
                return c
            j += step
        return BAD

    # length of each run of short lines
    run = [0] * n
    k = 0
    while k < n:
        if orig[k] == SHORT:
            j = k
            while j < n and orig[j] == SHORT:
                j += 1
            for t in range(k, j):
                run[t] = j - k
            k = j
        else:
            k += 1
    new = list(orig)
    for k in range(n):
        if orig[k] == SHORT:
            prev, nxt = neighbour(k, -1, True), neighbour(k, 1, True)
            new[k] = GOOD if prev == GOOD and nxt == GOOD and run[k] <= max_run else BAD
        elif orig[k] == NEAR:
            prev, nxt = neighbour(k, -1, False), neighbour(k, 1, False)
            new[k] = GOOD if GOOD in (prev, nxt) else BAD
    for k in range(n):
        infos[k].cls = new[k]


def _best_segment(scores: list[float], lo: int, hi: int) -> tuple[int, int, float]:
    """Maximum-sum contiguous segment of scores[lo:hi] (inclusive bounds), Kadane."""
    best, best_s, best_e = 0.0, -1, -1
    cur, start = 0.0, lo
    for k in range(lo, hi):
        if cur <= 0:
            cur, start = 0.0, k
        cur += scores[k]
        if cur > best:
            best, best_s, best_e = cur, start, k
    return best_s, best_e, best


def _rule_pass(lines: list[str], c: CleanConfig, forced_bad: list[bool] | None):
    """The hand-written classifier: (line infos, first classes, block scores, keep, main block)."""
    sw = page_stopwords(lines)
    infos = [line_info(s, sw) for s in lines]
    for k, i in enumerate(infos):
        i.cls = BAD if forced_bad and forced_bad[k] else classify(i, c)
    first = [i.cls for i in infos]
    _smooth(infos, c.bp_max_short_run)
    scores = []
    n = len(infos)
    for k, (i, f) in enumerate(zip(infos, first, strict=True)):
        if i.cls == GOOD and f != GOOD:
            scores.append(0.0)
        elif i.cls == GOOD:
            # a lone paragraph between non-prose lines (a teaser in a list of links) counts for less
            prev = next((first[j] for j in range(k - 1, -1, -1) if first[j] != SHORT or infos[j].cls == GOOD), BAD)
            nxt = next((first[j] for j in range(k + 1, n) if first[j] != SHORT or infos[j].cls == GOOD), BAD)
            w = float(min(i.words, c.bp_score_cap))
            scores.append(w if GOOD in (prev, nxt) else w * c.bp_lone_factor)
        elif i.headline:
            scores.append(-c.bp_headline_penalty * min(i.words, c.bp_score_cap))
        else:
            scores.append(-c.bp_bad_penalty * max(1.0, min(i.words, c.bp_score_cap) ** 0.5))
    s, e, best = _best_segment(scores, 0, len(scores))
    keep = [False] * len(lines)
    if s < 0:
        return infos, first, scores, keep, (s, e)
    for k in range(s, e + 1):
        keep[k] = infos[k].cls == GOOD
    # other blocks of prose: kept when dense enough relative to the main block
    segments = [(s, e)]
    todo = [(0, s), (e + 1, len(lines))]
    while todo:
        lo, hi = todo.pop()
        if hi - lo <= 0:
            continue
        s2, e2, val = _best_segment(scores, lo, hi)
        if s2 < 0 or val < max(c.bp_extra_min, c.bp_extra_share * best):
            continue
        gap = min(abs(s2 - b) if s2 > b else abs(a - e2) for a, b in segments)
        if gap > c.bp_max_gap and val < c.bp_far_share * best:
            continue
        segments.append((s2, e2))
        for k in range(s2, e2 + 1):
            keep[k] = infos[k].cls == GOOD
        todo += [(lo, s2), (e2 + 1, hi)]
    return infos, first, scores, keep, (s, e)


def keep_mask(lines: list[str], config: CleanConfig | None = None, forced_bad: list[bool] | None = None) -> list[bool]:
    """For each line: True when it belongs to the article's main text.

    ``forced_bad`` marks lines already known to be furniture (rules, corpus learning): they
    are never kept and count against the block they sit in. With ``config.bp_learnt`` (the
    default) a small logistic regression over each line's features and its neighbours'
    (shipped in ``storyline/data/clean_lines.json``) makes the final call, with the rule pass's
    decision among its inputs.
    """
    c = config or CleanConfig()
    if not lines:
        return []
    infos, first, scores, keep, main = _rule_pass(lines, c, forced_bad)
    model = line_model() if c.bp_learnt else None
    if model is not None and main[0] >= 0:
        feats = line_features(infos, first, scores, keep, main, forced_bad)
        probs = _predict(model, feats)
        if model.get("stage2"):
            probs = _predict(model["stage2"], stage2_features(feats, probs))
        keep = _learnt_keep(infos, probs, c, forced_bad, model.get("mode"))
    _extend_lists(infos, keep, forced_bad)
    return keep


# ----------------------------------------------------------------------------- learnt line model

_DEFAULT_MODE: dict[str, Any] = {"mode": "block", "inside": 0.3, "extra": 0.2}


def _learnt_keep(infos, probs, c: CleanConfig, forced_bad, mode: dict[str, Any] | None = None) -> list[bool]:
    """Lines to keep given the model's probabilities: in "line" mode each line on its own; in
    "block" mode the densest runs of likely lines (max-sum segments over (p - threshold) weighted
    by length; further runs when at least ``extra`` times as strong as the best), and inside them
    the lines with p >= ``inside``."""
    m = mode or _DEFAULT_MODE
    t = c.bp_learnt_threshold
    n = len(infos)
    if m["mode"] == "line":
        return [p >= t and not (forced_bad and forced_bad[k]) for k, p in enumerate(probs)]
    # block mode: the densest run of lines the model likes (short dislikes inside it are tolerated)
    scores = [(p - t) * 2.0 * max(1.0, min(i.words, c.bp_score_cap) ** 0.5) for i, p in zip(infos, probs, strict=True)]
    s, e, best = _best_segment(scores, 0, n)
    keep = [False] * n
    if s < 0:
        return keep
    inside = m["inside"]
    segs = [(s, e)]
    todo = [(0, s), (e + 1, n)]
    while todo:
        lo, hi = todo.pop()
        if hi - lo <= 0:
            continue
        s2, e2, val = _best_segment(scores, lo, hi)
        if s2 < 0 or val < m["extra"] * best:
            continue
        segs.append((s2, e2))
        todo += [(lo, s2), (e2 + 1, hi)]
    for a, b in segs:
        for k in range(a, b + 1):
            keep[k] = probs[k] >= inside and not (forced_bad and forced_bad[k])
    return keep


_MODEL: dict | None = None
_MODEL_LOADED = False


def line_model() -> dict | None:
    """The shipped line model (fitted by eval/train_clean.py on the tune half of aeb), or None."""
    global _MODEL, _MODEL_LOADED
    if not _MODEL_LOADED:
        from importlib import resources

        try:
            text = resources.files("storyline").joinpath("data/clean_lines.json").read_text(encoding="utf-8")
            _MODEL = json.loads(text)
        except (FileNotFoundError, OSError, ValueError):
            _MODEL = None
        _MODEL_LOADED = True
    return _MODEL


def set_line_model(model: dict | None) -> None:
    """Replace the line model (training and evaluation scripts)."""
    global _MODEL, _MODEL_LOADED
    _MODEL, _MODEL_LOADED = model, True


_FOLDED: dict[int, tuple] = {}


def _predict(model: dict, feats: list[list[float]]) -> list[float]:
    """Probabilities of the logistic model (standardisation folded into the weights)."""
    import numpy as np

    hit = _FOLDED.get(id(model))
    if hit is None or hit[0] is not model:
        coef, mean, scale = (np.asarray(model[k], dtype=float) for k in ("coef", "mean", "scale"))
        w = coef / scale
        hit = _FOLDED[id(model)] = (model, w, float(model["intercept"]) - float(w @ mean))
        if len(_FOLDED) > 64:
            _FOLDED.clear()
            _FOLDED[id(model)] = hit
    _, w, b = hit
    if len(feats) == 0:
        return []
    z = np.clip(np.asarray(feats, dtype=float) @ w + b, -30.0, 30.0)
    return (1.0 / (1.0 + np.exp(-z))).tolist()


_DIGIT = re.compile(r"\d")
_CAPTION = re.compile(
    r"\b(?:photos?|photograph(?:ed|er)?|image|picture|pictured|illustration|video|file photo|getty|afp|reuters|"
    r"ap photo|shutterstock|credit|courtesy)\b",
    re.I,
)
_DATEISH = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|\b\d{1,2}:\d{2}\b|"
    r"\b(?:19|20)\d\d\b|\b(?:published|updated|posted|last modified)\b",
    re.I,
)
_LINKISH = re.compile(
    r"\b(?:related|read more|more from|more on|see also|recommended|popular|trending|links?|share|comments?|"
    r"subscribe|newsletter|follow us|sign up|log in|advertisement|sponsored|copyright|all rights reserved|"
    r"cookies?|privacy|terms of|contact us|about us|tags?|topics?|filed under|click here)\b|[©|»›]",
    re.I,
)
_ABOUT = re.compile(r"^\s*(?:about|media contact|contact|for more information|notes to editors|disclaimer)\b", re.I)
_LOCAL = (
    "log_words",
    "stop",
    "ends",
    "punct",
    "headline",
    "forced",
    "c_good",
    "c_near",
    "c_short",
    "smooth_good",
    "rule_keep",
    "score",
    "upper",
    "digits",
    "chars_per_word",
    "caption",
    "dateish",
    "linkish",
    "about",
    "quote_open",
    "starts_lower",
)
FEATURES = (
    list(_LOCAL)
    + [
        f"{p}_{f}"
        for p in ("p1", "n1")
        for f in ("log_words", "stop", "ends", "c_good", "rule_keep", "headline", "forced")
    ]
    + [f"{p}_{f}" for p in ("p2", "n2") for f in ("log_words", "rule_keep")]
    + [f"{p}_{f}" for p in ("p1", "n1") for f in ("caption", "dateish", "linkish")]
    + [
        "in_main",
        "dist_main",
        "rel_pos",
        "before_first_good",
        "after_last_good",
        "win_good",
        "win_words",
        "win_keep",
        "lone_short_run",
        "prose_before",
        "prose_after",
        "after_last_long",
        "before_first_long",
        "lone_good",
        "win_headlines",
        "teaser",
        "win_linkish",
    ]
)


def stage2_features(feats: list[list[float]], probs: list[float]) -> list[list[float]]:
    """The line's features plus the first model's probabilities around it (context, as a
    second-stage stacked model)."""
    n = len(probs)
    out = []
    for k in range(n):
        row = list(feats[k]) + [probs[k]]
        for w in (1, 3, 8):
            lo, hi = max(0, k - w), min(n, k + w + 1)
            row.append(sum(probs[lo:k]) / max(1, k - lo))
            row.append(sum(probs[k + 1 : hi]) / max(1, hi - k - 1))
        row.append(max(probs[:k], default=0.0))
        row.append(max(probs[k + 1 :], default=0.0))
        out.append(row)
    return out


def line_features(infos, first, scores, keep, main, forced_bad):
    """One feature vector per line (names in FEATURES), as an (n_lines, n_features) array."""
    n = len(infos)
    local = []
    for k, i in enumerate(infos):
        toks = _TOKEN.findall(i.text)
        caps = sum(map(str.isupper, [t[0] for t in toks]))
        local.append(
            [
                math.log1p(i.words),
                i.stop,
                float(i.ends),
                min(i.punct, 6) / 6.0,
                float(i.headline),
                float(bool(forced_bad and forced_bad[k])),
                float(first[k] == GOOD),
                float(first[k] == NEAR),
                float(first[k] == SHORT),
                float(i.cls == GOOD),
                float(keep[k]),
                max(-1.0, min(1.0, scores[k] / 30.0)),
                caps / len(toks) if toks else 0.0,
                len(_DIGIT.findall(i.text)) / max(1, i.chars),
                min(i.chars / max(1, len(toks)), 15.0) / 15.0,
                float(bool(_CAPTION.search(i.text))),
                float(i.words < 15 and bool(_DATEISH.search(i.text))),
                float(bool(_LINKISH.search(i.text))),
                float(bool(_ABOUT.match(i.text))),
                float(i.text[:1] in "\"“‘'"),
                float(i.text[:1].islower()),
            ]
        )
    import numpy as np

    L = np.asarray(local, dtype=float).reshape(n, len(_LOCAL))
    z = np.zeros((1, L.shape[1]))
    p1, n1 = np.vstack([z, L[:-1]])[:n], np.vstack([L[1:], z])
    p2, n2 = np.vstack([z, z, L[:-2]])[:n], np.vstack([L[2:], z, z])[:n]
    sel1 = [0, 1, 2, 6, 10, 4, 5]
    sel2 = [0, 10]
    sel3 = [15, 16, 17]
    idx = np.arange(n)
    is_good = np.array([x == GOOD for x in first], dtype=bool)
    goods = np.flatnonzero(is_good)
    words = np.array([i.words for i in infos], dtype=float)
    longs = np.flatnonzero(is_good & (words >= 25))
    fl, ll = (longs[0], longs[-1]) if len(longs) else (n, -1)
    fg, lg = (goods[0], goods[-1]) if len(goods) else (n, -1)
    gw = np.where(is_good, words, 0.0)
    total = float(gw.sum()) or 1.0
    cum = np.concatenate([[0.0], np.cumsum(gw)[:-1]])
    s, e = main
    # short-line runs
    run = [0] * n
    k = 0
    while k < n:
        j = k
        while j < n and infos[j].words < 8:
            j += 1
        for t in range(k, j):
            run[t] = j - k
        k = max(j, k + 1)

    def window(col: np.ndarray, before: int, after: int, norm: float | None = None) -> np.ndarray:
        P = np.concatenate([[0.0], np.cumsum(col)])
        lo, hi = np.maximum(0, idx - before), np.minimum(n, idx + after + 1)
        return (P[hi] - P[lo]) / (hi - lo if norm is None else norm)

    dist = np.where((idx >= s) & (idx <= e), 0, np.where(idx < s, s - idx, idx - e))
    head = L[:, 4] > 0
    prev_good = np.concatenate([[False], is_good[:-1]])
    next_good = np.concatenate([is_good[1:], [False]])
    prev_head = np.concatenate([[False], head[:-1]])
    next_head = np.concatenate([head[1:], [False]]) | np.concatenate([head[2:], [False, False]])[:n]
    extra = np.column_stack(
        [
            ((idx >= s) & (idx <= e)).astype(float),
            np.log1p(dist),
            idx / max(1, n - 1),
            (idx < fg).astype(float),
            (idx > lg).astype(float),
            window(is_good.astype(float), 3, 3),
            window(L[:, 0], 3, 3),
            window(L[:, 10], 3, 3),
            np.log1p(np.array(run, dtype=float)),
            cum / total,
            (total - cum - gw) / total,
            (idx > ll).astype(float),
            (idx < fl).astype(float),
            (is_good & ~prev_good & ~next_good).astype(float),
            window(head.astype(float), 4, 4, 9.0),
            # a prose line right after a headline-like line, itself followed by another headline (a teaser list)
            (prev_head & next_head).astype(float),
            window(L[:, 17], 4, 4, 9.0),
        ]
    )
    X = np.hstack([L, p1[:, sel1], n1[:, sel1], p2[:, sel2], n2[:, sel2], p1[:, sel3], n1[:, sel3], extra])
    return X


_ITEM = re.compile(r"^\s*(\d{1,3})\s*[.)]\s+\S")


def _extend_lists(infos: list[LineInfo], keep: list[bool], forced_bad: list[bool] | None, max_items: int = 20) -> None:
    """Lists inside the text are part of it: the lines after a kept line that announces them
    (ending with ":") up to the next kept line; and a numbered list (1., 2., 3. ...) that starts
    right after kept text, with at most one line between consecutive items."""
    n = len(infos)
    for k in range(n):
        if keep[k] and infos[k].text.rstrip().endswith(":"):
            j = k + 1
            while (
                j < n
                and j - k <= max_items
                and not keep[j]
                and not (forced_bad and forced_bad[j])
                and infos[j].words < 25
            ):
                j += 1
            if j < n and keep[j] and j > k + 1:
                for t in range(k + 1, j):
                    keep[t] = True
    k = 0
    while k < n:
        if keep[k]:
            k += 1
            continue
        m = _ITEM.match(infos[k].text)
        prev_kept = any(keep[j] for j in range(max(0, k - 2), k))
        if not (m and m.group(1) == "1" and prev_kept):
            k += 1
            continue
        items, expect, j, last = [k], 2, k + 1, k
        while j < n and j - last <= 2:
            mj = _ITEM.match(infos[j].text)
            if mj and int(mj.group(1)) == expect:
                items.append(j)
                expect += 1
                last = j
            j += 1
        if len(items) >= 3:
            for t in range(
                items[0], items[-1] + 2 if items[-1] + 1 < n and items[-1] - items[-2] == 2 else items[-1] + 1
            ):
                if not (forced_bad and forced_bad[t]):
                    keep[t] = True
            k = items[-1] + 1
        else:
            k += 1
