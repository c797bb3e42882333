"""Test/bench helper for the Spark pipeline: the corpus builder (seeds + DUC 2004 dev clusters re-dated
over several weeks + planted exact and near copies)."""

from __future__ import annotations

import json
import random
import re
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "examples" / "seeds"
SHARED = next(
    (p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if (p / "data").exists()), ROOT.parent / "shared"
)
DUC = SHARED / "data" / "duc2004" / "docs"


def _reflow(text: str) -> str:
    """DUC bodies are hard-wrapped: join the lines, then 3 sentences a paragraph."""
    flat = re.sub(r"\s+", " ", text).strip()
    sents = re.split(r"(?<=[.!?])\s+(?=[A-Z``\"])", flat)
    return "\n\n".join(" ".join(sents[i : i + 3]) for i in range(0, len(sents), 3))


def _perturb(text: str, rng: random.Random, edits: int) -> str:
    toks = text.split(" ")
    for _ in range(edits):
        i = rng.randrange(len(toks))
        toks[i] = rng.choice(["reportedly", "officially", "indeed", "apparently"])
    return " ".join(toks)


def build_corpus(path: Path, duc_clusters: int | None = None, seed: int = 7) -> dict:
    """Write a JSONL stream (in date order) and return what was planted.

    Seeds (raw scraped text, no metadata) + DUC 2004 clusters (dates spread over ~3 weeks per
    cluster so stories span several 7-day windows, 4 outlets) + planted exact copies (same body,
    other outlet) and near-duplicates (a few words changed; some chained: a copy of a copy).
    -> {"gold": {text-key: cluster}, "near": [(orig_idx, copy_idx)], "records": n}
    """
    rng = random.Random(seed)
    records: list[dict] = []
    for p in sorted(SEEDS.glob("*.txt")):
        records.append(
            {
                "text": p.read_text(encoding="utf-8"),
                "source": p.name,
                "_cluster": "seeds",
                "_date": datetime(2022, 1, 22),
            }
        )
    clusters = sorted(DUC.iterdir()) if DUC.exists() else []
    if duc_clusters is not None:
        clusters = clusters[:duc_clusters]
    base = datetime(2004, 1, 1)
    for ci, cdir in enumerate(clusters):
        start = base + timedelta(days=4 * ci)
        for di, f in enumerate(sorted(cdir.glob("*.txt"), key=lambda x: int(re.sub(r"\D", "", x.stem) or 0))):
            when = start + timedelta(days=2 * di, hours=rng.randrange(24))
            records.append(
                {
                    "text": _reflow(f.read_text(encoding="utf-8", errors="replace")),
                    "outlet": f"Outlet {di % 4}",
                    "date": when.strftime("%Y-%m-%dT%H:%M"),
                    "source": f"{cdir.name}/{f.name}",
                    "_cluster": cdir.name,
                    "_date": when,
                }
            )
    duc_idx = [i for i, r in enumerate(records) if r["_cluster"] != "seeds"] or list(range(len(records)))
    planted_near: list[tuple[int, int]] = []
    if duc_idx:
        long_enough = [i for i in duc_idx if len(records[i]["text"].split()) >= 250] or duc_idx
        picks = rng.sample(long_enough, min(18, len(long_enough)))
        for k, i in enumerate(picks[:15]):
            orig = records[i]
            orig.setdefault("date", orig["_date"].strftime("%Y-%m-%dT%H:%M"))
            when = orig["_date"] + timedelta(hours=5)
            copy = dict(
                orig,
                text=_perturb(orig["text"], rng, 2),
                outlet="Copycat Wire",
                date=when.strftime("%Y-%m-%dT%H:%M"),
                source=orig["source"] + "#near",
                _date=when,
            )
            records.append(copy)
            planted_near.append((i, len(records) - 1))
            for depth in range(
                3 if k < 2 else 1 if k < 5 else 0
            ):  # copies of copies: chains joined only through the middle
                prev = records[-1]
                when2 = prev["_date"] + timedelta(hours=3)
                hop = (
                    len(prev["text"].split()) // 70
                )  # each hop ~0.87 Jaccard, two hops below the 0.8 of a near-duplicate
                records.append(
                    dict(
                        prev,
                        text=_perturb(prev["text"], rng, hop),
                        outlet=f"Echo News {depth}",
                        date=when2.strftime("%Y-%m-%dT%H:%M"),
                        source=f"{orig['source']}#near{depth + 2}",
                        _date=when2,
                    )
                )
                planted_near.append((len(records) - 2, len(records) - 1))
        for i in picks[15:]:  # exact copies: same body, other outlet (same content id)
            orig = records[i]
            records.append(dict(orig, outlet="Mirror Daily", source=orig["source"] + "#exact"))
    order = sorted(range(len(records)), key=lambda i: (records[i]["_date"], i))
    with path.open("w", encoding="utf-8") as fh:
        for i in order:
            fh.write(json.dumps({k: v for k, v in records[i].items() if not k.startswith("_")}) + "\n")
    return {
        "records": len(records),
        "near": planted_near,
        "order": order,
        "clusters": [records[i]["_cluster"] for i in order],
    }
