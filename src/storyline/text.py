"""Small, fast text utilities shared by every stage (pure functions).

Sentence splitting here is rule-based on purpose: it runs at tens of thousands
of sentences a second, where spaCy's parser manages ~90 documents a second.
Stages that need syntax (quotes, NER) use spaCy themselves.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .model import Article, Sentence

_ABBREV = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sen",
    "rep",
    "gov",
    "gen",
    "col",
    "lt",
    "sgt",
    "capt",
    "st",
    "jr",
    "sr",
    "inc",
    "corp",
    "co",
    "ltd",
    "vs",
    "etc",
    "no",
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
    "u.s",
    "u.k",
    "u.n",
    "e.g",
    "i.e",
    "a.m",
    "p.m",
    "dept",
    "pres",
    "fig",
    "mt",
    "ft",
    "ave",
    "blvd",
    "rev",
    "hon",
    "messrs",
    "adm",
    "maj",
    "cmdr",
    "brig",
    "supt",
    "op",
}

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) then whitespace,
# and the next sentence starts with an opening quote, a capital or a digit.
_BOUNDARY = re.compile(r"([.!?…]+[\"'”’»)\]]*)(\s+)(?=[\"'“‘«(\[]?[A-Z0-9À-ÖØ-Þ])")
_WORD = re.compile(r"\w+", re.UNICODE)
_LAST = re.compile(r"([\w.]+)[.!?…]+[\"'”’»)\]]*$")


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences (abbreviation- and initial-aware)."""
    text = text.strip()
    if not text:
        return []
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end(1)
        if m.group(1).startswith("."):
            # the token just before the period (searched in a window; the whole sentence only if the
            # window may have cut it, so the result is the same as searching text[start:end])
            lo = max(start, end - 32)
            last = _LAST.search(text, lo, end)
            if lo > start and (last is None or last.start() == lo):
                last = _LAST.search(text, start, end)
            if last:
                tok = last.group(1).lower().rstrip(".")
                if tok in _ABBREV or (len(tok) == 1 and tok.isalpha()):
                    continue
        piece = text[start:end].strip()
        if piece:
            out.append(piece)
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


def article_sentences(article: Article) -> list[Sentence]:
    """All sentences of an article, numbered in reading order."""
    sents: list[Sentence] = []
    for p_i, para in enumerate(article.paragraphs):
        for s in split_sentences(para):
            sents.append(Sentence(article_id=article.id, index=len(sents), paragraph=p_i, text=s))
    return sents


_LETTER_WORD = re.compile(r"[^\W\d_]{2,}")  # two or more letters of any script (Latin, Cyrillic, Arabic...)


def letter_words(text: str) -> int:
    """How many words of two or more letters ``text`` has, in any script (digits and punctuation not counted)."""
    return len(_LETTER_WORD.findall(text))


def words(text: str) -> list[str]:
    """Lowercased word tokens."""
    return [w.lower() for w in _WORD.findall(text)]


def shingles(tokens: list[str], k: int) -> set[str]:
    """Word k-shingles; a text shorter than k gives one shingle of all its words."""
    if not tokens:
        return set()
    if len(tokens) < k:
        return {" ".join(tokens)}
    return {" ".join(tokens[i : i + k]) for i in range(len(tokens) - k + 1)}


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    """scikit-learn's English stopwords, read from the package's copy (importing scikit-learn for them costs
    seconds per process)."""
    from importlib import resources

    raw = resources.files("storyline").joinpath("data/stopwords_en.txt").read_text("utf-8")
    return frozenset(w for w in (ln.strip() for ln in raw.splitlines()) if w and not w.startswith("#"))


def content_words(text: str) -> list[str]:
    sw = stopwords()
    return [w for w in words(text) if w not in sw and not w.isdigit() and len(w) > 1]
