"""Where quotes and sentences are in an article's text: quote marks, sentence offsets, sentences worth a parse."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from ..model import Article
from ..text import article_sentences
from .lexicon import CUE_VERBS

# sentences worth a parse: quote marks, "according to", or a reporting verb in a reporting form
CANDIDATE = re.compile(r"[\"“”‘]|``|\baccording to\b|\b(?:" + "|".join(CUE_VERBS) + r")\b", re.I)
NAMEISH = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+(?:\s+[A-Z][a-z.]*)*\s+[A-Z][a-z]+")
ROLE_INTRO = re.compile(
    r"\b(?:Minister|Secretary|President|Ambassador|Director|Chancellor|Premier|Governor|Senator|Mayor|General"
    r"|Commander|Chief|Head|leader|expert|analyst|scientist|professor|economist|envoy|adviser|advisor|spokes\w+)"
    r"\b(?:\s+of\s+\w+)?\s+[A-Z]"
)
_DQ = re.compile(r"“([^“”]*)”|\"([^\"]*)\"|``(.*?)''|“([^“”]*)$")
_SQ = re.compile(r"(?<![A-Za-z])‘([^‘’]+?)’(?![A-Za-z])")
WORD = re.compile(r"[A-Za-z0-9]+")


@dataclass
class Span:
    start: int  # in the paragraph, inside the marks
    end: int
    text: str


@dataclass
class Sent:
    index: int
    paragraph: int
    offset: int  # of the sentence in its paragraph
    text: str
    doc: Any = None
    parsed: bool = False  # full pipeline (else NER only)


def quote_spans(paragraph: str) -> list[Span]:
    spans: list[Span] = []
    for m in _DQ.finditer(paragraph):
        g = next(i for i in range(1, 5) if m.group(i) is not None)
        spans.append(Span(m.start(g), m.end(g), m.group(g)))
    for m in _SQ.finditer(paragraph):
        if not any(s.start <= m.start() < s.end for s in spans):
            spans.append(Span(m.start(1), m.end(1), m.group(1)))
    spans.sort(key=lambda s: s.start)
    return spans


def sentences(a: Article) -> list[Sent]:
    """The article's sentences with where each starts in its paragraph."""
    out: list[Sent] = []
    cursor: dict[int, int] = defaultdict(int)
    for s in article_sentences(a):
        para = a.paragraphs[s.paragraph]
        off = para.find(s.text, cursor[s.paragraph])
        if off < 0:
            off = cursor[s.paragraph]
        cursor[s.paragraph] = off + len(s.text)
        out.append(Sent(s.index, s.paragraph, off, s.text))
    return out


def title_like(text: str) -> bool:
    """A quoted title ("Gay Awareness Week 1998") rather than speech."""
    ws = [w for w in WORD.findall(text) if w.lower() not in {"of", "the", "a", "an", "and", "in", "on", "for", "to"}]
    return len(ws) <= 6 and sum(w[:1].isupper() or w.isdigit() for w in ws) >= 0.75 * max(1, len(ws))


def sent_at(psents: list[Sent], char: int) -> Sent:
    best = psents[0]
    for s in psents:
        if s.offset <= char:
            best = s
    return best


def in_quote(spans: list[Span], char: int) -> bool:
    return any(sp.start <= char < sp.end for sp in spans)


def words_between(text: str, limit: int) -> bool:
    return len(WORD.findall(text)) <= limit
