"""Benchmark copy detection (issue: copies and rewrites) on a store that already holds many articles.

Synthetic articles are recombinations of real sentences (DUC 2004 articles + MRPC sentences from
../shared/data): 9-24 sentences in paragraphs of three. The store is filled in bulk (articles,
signatures + LSH band/sentence keys, article vectors), then batches of new articles are added
through ``ReuseStage.process`` exactly as the pipeline does (inside one transaction per chunk):
85% fresh articles, 10% copies of stored ones (exact, furniture changed, truncated), 5% articles
carrying two or three sentences of a stored one.

Measured: articles/s of candidate search + alignment + storing keys, (0) the MinHash search alone
(signature, keys, one band lookup and one bulk insert per chunk; nothing compared), (1) MinHash
route (LSH bands + sentence fingerprints in SQLite) with alignment of its candidates, (2) with the
semantic route too (usearch over centred article vectors, built once per process from the store); the median time to add one article at
10k and at 100k stored articles; peak memory (max RSS).

    PYTHONPATH=src python bench/reuse.py                   # 10k then 100k
    PYTHONPATH=src python bench/reuse.py --sizes 2000,10000 --batch 300   # quick
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from storyline.config import ReuseConfig
from storyline.embed import get_embedder
from storyline.model import Article, content_id
from storyline.reuse import ReuseDetector, ReuseStage
from storyline.store import SQLiteStore
from storyline.text import split_sentences

ROOT = Path(__file__).resolve().parents[1]
SHARED = next(
    (
        p
        for p in (
            Path(os.environ.get("STORYLINE_SHARED", "/nonexistent")),
            ROOT.parent / "shared",
            ROOT.parents[1] / "shared",
        )
        if (p / "data").exists()
    ),
    ROOT.parent / "shared",
)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sentence_pool() -> list[str]:
    pool: list[str] = []
    for f in sorted((SHARED / "data" / "duc2004" / "docs").glob("*/D*.txt")):
        text = (
            re.sub(r"\s+", " ", f.read_text(encoding="utf-8", errors="replace")).replace("``", '"').replace("''", '"')
        )
        pool += [s for s in split_sentences(text) if len(s.split()) >= 5]
    with open(SHARED / "data" / "mrpc" / "msr_paraphrase_train.txt", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        for r in reader:
            if len(r) == 5:
                pool += [r[3], r[4]]
    return list(dict.fromkeys(pool))


class Generator:
    def __init__(self, pool: list[str], seed: int = 7):
        self.pool = pool
        self.rng = random.Random(seed)
        self.n = 0

    def sentences(self) -> list[tuple[int, int, int]]:
        """Each synthetic sentence splices the start of one real sentence onto the end of another, so
        that two synthetic articles rarely share a whole sentence (as two real articles rarely do)."""
        n = len(self.pool)
        return [
            (self.rng.randrange(n), self.rng.randrange(n), self.rng.randint(3, 9))
            for _ in range(self.rng.randint(9, 24))
        ]

    def text(self, s: tuple[int, int, int]) -> str:
        x, y, cut = s
        wx, wy = self.pool[x].split(), self.pool[y].split()
        return " ".join(wx[: min(cut, len(wx) - 1)] + wy[min(cut, len(wy) - 1) :])

    def article(self, sent_ids: list[tuple[int, int, int]], extra: list[str] | None = None) -> Article:
        sents = [self.text(s) for s in sent_ids]
        paras = [" ".join(sents[i : i + 3]) for i in range(0, len(sents), 3)] + (extra or [])
        self.n += 1
        return Article(id=content_id(paras + [str(self.n)]), source=f"synthetic:{self.n}", paragraphs=paras)


def fill(
    store: SQLiteStore,
    det: ReuseDetector,
    gen: Generator,
    n: int,
    sent_vecs: np.ndarray | None,
    kind: str,
    kept: list[list[int]],
) -> float:
    """Add n synthetic articles in bulk: rows, signatures + keys, article vectors. Returns seconds."""
    t0 = time.perf_counter()
    center = det.weights.get("center")
    done = 0
    while done < n:
        m = min(2000, n - done)
        batch = []
        for _ in range(m):
            ids = gen.sentences()
            batch.append((gen.article(ids), ids))
        with store.transaction():
            items = []
            for a, _ids in batch:
                store.put_article(a)
                sig, keys = det.signature_and_keys(a)
                items.append((a.id, sig, keys))
            store.put_minhashes(items)
            if sent_vecs is not None:
                rows = []
                for a, ids in batch:
                    # approximated from the two real sentences each synthetic one is spliced from
                    flat = [i for x, y, _ in ids for i in (x, y)]
                    v = sent_vecs[flat].mean(axis=0) - (np.asarray(center, dtype=np.float32) if center else 0)
                    v = (v / np.linalg.norm(v)).astype(np.float32)
                    rows.append((kind, a.id, v.shape[0], v.tobytes()))
                store._db.executemany(
                    "INSERT OR REPLACE INTO embeddings(kind, key, dim, vector) VALUES (?,?,?,?)", rows
                )
        kept += [ids for _, ids in batch[:: max(1, m // 200)]]  # a sample of stored articles to copy from
        done += m
    return time.perf_counter() - t0


def new_batch(gen: Generator, kept: list[list[int]], n: int) -> list[Article]:
    out = []
    for _ in range(n):
        r = gen.rng.random()
        if r < 0.85:
            out.append(gen.article(gen.sentences()))
        else:
            ids = gen.rng.choice(kept)
            if r < 0.95:
                style = gen.rng.randint(0, 2)
                if style == 0:
                    out.append(gen.article(ids))
                elif style == 1:
                    out.append(gen.article(ids, ["Follow us on Twitter for the latest news."]))
                else:
                    out.append(gen.article(ids[: max(3, int(len(ids) * 0.7))]))
            else:
                carried = ids[:3]
                out.append(gen.article(gen.sentences()[:12] + carried))
    return out


def measure(
    store: SQLiteStore, stage: ReuseStage, articles: list[Article], latency: list[Article], chunk: int = 100
) -> dict:
    """Add articles like the pipeline does (chunks of 100, one transaction each) and time the stage;
    then add ``latency`` articles one at a time for the time to add one article."""
    total = cpu = 0.0
    edges = 0
    for i in range(0, len(articles), chunk):
        part = articles[i : i + chunk]
        with store.transaction():
            for a in part:
                store.put_article(a)
            t0, c0 = time.perf_counter(), time.process_time()
            edges += len(stage.process(part, store, {}))
            total += time.perf_counter() - t0
            cpu += time.process_time() - c0
    one: list[float] = []
    for a in latency:
        with store.transaction():
            store.put_article(a)
            t0 = time.perf_counter()
            stage.process([a], store, {})
            one.append(time.perf_counter() - t0)
    return {
        "articles": len(articles),
        "seconds": round(total, 3),
        "articles_per_s": round(len(articles) / total, 1),
        "articles_per_cpu_s": round(len(articles) / max(cpu, 1e-9), 1),
        "median_ms": round(1000 * statistics.median(one), 3),
        "p95_ms": round(1000 * float(np.percentile(one, 95)), 3),
        "edges": edges,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--batch", type=int, default=2000, help="new articles measured per route and size")
    ap.add_argument("--db", default=None)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--routes", default="all", help='comma-separated route names, e.g. "MinHash + semantic"')
    args = ap.parse_args()
    if not (SHARED / "data").exists():
        print(f"shared data not found under {SHARED}")
        return
    sizes = [int(x) for x in args.sizes.split(",")]
    embedder = get_embedder()
    pool = sentence_pool()
    t0 = time.perf_counter()
    sent_vecs = embedder.encode(pool)
    print(
        f"sentence pool: {len(pool)} real sentences (embedded in {time.perf_counter() - t0:.1f}s); "
        f"embedder {embedder.name}; cores {os.cpu_count()}; pid {os.getpid()}"
    )
    tmp = tempfile.mkdtemp(prefix="storyline-bench-")
    db = Path(args.db or Path(tmp) / "bench.db")
    store = SQLiteStore(db)
    cfg_lsh = ReuseConfig(semantic=False)
    cfg_sem = ReuseConfig()
    det = ReuseDetector(cfg_sem, embedder)
    gen = Generator(pool)
    kept: list[list[int]] = []
    results = []
    stored = 0
    for size in sizes:
        secs = fill(store, det, gen, size - stored, sent_vecs, cfg_sem.embedding_kind, kept)
        stored = store.count_articles()
        print(
            f"\nstore holds {stored} articles (filled in {secs:.1f}s; "
            f"db {db.stat().st_size / 1e6:.0f} MB; max RSS {rss_mb():.0f} MB)"
        )
        routes = (
            ("MinHash search only", ReuseConfig(semantic=False, max_candidates=0)),
            ("MinHash route", cfg_lsh),
            ("MinHash + semantic", cfg_sem),
        )
        for name, cfg in routes:
            if args.routes != "all" and name not in args.routes.split(","):
                continue
            stage = ReuseStage(cfg, embedder, detector=ReuseDetector(cfg, embedder))
            t0 = time.perf_counter()
            index = stage._vector_index(store)
            build = time.perf_counter() - t0
            batch = new_batch(gen, kept, args.batch)
            r = measure(store, stage, batch, new_batch(gen, kept, 200))
            stored = store.count_articles()
            r.update(
                {
                    "route": name,
                    "store_size": size,
                    "index_build_s": round(build, 2) if index is not None else None,
                    "stats": dict(stage.stats),
                    "max_rss_mb": round(rss_mb()),
                }
            )
            results.append(r)
            if index is not None:  # the next process: the index is loaded from beside the store
                fresh = ReuseStage(cfg, embedder, detector=ReuseDetector(cfg, embedder))
                t0 = time.perf_counter()
                fresh._vector_index(store)
                r["index_reload_s"] = round(time.perf_counter() - t0, 2)
                r["index_reload_source"] = fresh.index_source
                build = f"{build:.1f}s; next process loads it ({fresh.index_source}) in {r['index_reload_s']:.1f}s"
            cand = (stage.stats["lsh_candidates"] + stage.stats["semantic_candidates"]) / max(
                1, stage.stats["articles"]
            )
            print(
                f"  {name:<20} {r['articles_per_s']:>8.1f} articles/s ({r['articles_per_cpu_s']:.0f} per CPU-second) · one article: median {r['median_ms']:.2f} ms, "
                f"p95 {r['p95_ms']:.2f} ms · {cand:.2f} candidates/article · {r['edges']} edges"
                + (f" · vector index built once in {build}" if index is not None else "")
                + f" · max RSS {rss_mb():.0f} MB"
            )
    store.close()
    if args.json:
        print(json.dumps(results, indent=1))
    print("\nsummary (articles/s; median ms per article):")
    for r in results:
        print(
            f"  {r['store_size']:>7} stored · {r['route']:<20} {r['articles_per_s']:>8.1f}/s wall, "
            f"{r['articles_per_cpu_s']:>8.1f}/CPU-s · median {r['median_ms']:.2f} ms · p95 {r['p95_ms']:.2f} ms"
        )
    print(f"peak memory (max RSS): {rss_mb():.0f} MB")
    if not args.db:
        for p in Path(tmp).glob("bench.db*"):
            p.unlink()


if __name__ == "__main__":
    main()
