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

import re
from collections import Counter
from dataclasses import dataclass

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
            if c == GOOD or c == BAD:
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


def keep_mask(lines: list[str], config: CleanConfig | None = None, forced_bad: list[bool] | None = None) -> list[bool]:
    """For each line: True when it belongs to the article's main text.

    ``forced_bad`` marks lines already known to be furniture (rules, corpus learning): they
    are never kept and count against the block they sit in.
    """
    c = config or CleanConfig()
    if not lines:
        return []
    sw = page_stopwords(lines)
    infos = [line_info(s, sw) for s in lines]
    for k, i in enumerate(infos):
        i.cls = BAD if forced_bad and forced_bad[k] else classify(i, c)
    first = [i.cls for i in infos]
    _smooth(infos, c.bp_max_short_run)
    scores = []
    n = len(infos)
    for k, (i, f) in enumerate(zip(infos, first)):
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
    if s < 0:
        return [False] * len(lines)
    keep = [False] * len(lines)
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
    _extend_lists(infos, keep, forced_bad)
    return keep


_ITEM = re.compile(r"^\s*(\d{1,3})\s*[.)]\s+\S")


def _extend_lists(infos: list[LineInfo], keep: list[bool], forced_bad: list[bool] | None, max_items: int = 20) -> None:
    """Lists inside the text are part of it: the lines after a kept line that announces them
    (ending with ":") up to the next kept line; and a numbered list (1., 2., 3. ...) that starts
    right after kept text, with at most one line between consecutive items."""
    n = len(infos)
    for k in range(n):
        if keep[k] and infos[k].text.rstrip().endswith(":"):
            j = k + 1
            while j < n and j - k <= max_items and not keep[j] and not (forced_bad and forced_bad[j]) and infos[j].words < 25:
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
            for t in range(items[0], items[-1] + 2 if items[-1] + 1 < n and items[-1] - items[-2] == 2 else items[-1] + 1):
                if not (forced_bad and forced_bad[t]):
                    keep[t] = True
            k = items[-1] + 1
        else:
            k += 1
