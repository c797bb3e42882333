"""Cheap named-entity candidates for clustering: runs of capitalised words, normalised to keys."""

from __future__ import annotations

import re
from functools import lru_cache

from ..text import stopwords

_CONNECT = {"of", "de", "la", "al", "bin", "von", "van", "der", "du", "del", "da", "le", "el", "for"}
_NOT_ENTITY = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "i",
    "a",
    "an",
    "the",
    "he",
    "she",
    "it",
    "we",
    "they",
    "his",
    "her",
    "their",
    "our",
    "this",
    "that",
    "these",
    "those",
    "there",
    "here",
    "but",
    "and",
    "or",
    "if",
    "in",
    "on",
    "at",
    "as",
    "after",
    "before",
    "when",
    "while",
    "however",
    "meanwhile",
    "also",
    "according",
    "earlier",
    "later",
    "last",
    "next",
    "today",
    "yesterday",
}


def _norm_entity(s: str) -> str:
    s = s.replace("’", "'")
    s = re.sub(r"'s$", "", s)
    s = s.strip(".-'")
    return re.sub(r"\s+", " ", s).lower()


_CAP_RUN = re.compile(
    r"(?<![\w'’])[A-Z][\w'’.\-]*(?:[ \t]+(?:(?:of|de|la|al|bin|von|van|der|du|del|da|le|el|for)[ \t]+)?[A-Z][\w'’.\-]*)*"
)
_LOWER_WORD = re.compile(r"\b[a-z][a-z'’\-]+\b")
_SENT_START = re.compile(r"(?:^|[.!?:;…]['\"”’»)\]]*|[\n(\"“‘«\[—–-])\s*$")


def extract_entities(text: str) -> list[tuple[str, str]]:
    """Cheap named-entity candidates: runs of capitalised words (with 'of', 'de', ... inside).

    Returns ``(key, surface)`` pairs with repeats (counts matter): each multi-word name and each
    of its capitalised words, so "Vladimir Putin" and a later "Putin" overlap. A run never crosses
    punctuation; a sentence-initial word that the text also uses in lower case ("Following") or a
    function word ("The", "However") is not a name. ~100x faster than spaCy NER (eval/cluster.py).
    """
    sw = stopwords()
    lower_words = set(_LOWER_WORD.findall(text))
    out: list[tuple[str, str]] = []
    for m in _CAP_RUN.finditer(text):
        words_ = m.group(0).split()
        start = m.start() == 0 or _SENT_START.search(text, max(0, m.start() - 3), m.start()) is not None
        # a word ending with a period inside the run ends a sentence ("Post. The"): split there
        runs, cur = [], []
        for w in words_:
            if w.endswith(".") and len(w) > 3 and "." not in w[:-1]:
                cur.append(w[:-1])
                runs.append(cur)
                cur = []
            else:
                cur.append(w)
        if cur:
            runs.append(cur)
        for k, run in enumerate(runs):
            _entity_run(run, start or k > 0, lower_words, sw, out)
    return out


@lru_cache(maxsize=4096)
def _norm_entity_c(s: str) -> str:
    return _norm_entity(s)


def _entity_run(
    run: list[str], start: bool, lower_words: set[str], sw: frozenset[str], out: list[tuple[str, str]]
) -> None:
    if start and run and (run[0].lower() in lower_words or run[0].lower() in sw):
        run = run[1:]
    while run and (_norm_entity_c(run[0]) in _NOT_ENTITY or run[0].lower() in sw):
        run = run[1:]
    while run and (_norm_entity_c(run[-1]) in _NOT_ENTITY or run[-1].lower() in _CONNECT):
        run = run[:-1]
    if not run:
        return
    if len(run) > 1:
        surface = " ".join(run)
        out.append((_norm_entity_c(surface), surface))
    for w in run:
        if not w[0].isupper():
            continue
        key = _norm_entity_c(w)
        if len(key) > 1 and key not in sw and key not in _NOT_ENTITY:
            out.append((key, w[:-2] if w.endswith(("'s", "’s")) else w))
