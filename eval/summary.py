"""Score Storyline's 100-word summaries on DUC 2004 Task 2 against the 13 published systems.

    python eval/summary.py [--data ../shared/data/duc2004] [--backend static|minilm] [--tune]

ROUGE-1/2 recall (rouge-score, Porter stemming, no stopword removal), every summary (Storyline's,
the peers' and the 4 human references) cut to its first 100 words; averaged over the 4 references,
then over clusters. Peers are scored by the same scorer in the same run.

Split: the 22 clusters sorted by id; the first 11 are the TUNING half (``--tune`` grid-searches
the summary settings there only), the last 11 are HELD OUT. The table reports the held-out half
and all 22 (all 22 includes the tuning half, so the held-out column is the honest one).
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from storyline.config import AnalysisConfig, EmbedConfig  # noqa: E402
from storyline.embed import get_embedder  # noqa: E402
from storyline.model import Article  # noqa: E402
from storyline.summarize import summarize  # noqa: E402

PEERS = [
    "Lead",
    "LexRank",
    "Centroid",
    "FreqSum",
    "TsSum",
    "GreedyKL",
    "CLASSY04",
    "CLASSY11",
    "Submodular",
    "DPP",
    "OCCAMS_V",
    "RegSum",
    "ICSISumm",
]


def default_data() -> Path:
    for p in (ROOT.parent / "shared" / "data" / "duc2004", Path("/work/shared/data/duc2004")):
        if p.exists():
            return p
    return ROOT.parent / "shared" / "data" / "duc2004"


def normalise(text: str) -> str:
    """DUC text: `` '' quotes -> ", line-wrapped sentences joined."""
    text = text.replace("``", '"').replace("''", '"')
    return re.sub(r"\s+", " ", text).strip()


def load(data: Path) -> list[dict]:
    clusters = []
    for d in sorted((data / "docs").iterdir()):
        cid = d.name[:-1]  # d30001t -> d30001
        docs = sorted(d.glob("D*.txt"), key=lambda p: int(p.stem[1:]))
        arts = [
            Article(id=f"{cid}-{p.stem}", source=str(p), paragraphs=[normalise(p.read_text(errors="replace"))])
            for p in docs
        ]
        models = sorted((data / "models").glob(f"{cid.upper()}.M.100.T.*"))
        peers = {s: (data / "peers" / f"{cid}.{s}") for s in PEERS}
        clusters.append(
            {
                "id": cid,
                "articles": arts,
                "models": [m.read_text(errors="replace") for m in models],
                "peers": {s: p.read_text(errors="replace") for s, p in peers.items() if p.exists()},
            }
        )
    return clusters


def cut(text: str, n: int = 100) -> str:
    return " ".join(text.split()[:n])


class Scorer:
    def __init__(self):
        from rouge_score import rouge_scorer

        self.rs = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)

    def score(self, summary: str, models: list[str]) -> tuple[float, float]:
        r1 = r2 = 0.0
        for m in models:
            s = self.rs.score(cut(m), cut(summary))
            r1 += s["rouge1"].recall
            r2 += s["rouge2"].recall
        return 100 * r1 / len(models), 100 * r2 / len(models)


FILL = False  # add one sentence past 100 words (the scorer cuts at 100, as it does for the peers)


def storyline_summary(cluster: dict, embedder, config: AnalysisConfig, words: int = 100) -> str:
    return " ".join(s.text for s in summarize(cluster["articles"], embedder, config, words=words, fill=FILL))


def mean(xs):
    xs = list(xs)
    return sum(xs) / len(xs) if xs else 0.0


def evaluate(clusters, embedder, config, scorer) -> list[tuple[float, float]]:
    return [scorer.score(storyline_summary(c, embedder, config), c["models"]) for c in clusters]


# The defaults in AnalysisConfig were chosen on the tuning half with grids over these and more (position 1.0,
# power 0.5, centroid 0.5; min_df 3 for 10 sources; df power 1 and no unigram concepts were no better there).
GRID = {
    "summary_position_weight": [0.5, 1.0, 1.5],
    "summary_position_power": [0.5, 1.0],
    "summary_centroid_weight": [0.0, 0.5],
}


def tune(clusters, embedder, base: AnalysisConfig, scorer) -> AnalysisConfig:
    best, best_cfg = -1.0, base
    for vals in itertools.product(*GRID.values()):
        cfg = replace(base, **dict(zip(GRID, vals, strict=True)))
        scores = evaluate(clusters, embedder, cfg, scorer)
        r1, r2 = mean(s[0] for s in scores), mean(s[1] for s in scores)
        print(f"  tune {dict(zip(GRID, vals, strict=True))}: R-1 {r1:.2f} R-2 {r2:.2f}", file=sys.stderr)
        if r2 + 0.25 * r1 > best:
            best, best_cfg = r2 + 0.25 * r1, cfg
    return best_cfg


def train_concepts(clusters, config: AnalysisConfig) -> dict:
    """Learn the concept weights on the given (tuning) clusters: logistic regression from the concept features
    (storyline.summarize.CONCEPT_FEATURES) of every concept that passes the story's min_df to the share of the 4
    human summaries holding it (soft labels as two weighted rows). Writes storyline/data/summary_concepts.json."""
    import json

    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from storyline import summarize as sm
    from storyline.compare import source_keys
    from storyline.text import article_sentences

    X, y, w = [], [], []
    for c in clusters:
        arts = c["articles"]
        src = source_keys(arts, None)
        sents = [s for a in arts for s in article_sentences(a)]
        df, lead, first, n_sent = sm.concept_stats(sents, src, None, False, config.summary_lead_sentences)
        n_sources = len(set(src.values()))
        min_df = max(2, min(3, round(config.summary_df_share * n_sources)))
        concepts = [k for k, v in df.items() if len(v) >= min_df]
        feats = sm.concept_features(concepts, df, lead, first, n_sent, n_sources, len(sents))
        refs = [set(sm._concepts(cut(m))) for m in c["models"]]
        for row, k in zip(feats, concepts, strict=True):
            share = sum(k in r for r in refs) / len(refs)
            for label, weight in ((1, share), (0, 1 - share)):
                if weight > 0:
                    X.append(row)
                    y.append(label)
                    w.append(weight)
    lr = LogisticRegression(C=1.0, max_iter=2000).fit(np.asarray(X), np.asarray(y), sample_weight=np.asarray(w))
    model = {
        "features": list(sm.CONCEPT_FEATURES),
        "coef": [round(float(v), 5) for v in lr.coef_[0]],
        "bias": round(float(lr.intercept_[0]), 5),
        "trained_on": "DUC 2004 task 2, tuning half (the first 11 clusters sorted by id): "
        + ",".join(c["id"] for c in clusters),
        "note": "written by eval/summary.py --train-concepts; P(a concept is in a human summary)",
    }
    path = ROOT / "src" / "storyline" / "data" / "summary_concepts.json"
    path.write_text(json.dumps(model, indent=2) + "\n")
    sm._CONCEPT_MODEL = None
    print(
        f"{len(y)} rows; weights {dict(zip(model['features'], model['coef'], strict=True))}, bias {model['bias']}; wrote {path}",
        file=sys.stderr,
    )
    return model


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--backend", default="static", choices=["static", "minilm"])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--tune", action="store_true", help="grid-search the summary settings on the tuning half first")
    ap.add_argument(
        "--train-concepts",
        action="store_true",
        help="learn the concept weights on the tuning half (writes storyline/data/summary_concepts.json)",
    )
    ap.add_argument("--tune-only", action="store_true", help="only print the grid's scores on the tuning half")
    ap.add_argument(
        "--set", action="append", default=[], help="override an AnalysisConfig field, e.g. summary_min_df=3"
    )
    ap.add_argument(
        "--fill",
        action="store_true",
        help="add one sentence past 100 words (cut at 100 by the scorer, as the peers' summaries are)",
    )
    args = ap.parse_args(argv)
    global FILL
    FILL = args.fill
    if not args.data.exists():
        print(f"no DUC 2004 data at {args.data}", file=sys.stderr)
        return 2
    clusters = load(args.data)
    tune_half, held = clusters[: len(clusters) // 2], clusters[len(clusters) // 2 :]
    embedder = get_embedder(EmbedConfig(backend=args.backend, device=args.device))
    scorer = Scorer()
    config = AnalysisConfig()
    for kv in args.set:
        k, v = kv.split("=", 1)
        config = replace(config, **{k: type(getattr(config, k))(v)})
    if args.train_concepts:
        train_concepts(tune_half, config)
        return 0
    if args.tune_only:
        tune(tune_half, embedder, config, scorer)
        return 0
    if args.tune:
        config = tune(tune_half, embedder, config, scorer)
        print("tuned:", {k: getattr(config, k) for k in GRID}, file=sys.stderr)
    t0 = time.time()
    ours = evaluate(clusters, embedder, config, scorer)
    elapsed = time.time() - t0
    rows = []
    name = f"Storyline ({args.backend}{', fill' if args.fill else ''})"
    rows.append((name, ours))
    for p in PEERS:
        rows.append((p, [scorer.score(c["peers"].get(p, ""), c["models"]) for c in clusters]))
    n_t = len(tune_half)
    table = []
    for sysname, sc in rows:
        held_sc, all_sc = sc[n_t:], sc
        table.append(
            (
                sysname,
                mean(s[0] for s in held_sc),
                mean(s[1] for s in held_sc),
                mean(s[0] for s in all_sc),
                mean(s[1] for s in all_sc),
            )
        )
    table.sort(key=lambda r: -r[4])
    print(
        f"DUC 2004 task 2, {len(clusters)} clusters (tuning half: {tune_half[0]['id']}..{tune_half[-1]['id']}, "
        f"held out: {held[0]['id']}..{held[-1]['id']}); ROUGE recall x100, 100 words, stemmed, 4 references"
    )
    print(f"{'system':<22} {'held-out R-1':>12} {'held-out R-2':>12} {'all R-1':>8} {'all R-2':>8}")
    for sysname, h1, h2, a1, a2 in table:
        mark = " <==" if sysname == name else ""
        print(f"{sysname:<22} {h1:12.2f} {h2:12.2f} {a1:8.2f} {a2:8.2f}{mark}")
    print(f"Storyline summarised {len(clusters)} clusters in {elapsed:.1f} s ({args.backend})")
    print("settings:", {k: getattr(config, k) for k in vars(config) if k.startswith("summary_")})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
