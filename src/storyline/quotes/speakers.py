"""Speakers: the phrase a speech verb governs, or "according to" names, resolved to who spoke.

A PERSON entity names a person; a pronoun is the nearest person named before it, a role the person the article
introduced with it (ArticleContext); an anonymous source stays as written; organisations are organisation
speakers. Each function returns (speaker, kind, as written), or None where the phrase names no speaker.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Quote
from .lexicon import (
    DOCUMENT_HEADS,
    MEDIA_HEADS,
    ORG_WORDS,
    PERSON_ROLES,
    PRONOUNS,
    QUOTING_VERBS,
    UNNAMED_HEADS,
)
from .mentions import ArticleContext, propn_name
from .names import clean_name, clean_org, trim_raw
from .spans import Sent


@dataclass
class Found:
    """A quote, with how its speaker was named: the kind before normalisation and the words as written."""

    quote: Quote
    name_kind: str  # "person" | "organization" | "unnamed" | "unknown"
    raw: str | None


def speaker_of(ctx: ArticleContext, verb, s: Sent, outside: tuple[int | None, int | None]):
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
    return name_phrase(ctx, subj, s)


def according(ctx: ArticleContext, tok, s: Sent):
    to = tok.doc[tok.i + 1]
    pobj = next((c for c in to.children if c.dep_ == "pobj"), None)
    if pobj is None or pobj.lower_ in ("which", "whom", "this", "that", "it"):
        return None
    return name_phrase(ctx, pobj, s)


def name_phrase(ctx: ArticleContext, head, s: Sent):
    doc = head.doc
    low = head.lower_
    # "one of the officials of the State Department"
    if low in ("one", "some", "several", "many"):
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
    if (
        words
        and words[0] in ("a", "an", "another", "one", "some", "several", "two", "three")
        and head.pos_ == "NOUN"
        and low in PERSON_ROLES
        and head.ent_type_ != "PERSON"
    ):
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
            role_kids = [
                c
                for c in head.children
                if c.dep_ == "appos" and c.pos_ == "NOUN" and any(g.lower_ in ("a", "an") for g in c.children)
            ]
        if head.text in ctx.surnames or (role_kids and low not in PERSON_ROLES and words[0] != "the"):
            return (propn_name(head), "person", raw)
    if (
        words
        and words[0] == "the"
        and (low in PERSON_ROLES or (head.pos_ == "PROPN" and any(w in PERSON_ROLES for w in words)))
    ):
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
