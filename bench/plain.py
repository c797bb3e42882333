"""Storyline's ingest against the plain pipeline a user would assemble from the same libraries, in the same
process, on the same synthetic articles (bench/cluster.py's raw documents: DUC 2004 sentences, stories of ~10).

    PYTHONPATH=src python bench/plain.py                      # 10,000 then 100,000 articles
    PYTHONPATH=src python bench/plain.py --sizes 2000 --json bench/results/plain-2k.json

Storyline: ``Pipeline.ingest`` into a fresh SQLite store (clean -> store -> copy check -> story; cleaning and
the per-article stage parts in a worker process, as shipped), static embeddings.

Plain: one process, what a short script over the same libraries does: the text split into paragraphs
(trafilatura would extract HTML; these inputs are text), a datasketch MinHash (128 permutations, word
5-shingles) queried in and then inserted into a datasketch ``MinHashLSH`` (threshold 0.4, as Storyline's
bands) - a hit is a copy, nothing is aligned -, model2vec embeddings (the same distilled static model,
title + lead, a batch per 256 articles), nearest-centroid assignment (exact cosine against every story
centroid, a new story below --threshold, 0.8 by default: these synthetic stories share a vocabulary, and at 0.6 nearly all fall into one), and rows into SQLite (one ``executemany`` per 256 articles). It has no
alignment, relations, direction, events, labels, merges, state saved for a restart nor deduplication by URL.

Printed per size: articles/s wall and per CPU-second (this process + its worker processes), the ratio
Storyline / plain, each stage's share of the time, and the load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from cluster import raw_documents  # noqa: E402  (bench/cluster.py)

from storyline.model import RawDocument  # noqa: E402


def _cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def run_storyline(docs: list[RawDocument]) -> dict:
    from storyline import Pipeline, open_store
    from storyline.embed import get_embedder

    with tempfile.TemporaryDirectory() as d:
        store = open_store(Path(d) / "s.db")
        p = Pipeline(store)
        get_embedder(p.config.embed)
        p.ingest(docs[:20])  # warm-up: models, worker start
        parts = {"copy check": [0.0, 0.0], "story": [0.0, 0.0]}
        for name, stage in (("copy check", p.reuse_stage), ("story", p.cluster_stage)):
            orig = stage.process

            def timed(*a, _orig=orig, _name=name, **k):
                s, sc = time.perf_counter(), time.process_time()
                try:
                    return _orig(*a, **k)
                finally:
                    parts[_name][0] += time.perf_counter() - s
                    parts[_name][1] += time.process_time() - sc

            stage.process = timed
        load0 = os.getloadavg()[0]
        rss0 = _status("VmRSS")  # the input list is already in memory: growth from here is the pipeline's
        t, c, mc = time.perf_counter(), _cpu(), time.process_time()
        rep = p.ingest(docs[20:])
        peak = _status("VmHWM")
        wall, cpu, main_cpu = time.perf_counter() - t, _cpu() - c, time.process_time() - mc
        n = len(rep.stored)
        out = {
            "articles": n,
            "stories": store.count_stories(),
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            "main_cpu_s": round(main_cpu, 2),
            "per_s": round(n / wall, 1),
            "per_cpu_s": round(n / cpu, 1),
            "load": [round(load0, 2), round(os.getloadavg()[0], 2)],
            # shares of the main process's CPU (cleaning and the per-article stage parts run in the worker)
            "share_main_cpu": {
                "copy check": round(parts["copy check"][1] / main_cpu, 3),
                "story": round(parts["story"][1] / main_cpu, 3),
                "read, store, rest": round(1 - (parts["copy check"][1] + parts["story"][1]) / main_cpu, 3),
            },
            "worker_cpu_s": round(cpu - main_cpu, 2),
            # peak RSS of this process above what it held before the ingest (the input list), and of the
            # largest worker process
            "main_rss_growth_mb": round((peak - rss0) / 2**20, 1),
            "main_rss_growth_per_article_b": round((peak - rss0) / max(1, n)),
            "worker_max_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        }
        store.close()
    return out


def run_plain(docs: list[RawDocument], chunk: int = 256, threshold: float = 0.8) -> dict:
    from datasketch import MinHash, MinHashLSH
    from model2vec import StaticModel

    from storyline.embed import static_model_path

    model = StaticModel.from_pretrained(str(static_model_path(256)))
    model.encode(["warm up"])
    tmpl = MinHash(num_perm=128, seed=1)
    perm, scheme = tmpl.permutations, getattr(tmpl, "scheme", None)
    lsh = MinHashLSH(threshold=0.4, num_perm=128)
    t_stage = {"clean": 0.0, "MinHash LSH": 0.0, "embed": 0.0, "assign": 0.0, "store": 0.0}
    with tempfile.TemporaryDirectory() as d:
        db = sqlite3.connect(str(Path(d) / "p.db"))
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE articles(id INTEGER PRIMARY KEY, source TEXT, title TEXT, body TEXT, story INTEGER)")
        db.execute("CREATE TABLE copies(article INTEGER, original TEXT)")
        cent = np.zeros((1024, 256), dtype=np.float32)  # story centroid sums
        unit = np.zeros((1024, 256), dtype=np.float32)
        n_st = 0
        load0 = os.getloadavg()[0]
        t0, c0 = time.perf_counter(), _cpu()
        seq = 0
        for i in range(0, len(docs), chunk):
            part = docs[i : i + chunk]
            s = time.perf_counter()
            cleaned = []
            for doc in part:
                paras = [" ".join(p.split()) for p in (doc.text or "").split("\n\n")]
                paras = [p for p in paras if len(p.split()) >= 5]
                if paras:
                    cleaned.append((doc.source, paras[0][:200], paras))
            s2 = time.perf_counter()
            t_stage["clean"] += s2 - s
            copies = []
            for k, (_src, _, paras) in enumerate(cleaned):
                words = " ".join(paras).lower().split()
                sh = {" ".join(words[j : j + 5]).encode() for j in range(max(1, len(words) - 4))}
                m = MinHash(num_perm=128, seed=1, permutations=perm, **({"scheme": scheme} if scheme else {}))
                m.update_batch(list(sh))
                hits = lsh.query(m)
                key = str(seq + k)
                if hits:
                    copies.append((seq + k, hits[0]))
                lsh.insert(key, m)
            s3 = time.perf_counter()
            t_stage["MinHash LSH"] += s3 - s2
            vecs = model.encode([t + ". " + " ".join(p)[:1000] for _, t, p in cleaned])
            vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
            s4 = time.perf_counter()
            t_stage["embed"] += s4 - s3
            stories = []
            for v in vecs:
                sims = unit[:n_st] @ v if n_st else np.zeros(0)
                j = int(np.argmax(sims)) if n_st else -1
                if j < 0 or sims[j] < threshold:
                    if n_st == len(cent):
                        cent = np.concatenate([cent, np.zeros_like(cent)])
                        unit = np.concatenate([unit, np.zeros_like(unit)])
                    j = n_st
                    n_st += 1
                cent[j] += v
                unit[j] = cent[j] / max(float(np.linalg.norm(cent[j])), 1e-9)
                stories.append(j)
            s5 = time.perf_counter()
            t_stage["assign"] += s5 - s4
            with db:
                db.executemany(
                    "INSERT INTO articles VALUES (?,?,?,?,?)",
                    [
                        (seq + k, src, t, "\n\n".join(p), st)
                        for k, ((src, t, p), st) in enumerate(zip(cleaned, stories, strict=True))
                    ],
                )
                db.executemany("INSERT INTO copies VALUES (?,?)", copies)
            t_stage["store"] += time.perf_counter() - s5
            seq += len(cleaned)
        wall, cpu = time.perf_counter() - t0, _cpu() - c0
        db.close()
    total = sum(t_stage.values())
    return {
        "articles": seq,
        "stories": n_st,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "per_s": round(seq / wall, 1),
        "per_cpu_s": round(seq / cpu, 1),
        "load": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "share_wall": {k: round(v / total, 3) for k, v in t_stage.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--only", choices=["storyline", "plain"], default=None)
    ap.add_argument("--threshold", type=float, default=0.8, help="plain: cosine to join the nearest story")
    args = ap.parse_args()
    results = []
    print(f"cores {os.cpu_count()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    for n in [int(x) for x in args.sizes.split(",")]:
        docs = raw_documents(n + 20)
        row: dict = {"size": n}
        if args.only != "storyline":
            row["plain"] = r = run_plain(docs[20:], threshold=args.threshold)
            print(
                f"{n:>7} plain     {r['per_s']:>6.0f} articles/s wall, {r['per_cpu_s']:>6.0f} per CPU-s"
                f" ({r['stories']} stories; load average {r['load'][0]:.1f}->{r['load'][1]:.1f}); time shares {r['share_wall']}",
                flush=True,
            )
        if args.only != "plain":
            row["storyline"] = r = run_storyline(docs)
            print(
                f"{n:>7} storyline {r['per_s']:>6.0f} articles/s wall, {r['per_cpu_s']:>6.0f} per CPU-s"
                f" (main {r['main_cpu_s']:.0f} CPU-s, worker {r['worker_cpu_s']:.0f} CPU-s; {r['stories']} stories;"
                f" load average {r['load'][0]:.1f}->{r['load'][1]:.1f}); main-process CPU shares {r['share_main_cpu']};"
                f" peak RSS growth {r['main_rss_growth_mb']:.0f} MB ({r['main_rss_growth_per_article_b']} B/article), worker max RSS {r['worker_max_rss_mb']:.0f} MB",
                flush=True,
            )
        if "plain" in row and "storyline" in row:
            row["ratio_wall"] = round(row["storyline"]["per_s"] / row["plain"]["per_s"], 3)
            row["ratio_cpu"] = round(row["storyline"]["per_cpu_s"] / row["plain"]["per_cpu_s"], 3)
            print(
                f"{n:>7} ratio storyline / plain: {row['ratio_wall']:.2f} (wall), {row['ratio_cpu']:.2f} (per CPU-s)",
                flush=True,
            )
        results.append(row)
        del docs
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "command": "python bench/plain.py " + " ".join(sys.argv[1:]),
                    "cores": os.cpu_count(),
                    "results": results,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
