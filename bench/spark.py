"""Throughput and peak memory of the Spark batch pipeline, by corpus size and number of cores.

    PYTHONPATH=src python bench/spark.py --sizes 10000,100000 --cores 1,2

The corpus is recombined from real text: sentences of the DUC 2004 documents, the AEB ground-truth
article bodies (../shared/data) and the example seeds, drawn per "topic" (one source document's
cluster) into articles of 8-25 sentences, with dates over a year, 60 outlets, per-outlet furniture
lines (learnt by the distributed count), and 3 % planted exact/near copies. Each measured run is a
fresh process (``--worker``) with ``local[N]``; peak memory is the highest sum of resident memory over
that process tree (driver Python + JVM + Python workers), sampled every 0.2 s from /proc, and CPU s is the
CPU time that tree used (on a shared machine wall time depends on the other load; the 1-minute load
average before each run is printed with it).

Story clustering uses storyline.cluster.StoryClusterer when installed; otherwise (this branch before
the merge) the test STAND-IN clusterer from tests/spark_corpus.py -- reported in the table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = next((p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if (p / "data").exists()), ROOT.parent / "shared")


def _sentences(text: str) -> list[str]:
    flat = re.sub(r"\s+", " ", text).strip()
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"`])", flat) if 6 <= len(s.split()) <= 60]


def topics() -> list[list[str]]:
    out: list[list[str]] = []
    duc = SHARED / "data" / "duc2004" / "docs"
    if duc.exists():
        for c in sorted(duc.iterdir()):
            sents = [s for f in sorted(c.glob("*.txt")) for s in _sentences(f.read_text(errors="replace"))]
            if sents:
                out.append(sents)
    gt = SHARED / "data" / "aeb" / "ground-truth.json"
    if gt.exists():
        for v in json.loads(gt.read_text()).values():
            sents = _sentences(v.get("articleBody") or "")
            out.append(sents)
    for p in sorted((ROOT / "examples" / "seeds").glob("*.txt")):
        out.append(_sentences(p.read_text()))
    return [t for t in out if len(t) >= 40]  # big pools: two articles of a topic share a few sentences, not all


def make_corpus(path: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    pool = topics()
    outlets = [f"Outlet {i}" for i in range(60)]
    start = datetime(2020, 1, 1)
    written: list[dict] = []
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            if written and rng.random() < 0.03:  # a copy: exact (other outlet) or with a few words changed
                src = rng.choice(written[-2000:])
                text = src["text"]
                if rng.random() < 0.5:
                    toks = text.split(" ")
                    for _ in range(2):
                        toks[rng.randrange(len(toks))] = "reportedly"
                    text = " ".join(toks)
                rec = dict(src, text=text, outlet=rng.choice(outlets))
            else:
                t = rng.randrange(len(pool))
                sents = pool[t]
                k = min(len(sents) // 4, rng.randint(8, 25))
                body = rng.sample(sents, k)
                outlet = outlets[(t * 7 + rng.randrange(5)) % len(outlets)]
                day = start + timedelta(days=(t * 11 + rng.randrange(21)) % 365, minutes=rng.randrange(1440))
                paras = ["\n".join(body[j : j + 3]) for j in range(0, len(body), 3)]
                text = f"{body[0][:80]}\n\n" + "\n\n".join(paras) + f"\n\nFollow {outlet} on social media\nMost Visited\n"
                rec = {"text": text, "outlet": outlet, "date": day.strftime("%Y-%m-%dT%H:%M")}
            written.append(rec)
            if len(written) > 4000:
                del written[:2000]
            fh.write(json.dumps(rec) + "\n")


# ----------------------------------------------------------------------------- one measured run (child process)


def worker(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from storyline.config import Config
    from storyline.spark import SparkOptions, cluster_available, make_session, run_pipeline

    factory = None
    label = "storyline.cluster"
    if not cluster_available():
        sys.path.insert(0, str(ROOT / "tests"))
        import spark_corpus
        from pyspark import cloudpickle

        cloudpickle.register_pickle_by_value(spark_corpus)
        factory = spark_corpus.StandInClusterer
        label = "stand-in (tests/spark_corpus.py)"
    t0 = time.perf_counter()
    spark = make_session(f"local[{args.cores}]", app_name="storyline-bench", conf={
        "spark.sql.shuffle.partitions": str(4 * args.cores), "spark.driver.memory": args.driver_memory,
    })
    t1 = time.perf_counter()
    rep = run_pipeline(spark, args.input, args.output, Config(), SparkOptions(partitions=4 * args.cores), clusterer_factory=factory)
    t2 = time.perf_counter()
    spark.stop()
    print("RESULT " + json.dumps({"startup_s": t1 - t0, "run_s": t2 - t1, "counts": rep.counts, "seconds": rep.seconds, "clusterer": label}))


def _tree(pid: int) -> dict[int, tuple[int, float]]:
    """{pid: (resident bytes, cpu seconds)} for a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    info: dict[int, tuple[int, float]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    page = os.sysconf("SC_PAGE_SIZE")
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{d}/statm") as fh:
                rss = int(fh.read().split()[1]) * page
            children.setdefault(int(fields[1]), []).append(int(d))
            info[int(d)] = (rss, (int(fields[11]) + int(fields[12])) / tick)
        except (OSError, ValueError, IndexError):
            continue
    out, stack = {}, [pid]
    while stack:
        p = stack.pop()
        if p in info:
            out[p] = info[p]
        stack += children.get(p, [])
    return out


def measure(input_path: Path, out: Path, cores: int, driver_memory: str) -> dict:
    cmd = [sys.executable, __file__, "--worker", "--input", str(input_path), "--output", str(out), "--cores-one", str(cores),
           "--driver-memory", driver_memory]
    load0 = os.getloadavg()[0]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak = 0
    cpu: dict[int, float] = {}
    while proc.poll() is None:
        tree = _tree(proc.pid)
        peak = max(peak, sum(r for r, _ in tree.values()))
        for p, (_, c) in tree.items():
            cpu[p] = max(cpu.get(p, 0.0), c)
        time.sleep(0.2)
    lines = [ln for ln in proc.stdout.read().splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        return {"error": f"exit {proc.returncode}"}
    res = json.loads(lines[-1][len("RESULT "):])
    res["peak_mb"] = peak / 2**20
    res["cpu_s"] = sum(cpu.values())  # CPU time of the whole tree (driver, JVM, Python workers), as last sampled
    res["load_before"] = load0
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated corpus sizes (articles)")
    ap.add_argument("--cores", default="1,2", help="comma-separated local[N] settings")
    ap.add_argument("--workdir", default="/tmp/storyline-bench-spark")
    ap.add_argument("--driver-memory", default="3g")
    ap.add_argument("--json", default=None, help="also write the results to this file")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--input", help=argparse.SUPPRESS)
    ap.add_argument("--output", help=argparse.SUPPRESS)
    ap.add_argument("--cores-one", dest="cores_one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        args.cores = args.cores_one
        worker(args)
        return
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in [int(x) for x in args.sizes.split(",") if x]:
        corpus = work / f"corpus-{n}.jsonl"
        if not corpus.exists():
            t = time.perf_counter()
            make_corpus(corpus, n)
            print(f"# corpus of {n:,} articles written in {time.perf_counter() - t:.0f} s ({corpus.stat().st_size / 2**20:.0f} MB)", flush=True)
        for c in [int(x) for x in args.cores.split(",") if x]:
            res = measure(corpus, work / f"out-{n}-{c}", c, args.driver_memory)
            res.update(size=n, cores=c)
            if "run_s" in res:
                res["articles_per_s"] = n / res["run_s"]
            rows.append(res)
            print("# " + json.dumps(res), flush=True)
    print()
    print(f"{'articles':>10} {'cores':>5} {'run s':>8} {'articles/s':>11} {'CPU s':>8} {'peak MB':>8} {'load':>5} {'stories':>8} {'dup groups':>10}  clusterer")
    for r in rows:
        if "error" in r:
            print(f"{r['size']:>10,} {r['cores']:>5} failed: {r['error']}")
            continue
        print(f"{r['size']:>10,} {r['cores']:>5} {r['run_s']:>8.1f} {r['articles_per_s']:>11.1f} {r['cpu_s']:>8.0f} {r['peak_mb']:>8.0f} {r['load_before']:>5.1f} "
              f"{r['counts'].get('stories', 0):>8,} {r['counts'].get('duplicate_groups', 0):>10,}  {r['clusterer']}")
    by = {(r["size"], r["cores"]): r for r in rows if "run_s" in r}
    for n in sorted({r["size"] for r in rows}):
        if (n, 1) in by and (n, 2) in by:
            print(f"speed-up 1 -> 2 cores at {n:,} articles: {by[(n, 1)]['run_s'] / by[(n, 2)]['run_s']:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
