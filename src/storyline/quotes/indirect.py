"""Indirect quotes: "X said that ...", "X told reporters ...", "according to X, ..." in the dependency parse."""

from __future__ import annotations

import re

from ..model import Article, Quote
from .lexicon import QUOTING_VERBS, SPEECH_VERBS
from .mentions import ArticleContext
from .spans import WORD, Sent
from .speakers import Found, according, speaker_of


def indirect_quote(ctx: ArticleContext, a: Article, s: Sent) -> Found | None:
    """The sentence as a reported statement: "according to X, ...", "X said (that) ..."."""
    doc = s.doc
    for t in doc:
        if t.lower_ == "according" and t.i + 1 < len(doc) and doc[t.i + 1].lower_ == "to":
            r = according(ctx, t, s)
            if r is None:
                continue
            to = doc[t.i + 1]
            pobj_end = max(x.i for x in to.subtree) + 1
            if t.i <= 1:
                content = doc[pobj_end:].text.strip(" ,.")
            else:
                content = doc[: t.i].text.strip(" ,.")
            if len(WORD.findall(content)) < 4:
                continue
            return _found(a, s, content, r)
    for t in doc:
        if t.lower_ not in SPEECH_VERBS or t.pos_ not in ("VERB",) or t.lower_ in QUOTING_VERBS:
            continue
        comp = next((c for c in t.children if c.dep_ == "ccomp"), None)
        if comp is None or comp.i < t.i:
            continue
        if t.lower_ in ("report", "reported", "reports", "asked", "ask", "continue", "continued"):
            continue
        if any(c.dep_ == "neg" for c in t.children):  # "has not said if ..."
            continue
        r = speaker_of(ctx, t, s, (None, None))
        if r is None or r[0] is None and r[1] == "unknown":
            continue
        content = doc[comp.left_edge.i : comp.right_edge.i + 1].text
        content = re.sub(r"^(?:that|,)\s+", "", content).strip(" ,.")
        if len(WORD.findall(content)) < 4:
            continue
        return _found(a, s, content, r)
    return None


def _found(a: Article, s: Sent, content: str, r) -> Found:
    speaker, kind, raw = r
    q = Quote(
        text=content,
        speaker=speaker,
        speaker_kind=kind,
        kind="indirect",
        article_id=a.id,
        sentence_index=s.index,
        speaker_as_written=raw,
    )
    return Found(q, kind, raw)
