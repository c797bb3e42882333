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

Besides the table, each run's JSON line gives the wall seconds and CPU seconds of each step and the CPU
seconds by kind of process (driver Python, JVM, Python workers).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = next(
    (p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if (p / "data").exists()), ROOT.parent / "shared"
)


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


_TOKEN = re.compile(r"[A-Za-z]+|[0-9]+|[^A-Za-z0-9]+")


def _variant(sents: list[str], k: int, vocab: dict[str, list[str]]) -> list[str]:
    """Topic ``k``'s version of a pool: 70 % of the pool's distinct content words (names, places, numbers,
    other words of 4+ letters that are not stopwords) replaced by other real words of the same kind, chosen
    per topic -- so that topics drawn from the same pool are different stories (other names, other 5-word
    shingles), not copies of each other."""
    from storyline.text import stopwords

    rng = random.Random(k * 7919 + 13)
    stop = stopwords()
    words = sorted(
        {t for s in sents for t in _TOKEN.findall(s) if t[0].isdigit() or (len(t) > 3 and t.lower() not in stop)}
    )
    sub = {}
    for w in words:
        if rng.random() < 0.7:
            kind = "num" if w[0].isdigit() else "cap" if w[0].isupper() else "low"
            sub[w] = rng.choice(vocab[kind]) if kind != "num" else str(rng.randrange(2, 2000))
    return ["".join(sub.get(t, t) for t in _TOKEN.findall(s)) for s in sents]


def make_corpus(path: Path, n: int, seed: int = 1, per_topic: int = 250) -> None:
    """Write ``n`` articles as JSONL, streaming (memory does not grow with ``n``).

    Topics: ``max(pools, n / per_topic)``, so a topic has ~``per_topic`` articles whatever the corpus size
    (the density of related articles, and so the candidate pairs and story sizes per article, stay the
    same; the number of stories grows with the corpus, as a longer or wider crawl's does). Topic ``k`` draws
    from pool ``k % pools`` (a DUC cluster, an AEB article, a seed), with its words substituted per topic
    beyond the first round of pools (:func:`_variant`), and runs for 21 days from a random start within a
    year. Articles are written in date order (day by day; only the topics running that day are in memory):
    8-25 sentences of the topic, 3 to a paragraph, a lede line, the outlet's furniture lines; 3 % are
    copies of a recent article (exact, or with two words changed) under another outlet.
    """
    rng = random.Random(seed)
    pool = topics()
    vocab: dict[str, list[str]] = {"cap": [], "low": []}
    for w in sorted({t for sents in pool for s in sents for t in _TOKEN.findall(s) if t.isalpha() and len(t) > 2}):
        vocab["cap" if w[0].isupper() else "low"].append(w)
    n_topics = max(len(pool), round(n / per_topic))
    starts = sorted((rng.randrange(365 - 21), k) for k in range(n_topics))
    start_of = {k: d for d, k in starts}
    outlets = [f"Outlet {i}" for i in range(60)]
    start = datetime(2020, 1, 1)
    per_day = [n // 365 + (1 if d < n % 365 else 0) for d in range(365)]
    active: dict[int, list[str]] = {}
    nxt = 0
    written: list[dict] = []
    with path.open("w", encoding="utf-8") as fh:
        for day in range(365):
            while nxt < len(starts) and starts[nxt][0] <= day:
                k = starts[nxt][1]
                base = pool[k % len(pool)]
                active[k] = base if k < len(pool) else _variant(base, k, vocab)
                nxt += 1
            for k in [k for k in active if day >= start_of[k] + 21]:  # the topic has run its 21 days
                del active[k]
            live = sorted(active)
            for _ in range(per_day[day]):
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
                    t = rng.choice(live) if live else starts[min(nxt, len(starts)) - 1][1]
                    sents = active[t] if t in active else pool[t % len(pool)]
                    kk = min(len(sents) // 4, rng.randint(8, 25))
                    body = rng.sample(sents, kk)
                    outlet = outlets[(t * 7 + rng.randrange(5)) % len(outlets)]
                    when = start + timedelta(days=day, minutes=rng.randrange(1440))
                    paras = ["\n".join(body[j : j + 3]) for j in range(0, len(body), 3)]
                    text = (
                        f"{body[0][:80]}\n\n"
                        + "\n\n".join(paras)
                        + f"\n\nFollow {outlet} on social media\nMost Visited\n"
                    )
                    rec = {"text": text, "outlet": outlet, "date": when.strftime("%Y-%m-%dT%H:%M")}
                written.append(rec)
                if len(written) > 4000:
                    del written[:2000]
                fh.write(json.dumps(rec) + "\n")


# ----------------------------------------------------------------------------- one measured run (child process)


def worker(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from storyline.config import Config
    from storyline.spark import SparkOptions, make_session, run_pipeline

    t0 = time.perf_counter()
    spark = make_session(
        f"local[{args.cores}]",
        app_name="storyline-bench",
        conf={
            "spark.sql.shuffle.partitions": str(4 * args.cores),
            "spark.driver.memory": args.driver_memory,
        },
    )
    print("LAP startup", flush=True)
    t1 = time.perf_counter()
    rep = run_pipeline(
        spark,
        args.input,
        args.output,
        Config(),
        SparkOptions(partitions=4 * args.cores),
        on_lap=lambda name: print(f"LAP {name}", flush=True),
    )
    t2 = time.perf_counter()
    spark.stop()
    print(
        "RESULT " + json.dumps({"startup_s": t1 - t0, "run_s": t2 - t1, "counts": rep.counts, "seconds": rep.seconds}),
        flush=True,
    )


def _tree(pid: int) -> dict[int, tuple[int, float, str]]:
    """{pid: (resident bytes, cpu seconds, kind)} for a process and all its descendants (from /proc);
    kind: "driver" (the measured Python process), "jvm" (java), "workers" (the PySpark Python workers)."""
    children: dict[int, list[int]] = {}
    info: dict[int, tuple[int, float, str]] = {}
    tick = os.sysconf("SC_CLK_TCK")
    page = os.sysconf("SC_PAGE_SIZE")
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                head, rest = fh.read().rsplit(")", 1)
            fields = rest.split()
            with open(f"/proc/{d}/statm") as fh:
                rss = int(fh.read().split()[1]) * page
            comm = head.split("(", 1)[1]
            kind = "driver" if int(d) == pid else "jvm" if comm == "java" else "workers"
            children.setdefault(int(fields[1]), []).append(int(d))
            info[int(d)] = (rss, (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick, kind)
        except (OSError, ValueError, IndexError):
            continue
    out, stack = {}, [pid]
    while stack:
        p = stack.pop()
        if p in info:
            out[p] = info[p]
        stack += children.get(p, [])
    return out


def measure(input_path: Path, out: Path, cores: int, driver_memory: str, pin: bool = True) -> dict:
    """Run one configuration in a fresh process; sample its process tree every 0.2 s (peak resident memory,
    CPU time by kind of process, and the CPU time at the end of each step of the pipeline)."""
    import threading

    cmd = [
        sys.executable,
        __file__,
        "--worker",
        "--input",
        str(input_path),
        "--output",
        str(out),
        "--cores-one",
        str(cores),
        "--driver-memory",
        driver_memory,
    ]
    load0 = os.getloadavg()[0]
    cpus = sorted(os.sched_getaffinity(0))
    pinned = pin and len(cpus) >= cores
    # pinned: the whole process tree (driver, JVM, Python workers) may run on ``cores`` CPUs only, so that
    # local[1] is one core (unpinned it also uses a second one: the JVM feeds the Python worker while it
    # computes, plus GC, JIT and driver threads) and local[2] two
    preexec = (lambda: os.sched_setaffinity(0, cpus[:cores])) if pinned else None
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, preexec_fn=preexec)
    peak = 0
    peak_kind: dict[str, int] = {}  # highest resident memory per kind of process (at different moments)
    n_workers = 0  # most Python worker processes alive at once
    cpu: dict[int, tuple[float, str]] = {}
    lock = threading.Lock()

    def total() -> float:
        return sum(c for c, _ in cpu.values())

    def sample() -> None:
        nonlocal peak, n_workers
        tree = _tree(proc.pid)
        with lock:
            peak = max(peak, sum(r for r, _, _ in tree.values()))
            by: dict[str, int] = {}
            for r, _, kind in tree.values():
                by[kind] = by.get(kind, 0) + r
            for kind, r in by.items():
                peak_kind[kind] = max(peak_kind.get(kind, 0), r)
            n_workers = max(n_workers, sum(1 for _, _, kind in tree.values() if kind == "workers"))
            for p, (_, c, kind) in tree.items():
                cpu[p] = (max(cpu.get(p, (0.0, kind))[0], c), kind)

    laps: list[tuple[str, float]] = []
    result: list[str] = []

    def read() -> None:
        for line in proc.stdout:
            if line.startswith("LAP "):
                sample()
                with lock:
                    laps.append((line[4:].strip(), total()))
            elif line.startswith("RESULT "):
                result.append(line[len("RESULT ") :])

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while proc.poll() is None:
        sample()
        time.sleep(0.2)
    reader.join(timeout=10)
    if proc.returncode != 0 or not result:
        return {"error": f"exit {proc.returncode}"}
    res = json.loads(result[-1])
    res["peak_mb"] = peak / 2**20
    res["peak_mb_by_kind"] = {k: round(v / 2**20) for k, v in sorted(peak_kind.items())}
    res["python_processes"] = n_workers
    res["cpu_s"] = total()  # CPU time of the whole tree (driver, JVM, Python workers), as last sampled
    by_kind: dict[str, float] = {}
    for c, kind in cpu.values():
        by_kind[kind] = by_kind.get(kind, 0.0) + c
    res["cpu_by_kind"] = {k: round(v, 1) for k, v in sorted(by_kind.items())}
    prev = 0.0
    res["cpu_by_step"] = {}
    for name, c in laps:
        res["cpu_by_step"][name] = round(c - prev, 1)
        prev = c
    res["load_before"] = load0
    res["pinned_cpus"] = cores if pinned else None
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated corpus sizes (articles)")
    ap.add_argument("--cores", default="1,2", help="comma-separated local[N] settings")
    ap.add_argument("--workdir", default="/tmp/storyline-bench-spark")
    ap.add_argument("--driver-memory", default="3g")
    ap.add_argument("--json", default=None, help="also write the results to this file")
    ap.add_argument("--keep-output", action="store_true", help="keep each run's Parquet output (default: deleted)")
    ap.add_argument(
        "--no-pin",
        action="store_true",
        help="do not restrict a local[N] run to N CPUs (by default its process tree gets CPUs 0..N-1)",
    )
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
        corpus = work / f"corpus-v2-{n}.jsonl"
        if not corpus.exists():
            t = time.perf_counter()
            make_corpus(corpus, n)
            print(
                f"# corpus of {n:,} articles written in {time.perf_counter() - t:.0f} s ({corpus.stat().st_size / 2**20:.0f} MB)",
                flush=True,
            )
        for c in [int(x) for x in args.cores.split(",") if x]:
            res = measure(corpus, work / f"out-{n}-{c}", c, args.driver_memory, pin=not args.no_pin)
            if not args.keep_output:
                shutil.rmtree(work / f"out-{n}-{c}", ignore_errors=True)
            res.update(size=n, cores=c)
            if "run_s" in res:
                res["articles_per_s"] = n / res["run_s"]
            rows.append(res)
            print("# " + json.dumps(res), flush=True)
    print()
    print(
        f"{'articles':>10} {'cores':>5} {'pinned':>6} {'run s':>8} {'articles/s':>11} {'CPU s':>8} {'art/CPU s':>9} {'peak MB':>8} {'load':>5} {'stories':>8} {'dup groups':>10}"
    )
    for r in rows:
        if "error" in r:
            print(f"{r['size']:>10,} {r['cores']:>5} failed: {r['error']}")
            continue
        print(
            f"{r['size']:>10,} {r['cores']:>5} {str(r.get('pinned_cpus') or '-'):>6} {r['run_s']:>8.1f} {r['articles_per_s']:>11.1f} {r['cpu_s']:>8.0f} "
            f"{r['size'] / max(r['cpu_s'], 1e-9):>9.1f} {r['peak_mb']:>8.0f} {r['load_before']:>5.1f} "
            f"{r['counts'].get('stories', 0):>8,} {r['counts'].get('duplicate_groups', 0):>10,}"
        )
    by = {(r["size"], r["cores"]): r for r in rows if "run_s" in r}
    for n in sorted({r["size"] for r in rows}):
        if (n, 1) in by and (n, 2) in by:
            print(f"speed-up 1 -> 2 cores at {n:,} articles: {by[(n, 1)]['run_s'] / by[(n, 2)]['run_s']:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
