"""Who an article names, and where: the context "he said" or "the minister said" is resolved against."""

from __future__ import annotations

from dataclasses import dataclass, field

from .lexicon import PERSON_ROLES, ROLE_STOP, SPEECH_VERBS
from .names import clean_name
from .spans import Sent, Span, in_quote


@dataclass
class ArticleContext:
    """What one article of one call has named and quoted so far.

    Made per article and per call, passed explicitly: the extractor holds only the model and its settings, so
    threads that share one extractor (the HTTP API's story builders) never see each other's articles.
    """

    surnames: frozenset[str]  # of every PERSON the story's articles name
    persons: list[tuple[int, int, str, str]] = field(default_factory=list)  # (sentence, char, name, "person")
    mentions: list[tuple[int, int, str]] = field(default_factory=list)  # PERSON entities outside quotes
    roles: list[tuple[int, set[str], str]] = field(default_factory=list)  # (sentence, role words, name)
    unnamed_seen: list[tuple[int, str]] = field(default_factory=list)  # anonymous sources quoted so far
    said: list[tuple[int, int, str, str]] = field(default_factory=list)  # (sentence, char, speaker, kind) so far

    def resolve_pronoun(self, sent_index: int, char: int, kinds=("person", "unnamed")) -> tuple[str, str] | None:
        """Nearest preceding speaker or person named as a subject (within a few sentences)."""
        best = None
        for si, ci, name, kind in sorted(self.persons + self.said):
            if (si, ci) >= (sent_index, char):
                break
            if sent_index - si > 6 or kind not in kinds:
                continue
            best = (name, kind)
        return best

    def last_mention(self, sent_index: int, char: int) -> str | None:
        """The person named last before (sentence, char), within two sentences."""
        best = None
        for si, ci, name in self.mentions:
            if (si, ci) >= (sent_index, char):
                break
            if sent_index - si <= 2 and name:
                best = name
        return best

    def resolve_role(self, phrase_words: list[str], sent_index: int) -> str | None:
        keys = {w for w in phrase_words if w not in ROLE_STOP}
        best, best_score = None, 0
        for si, role, name in self.roles:
            if si > sent_index:
                break
            score = len(keys & role)
            if score >= best_score and score > 0:
                best, best_score = name, score
        return best


def article_context(sents: list[Sent], spans: list[list[Span]], surnames: frozenset[str]) -> ArticleContext:
    """A fresh context for one article: its people named as subjects, its PERSON mentions outside quotes, the
    people it introduces with a role; nothing quoted yet."""
    return ArticleContext(
        surnames,
        persons=_person_mentions(sents, spans, surnames),
        mentions=[
            (s.index, e.start_char, clean_name(e.text))
            for s in sents
            for e in s.doc.ents
            if e.label_ == "PERSON" and not in_quote(spans[s.paragraph], s.offset + e.start_char)
        ],
        roles=_role_mentions(sents, spans),
    )


def _person_mentions(
    sents: list[Sent], spans: list[list[Span]], surnames: frozenset[str]
) -> list[tuple[int, int, str, str]]:
    """People named as grammatical subjects outside quotes: (sentence, char, name, "person")."""
    out = []
    for s in sents:
        doc = s.doc
        if not s.parsed:
            out += [
                (s.index, e.start_char, clean_name(e.text), "person")
                for e in doc.ents
                if e.label_ == "PERSON" and not in_quote(spans[s.paragraph], s.offset + e.start_char)
            ]
            continue
        for t in doc:
            if t.dep_ not in ("nsubj", "nsubjpass") or t.pos_ != "PROPN" or not _main_subject(t):
                continue
            if in_quote(spans[s.paragraph], s.offset + t.idx):
                continue
            if t.ent_type_ == "PERSON" or t.text in surnames:
                out.append((s.index, t.idx, propn_name(t), "person"))
        for t in doc:  # "The leader of the party, Husamettin Cindoruk, said ..."
            if t.dep_ in ("nsubj", "nsubjpass") and t.pos_ == "NOUN" and _main_subject(t):
                for c in t.children:
                    if c.dep_ == "appos" and c.ent_type_ == "PERSON":
                        out.append((s.index, t.idx, propn_name(c), "person"))
    return out


def propn_name(t) -> str:
    """The name a PROPN head stands for: its PERSON entity, else its PROPN compounds + itself."""
    if t.ent_type_ == "PERSON":
        for e in t.doc.ents:
            if e.start <= t.i < e.end:
                return clean_name(e.text)
    first = t.i
    while (
        first - 1 >= 0
        and t.doc[first - 1].pos_ == "PROPN"
        and t.doc[first - 1].dep_ in ("compound", "flat")
        and t.doc[first - 1].head.i in range(first, t.i + 1)
        and t.doc[first - 1].lower_ not in PERSON_ROLES
    ):
        first -= 1
    last = t.i
    while (
        last + 2 < len(t.doc)
        and t.doc[last + 1].text == "-"
        and not t.doc[last].whitespace_
        and not t.doc[last + 1].whitespace_
        and t.doc[last + 2].pos_ == "PROPN"
    ):
        last += 2  # al-Zuwiy
    return clean_name(t.doc[first : last + 1].text)


def _role_mentions(sents: list[Sent], spans: list[list[Span]]) -> list[tuple[int, set[str], str]]:
    """People introduced with a role: "Russian Foreign Minister Sergei Lavrov" -> ({foreign, minister, ...}, name)."""
    out = []
    for s in sents:
        doc = s.doc
        for e in doc.ents:
            if e.label_ != "PERSON" or in_quote(spans[s.paragraph], s.offset + e.start_char):
                continue
            name = clean_name(e.text)
            if not name:
                continue
            role: set[str] = set()
            # the words just before the name ("US Secretary of State", "political scientist")
            i = e.start - 1
            while i >= 0 and e.start - i <= 6:
                t = doc[i]
                if t.is_punct or t.ent_type_ == "PERSON" or t.pos_ in ("VERB", "AUX", "PRON", "SCONJ"):
                    break
                if t.lower_ not in ROLE_STOP:
                    role.add(t.lower_)
                i -= 1
            # appositions after the name ("Dmitry Suslov, Deputy Director of ...")
            j = e.end
            if j < len(doc) and doc[j].text == ",":
                for t in doc[j + 1 : j + 8]:
                    if t.is_punct or t.pos_ in ("VERB", "AUX"):
                        break
                    if t.lower_ not in ROLE_STOP:
                        role.add(t.lower_)
            if role:
                out.append((s.index, role, name))
    return out


def _main_subject(t) -> bool:
    """Subject of the main clause or of a speech verb (not of a clause reported inside another)."""
    return t.head.dep_ == "ROOT" or t.head.lower_ in SPEECH_VERBS
