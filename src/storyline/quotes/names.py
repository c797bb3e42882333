"""Person and organisation names: their written forms cleaned, and one name per person across a story."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from ..model import Quote
from .spans import Sent


def clean_name(name: str) -> str:
    name = re.sub(r"['’]s$", "", name.strip())
    name = re.sub(r"^(?:Mr|Mrs|Ms|Dr|Prof)\.?\s+", "", name)
    name = re.sub(r"[^\w\s.\-']", "", name).strip()
    return re.sub(r"\s+", " ", name)


def trim_raw(raw: str) -> str:
    """Drop what a parse drags in from a dateline ("EIRNS)—United States ..." -> "United States ...")."""
    raw = re.split(r"[)\]—–]\s*", raw)[-1]
    return raw.strip(" ,:;\"“”‘’'")


def clean_org(name: str) -> str:
    return re.sub(r"^the\s+", "", name.strip(), flags=re.I)


def _compatible_first(a: str, b: str) -> bool:
    a, b = a.lower().rstrip("."), b.lower().rstrip(".")
    if a == b:
        return True
    if not a or not b or a[0] != b[0]:
        return False
    if len(a) == 1 or len(b) == 1 or a.startswith(b) or b.startswith(a):
        return True
    return _edit_distance(a, b) <= max(1, min(len(a), len(b)) // 4)


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def name_clusters(names: list[str]) -> dict[str, str]:
    """Map every person name to its canonical form (see module doc)."""
    counts = Counter(n for n in names if n)
    by_surname: dict[str, list[str]] = defaultdict(list)
    for n in counts:
        parts = n.split()
        by_surname[parts[-1].lower()].append(n)
    out: dict[str, str] = {}
    for forms in by_surname.values():
        full = [f for f in forms if len(f.split()) >= 2]
        # cluster full forms by compatible first names
        clusters: list[list[str]] = []
        for f in sorted(full, key=lambda x: (-counts[x], x)):
            first = f.split()[0]
            for c in clusters:
                if all(_compatible_first(first, g.split()[0]) for g in c):
                    c.append(f)
                    break
            else:
                clusters.append([f])
        for c in clusters:
            total = Counter({f: counts[f] for f in c})
            # most frequent full form; ties -> the longer first name (Jennifer over Jen), then alphabetical
            canon = sorted(c, key=lambda x: (-total[x], -len(x.split()[0]), x))[0]
            for f in c:
                out[f] = canon
        for f in forms:
            if len(f.split()) < 2:
                out[f] = clusters[0][0] if len(clusters) == 1 else f
                if len(clusters) == 1:
                    c = clusters[0]
                    out[f] = out[c[0]]
    return out


def story_surnames(sents: list[Sent]) -> frozenset[str]:
    """The capitalised last words of every PERSON the story's sentences name ("Lavrov", "Psaki")."""
    surnames: set[str] = set()
    for s in sents:
        for e in s.doc.ents:
            if e.label_ == "PERSON":
                n = clean_name(e.text)
                if n and n.split()[-1][:1].isupper():
                    surnames.add(n.split()[-1])
    return frozenset(surnames)


def normalise(quotes: list[Quote], sents: list[Sent]) -> None:
    """One name per person across the story (name_clusters over its PERSON entities and person speakers), in place;
    an organisation or unknown speaker the story names as a person becomes that person."""
    names: list[str] = []
    for s in sents:
        for e in s.doc.ents:
            if e.label_ == "PERSON":
                n = clean_name(e.text)
                if n:
                    names.append(n)
    for q in quotes:
        if q.speaker_kind == "person" and q.speaker:
            names.append(q.speaker)
    canon = name_clusters(names)
    known = set(canon)
    by_surname: dict[str, set[str]] = defaultdict(set)
    for n, c in canon.items():
        if len(c.split()) >= 2:
            by_surname[n.split()[-1]].add(c)
    for q in quotes:
        # NER calls a person an ORG/GPE now and then: a speaker the story names as a person is one
        if q.speaker_kind in ("organization", "unknown") and q.speaker:
            if q.speaker in known:
                q.speaker_kind = "person"
            elif " " not in q.speaker and len(by_surname.get(q.speaker, ())) == 1:
                q.speaker_kind = "person"
                q.speaker = next(iter(by_surname[q.speaker]))
    for q in quotes:
        if q.speaker_kind == "person" and q.speaker:
            q.speaker = canon.get(q.speaker, q.speaker)
