"""Direct quotes: the spans between quote marks, and their speakers from the frame around them.

The speaker comes from the speech verb after the quote ("…,” he said), else before it (X said: “…”; according to
X, “…”), or from a quote that opens with its attribution. A quote with no attribution right after another one
continues it.
"""

from __future__ import annotations

from collections import defaultdict

from ..model import Article, Quote
from .lexicon import PRONOUNS, SPEECH_VERBS
from .mentions import ArticleContext
from .spans import WORD, Sent, Span, sent_at, title_like, words_between
from .speakers import Found, according, name_phrase, speaker_of


def direct_quotes(
    ctx: ArticleContext, a: Article, sents: list[Sent], spans: list[list[Span]], min_quote_words: int
) -> tuple[list[Found], set[int]]:
    """The article's direct quotes in text order, and the sentences they cover. Records each speaker in ctx."""
    out: list[Found] = []
    quoted_sents: set[int] = set()
    last: Found | None = None
    by_para: dict[int, list[Sent]] = defaultdict(list)
    for s in sents:
        by_para[s.paragraph].append(s)

    for p_i, pspans in enumerate(spans):
        psents = by_para.get(p_i, [])
        if not psents:
            continue
        for sp in pspans:
            words = WORD.findall(sp.text)
            if len(words) < min_quote_words or title_like(sp.text):
                continue
            s_start = sent_at(psents, sp.start)
            s_end = sent_at(psents, max(sp.start, sp.end - 1))
            attr = _attribution(ctx, s_start, s_end, sp)
            if attr is None:
                # continuation of the previous quote of this (or the previous) paragraph
                prefix = s_start.text[: max(0, sp.start - s_start.offset)]
                if (
                    last is not None
                    and len(WORD.findall(prefix)) <= 1
                    and last.quote.sentence_index is not None
                    and s_start.index - last.quote.sentence_index <= 3
                ):
                    attr = (last.quote.speaker, last.name_kind, last.raw)
                else:
                    continue
            inner = _inner_attribution(ctx, s_start, sp)
            if inner is not None:
                attr = inner
            speaker, kind, raw = attr
            q = Quote(
                text=sp.text.strip(" ,"),
                speaker=speaker,
                speaker_kind=kind,
                kind="direct",
                article_id=a.id,
                sentence_index=s_start.index,
                speaker_as_written=raw,
            )
            f = Found(q, kind, raw)
            out.append(f)
            last = f
            if speaker and kind in ("person", "unnamed", "organization"):
                ctx.said.append((s_end.index, sp.end - s_end.offset, speaker, kind))
                ctx.said.sort()
            for i in range(s_start.index, s_end.index + 1):
                quoted_sents.add(i)
            if kind == "unnamed" and raw:
                ctx.unnamed_seen.append((s_start.index, speaker or raw))

    return out, quoted_sents


def _attribution(ctx: ArticleContext, s_start: Sent, s_end: Sent, sp: Span):
    """Speaker of a direct quote from the frame after it, else before it."""
    # after the quote, in the sentence where it ends
    doc = s_end.doc
    q_end = sp.end - s_end.offset
    after = [t for t in doc if t.idx >= q_end + 1]
    verb = next(
        (t for t in after[:12] if t.lower_ in SPEECH_VERBS and t.pos_ in ("VERB", "AUX", "NOUN", "PROPN")), None
    )
    if verb is not None and not words_between(doc.text[q_end : verb.idx], 8):
        verb = None
    if verb is not None:
        r = speaker_of(ctx, verb, s_end, (None, q_end + 1))
        if r is not None:
            return r
    # before the quote, in the sentence where it starts
    doc = s_start.doc
    q_start = sp.start - s_start.offset
    before = [t for t in doc if t.idx + len(t) <= q_start]
    if before:
        acc = [t for t in before if t.lower_ == "according" and t.i + 1 < len(doc) and doc[t.i + 1].lower_ == "to"]
        verbs = [t for t in before if t.lower_ in SPEECH_VERBS and t.pos_ in ("VERB", "AUX")]
        prefix = doc.text[:q_start].rstrip()
        if not verbs and prefix.endswith(":"):
            verbs = [t for t in before if t.pos_ == "VERB"]
        if verbs:
            r = speaker_of(ctx, verbs[-1], s_start, (q_start, None))
            if r is not None:
                return r
        if acc:
            r = according(ctx, acc[-1], s_start)
            if r is not None:
                return r
    return None


def _inner_attribution(ctx: ArticleContext, s: Sent, sp: Span):
    """A quote that itself opens with its attribution ("a senior official acknowledged that ...")."""
    doc = s.doc
    q0, q1 = sp.start - s.offset, sp.end - s.offset
    inside = [t for t in doc if q0 <= t.idx < q1][:10]
    for t in inside:
        if t.lower_ in SPEECH_VERBS and t.pos_ == "VERB" and any(c.dep_ == "ccomp" for c in t.children):
            subj = next((c for c in t.children if c.dep_ in ("nsubj", "nsubjpass")), None)
            if subj is not None and subj.left_edge.idx == inside[0].idx and subj.lower_ not in PRONOUNS:
                return name_phrase(ctx, subj, s)
    return None
