"""A corpus with known copying, made of real article text, for the outlet tests (tests/test_outlets.py).

Each story is built from one cluster of related real articles (the seeds' 002/003/004, then DUC 2004 clusters
when ../shared/data has them): three articles sharing no sentence are the original ``O`` and two independent
reports. Around them, with known outlets and times (to the minute):

- ``O``  Alpha Wire, t0: the original.
- ``B``  Beta Times, t0 + LAG_B[k]: O plus one paragraph of its own (a near-duplicate of O); in CITED stories
  that paragraph credits Alpha Wire ("As Alpha Wire reported, ..."), in NAMED ones it only names it.
- ``E``  Epsilon Herald, B's time + 1 h: B with one comma turned into a semicolon (the same words: an exact
  duplicate of B, and through B a copy of O: a copy chain).
- ``G``  Gamma Post, t0 + 5 h: an independent report with two paragraphs of O inserted (partial reuse).
- ``D``  Delta Daily: the other independent report, 3 h before O in story 0 (the first report there), 6 h
  after it elsewhere.

Plus rewrites: articles of MRPC paraphrase pairs (sentence i of the original reworded as sentence i of the
rewrite), Eta Agency -> Zeta Review, with the lags in REWRITE_LAGS.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from storyline.model import RawDocument
from storyline.text import split_sentences

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DUC = SHARED / "data" / "duc2004" / "docs"
MRPC = SHARED / "data" / "mrpc" / "msr_paraphrase_train.txt"

T0 = datetime(2004, 3, 1, 8, 0)
LAG_B = [2.0, 3.0, 5.0, 4.0]  # hours from O to B, per story
CITED = {0, 2, 3}  # stories where B credits Alpha Wire
NAMED = {1}  # stories where B names Alpha Wire without crediting it
REWRITE_LAGS = [4.0, 6.0]
GROUPS_CSV = """outlet,country,owner
Alpha Wire,Atlantis,Alpha Group
Beta Times,Borduria,Beta Media
Epsilon Herald,Borduria,Beta Media
Gamma Post,Atlantis,
Delta Daily,Carpathia,Delta Trust
Eta Agency,Elbonia,Eta Holdings
Zeta Review,Elbonia,Eta Holdings
Omega Tribune,Freedonia,Omega Corp
"""
COUNTRY = {
    "Alpha Wire": "Atlantis",
    "Beta Times": "Borduria",
    "Epsilon Herald": "Borduria",
    "Gamma Post": "Atlantis",
    "Delta Daily": "Carpathia",
    "Eta Agency": "Elbonia",
    "Zeta Review": "Elbonia",
}


@dataclass
class Built:
    """What the corpus was made with."""

    docs: list[RawDocument] = field(default_factory=list)
    stories: list[dict] = field(default_factory=list)  # {"name", "articles": {role: (outlet, time, paragraphs)}}
    rewrites: list[dict] = field(default_factory=list)  # {"original": (outlet, time), "rewrite": (outlet, time)}

    def add(self, key: str, outlet: str, when: datetime, paras: list[str]) -> None:
        self.docs.append(
            RawDocument(
                key,
                text="\n\n".join(paras),
                meta={"outlet": outlet, "date": when.strftime("%Y-%m-%d %H:%M"), "title": f"{outlet}: {key}"},
            )
        )


def duc_paragraphs(path: Path) -> list[str]:
    text = re.sub(r"\s+", " ", path.read_text(encoding="utf-8", errors="replace")).replace("``", '"').replace("''", '"')
    sents = split_sentences(text)
    return [" ".join(sents[i : i + 3]) for i in range(0, len(sents), 3)]


def _sentences(paras: list[str]) -> set[tuple[str, ...]]:
    return {tuple(re.findall(r"\w+", s.lower())) for p in paras for s in split_sentences(p)}


def shared_sentences(a: list[str], b: list[str]) -> int:
    return len({s for s in _sentences(a) & _sentences(b) if len(s) >= 6})


def _clusters(limit: int) -> tuple[list[tuple[str, list[str], list[str], list[str]]], list[str]]:
    from seedutil import seed_articles

    seeds = {Path(a.source).name[:3]: [p for p in a.paragraphs if len(p.split()) >= 15] for a in seed_articles()}
    out = [("seeds", seeds["002"], seeds["003"], seeds["004"])]
    spare: list[str] = []
    for c in sorted(DUC.iterdir()) if DUC.is_dir() else []:
        docs = [duc_paragraphs(f) for f in sorted(c.glob("*.txt"), key=lambda p: int(p.stem[1:]))]
        if len(out) >= limit:  # paragraphs of clusters not used: B's own paragraph
            spare += [p for d in docs for p in d if len(p.split()) >= 20]
            continue
        big = [d for d in docs if len(d) >= 5]
        if not big:
            continue
        pick: list[list[str]] = []
        for d in docs:
            if d is not big[0] and len(d) >= 3 and all(shared_sentences(d, x) == 0 for x in [big[0], *pick]):
                pick.append(d)
            if len(pick) == 2:
                out.append((c.name, big[0], pick[0], pick[1]))
                break
    return out, spare


OWN = (
    "Officials in several capitals were said to be studying the text closely before any response was given by"
    " their governments, and diplomats expected further talks within days."
)


def build(stories: int = 4) -> Built:
    built = Built()
    clusters, spare = _clusters(stories)
    for k, (name, d0, d1, d2) in enumerate(clusters):
        t0 = T0 + timedelta(days=2 * k)
        own = spare[k] if k < len(spare) else OWN
        if k in CITED:
            own = "As Alpha Wire reported, " + own[0].lower() + own[1:]
        elif k in NAMED:
            own = own + " Readers of Alpha Wire's website saw it first."
        b = [*d0, own]
        e = list(b)
        i = next(i for i, p in enumerate(e) if "," in p)
        e[i] = e[i].replace(",", ";", 1)
        tb = t0 + timedelta(hours=LAG_B[k])
        arts = {
            "O": ("Alpha Wire", t0, d0),
            "B": ("Beta Times", tb, b),
            "E": ("Epsilon Herald", tb + timedelta(hours=1), e),
            "G": ("Gamma Post", t0 + timedelta(hours=5), d1[:1] + d0[1:3] + d1[1:]),
            "D": ("Delta Daily", t0 + timedelta(hours=-3 if k == 0 else 6), d2),
        }
        for role, (outlet, when, paras) in arts.items():
            built.add(f"{name}/{role}", outlet, when, paras)
        built.stories.append({"name": name, "articles": arts})
    if MRPC.exists():
        pairs = _mrpc_pairs(12 * len(REWRITE_LAGS))
        for k, lag in enumerate(REWRITE_LAGS):
            chunk = pairs[12 * k : 12 * k + 12]
            pa = [" ".join(a for a, _ in chunk[i : i + 3]) for i in range(0, 12, 3)]
            pb = [" ".join(b for _, b in chunk[i : i + 3]) for i in range(0, 12, 3)]
            t = datetime(2004, 4, 1 + 3 * k, 9, 0)
            built.add(f"mrpc{k}/original", "Eta Agency", t, pa)
            built.add(f"mrpc{k}/rewrite", "Zeta Review", t + timedelta(hours=lag), pb)
            built.rewrites.append({"original": ("Eta Agency", t), "rewrite": ("Zeta Review", t + timedelta(hours=lag))})
    return built


def _mrpc_pairs(n: int) -> list[tuple[str, str]]:
    """The first n MRPC pairs labelled paraphrases whose sentences both have 14+ words."""
    out = []
    with open(MRPC, encoding="utf-8-sig") as fh:
        for r in list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]:
            if len(r) == 5 and r[0] == "1" and min(len(r[3].split()), len(r[4].split())) >= 14:
                out.append((r[3], r[4]))
            if len(out) == n:
                break
    return out
