"""Load check for `storyline serve`: readers and writers against a local server on loopback.

    PYTHONPATH=src python bench/serve.py [--articles 10000] [--duration 30] [--readers 100] [--writers 10]

1. Builds (once, cached in bench/out/) a store of N articles made by recombining real paragraphs:
   DUC 2004 article paragraphs (../shared/data/duc2004, 22 event clusters) plus the seeds; each
   synthetic article takes 4-8 paragraphs of one cluster, so articles of a cluster form a story.
   Ingest goes through `Pipeline` with the reuse and cluster stages OFF by default (`--stages on`
   runs whatever stages this checkout has). When the store has no stories after ingest (cluster
   stage off or absent), stories are made from the generating clusters (cluster x date bucket, ~10
   articles each) and saved through the store API, so story reads have something to read.
2. Starts `storyline serve` as a subprocess on 127.0.0.1 (a free port), `--analysis stored`.
3. Runs `--readers` concurrent readers (each a closed loop, optional think time) over a mix of
   JSON and page reads, and `--writers` concurrent writers POSTing one new article at a time
   (through the whole pipeline the server has), for `--duration` seconds; every request has a
   timeout; all traffic stays on loopback.
4. Prints requests/s, p50/p90/p99 read latency (overall and per endpoint), write latency, errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from storyline.model import Event, RawDocument, Story  # noqa: E402
from storyline.pipeline import Pipeline  # noqa: E402
from storyline.store import open_store  # noqa: E402
from storyline.text import split_sentences  # noqa: E402

DUC = next(
    (
        p / "shared" / "data" / "duc2004" / "docs"
        for p in ROOT.parents
        if (p / "shared" / "data" / "duc2004" / "docs").is_dir()
    ),
    ROOT.parent / "shared" / "data" / "duc2004" / "docs",
)
SEEDS = ROOT / "examples" / "seeds"
OUTLETS = [
    f"{a} {b}"
    for a in ("Daily", "Evening", "Global", "Metro", "National")
    for b in ("Herald", "Times", "Post", "Wire", "Courier", "Ledger", "Chronicle", "Gazette")
]
CITIES = ["LONDON", "PARIS", "NAIROBI", "DELHI", "LIMA", "OSLO", "CAIRO", "SEOUL", "QUITO", "ACCRA"]


def paragraph_pool() -> dict[str, list[str]]:
    """Paragraphs by source cluster (DUC clusters; the seeds as one more)."""
    pool: dict[str, list[str]] = {}
    if DUC.is_dir():
        for d in sorted(DUC.iterdir()):
            paras = []
            for f in sorted(d.glob("*.txt")):
                # the re-hosted bodies are hard-wrapped without paragraph breaks: 3 sentences = 1 paragraph
                sents = split_sentences(" ".join(f.read_text(encoding="utf-8", errors="replace").split()))
                for k in range(0, len(sents), 3):
                    p = " ".join(sents[k : k + 3])
                    if len(p.split()) >= 12:
                        paras.append(p)
            if paras:
                pool[d.name] = paras
    seeds = []
    for f in sorted(SEEDS.glob("*.txt")):
        seeds += [" ".join(b.split()) for b in f.read_text(encoding="utf-8").split("\n") if len(b.split()) >= 15]
    pool["seeds"] = seeds
    return pool


def make_article(rng: random.Random, cluster: str, paras: list[str], when: datetime, nonce: str = "") -> RawDocument:
    k = min(len(paras), rng.randint(4, 8))
    body = rng.sample(paras, k)
    outlet = rng.choice(OUTLETS)
    first = body[0].split(". ")[0][:110]
    title = " ".join(first.split()[:12]).rstrip(",.;:")
    dateline = f"{rng.choice(CITIES)}, {when.strftime('%B')} {when.day} ({outlet}) - "
    lead = body[0] + (f" The reference number of this report is {nonce}." if nonce else "")
    text = dateline + lead + "\n\n" + "\n\n".join(body[1:])
    return RawDocument(
        source=f"bench:{cluster}:{nonce or rng.random()}",
        text=text,
        meta={"title": title, "outlet": outlet, "date": when.strftime("%Y-%m-%d")},
    )


def build_store(db: Path, n: int, stages: bool, seed: int = 7) -> dict:
    rng = random.Random(seed)
    pool = paragraph_pool()
    clusters = sorted(pool)
    start = datetime(2022, 1, 1)
    docs, meta = [], []
    t0 = time.perf_counter()
    with open_store(db) as store:
        pipe = Pipeline(store, reuse=stages, cluster=stages)
        from storyline.pipeline import IngestReport

        report = IngestReport()
        i = 0
        while store.count_articles() < n:  # a few inputs are rejected or collide: top up to exactly n
            batch = []
            for _ in range(min(1000, n - store.count_articles())):
                c = clusters[i % len(clusters)]
                when = start + timedelta(days=(i * 365) // n)
                batch.append(make_article(rng, c, pool[c], when, nonce=f"b{i}"))
                meta.append((c, when))
                i += 1
            docs += batch
            report.merge(pipe.ingest(batch))
        ingest_s = time.perf_counter() - t0
        stories_made = "pipeline"
        if store.count_stories() == 0:
            stories_made = "synthetic (generating cluster x 2-week bucket)"
            src_cluster = {d.source: m for d, m in zip(docs, meta, strict=True)}
            groups: dict[tuple[str, int], list] = defaultdict(list)
            for r in report.stored:
                c, when = src_cluster[r.source]
                groups[(c, when.toordinal() // 14)].append(r.article_id)
            with store.transaction():
                for (c, bucket), ids in groups.items():
                    arts = store.get_articles(ids)
                    dates = [a.published for a in arts if a.published]
                    sid = f"{c}-{bucket}"
                    half = max(1, len(ids) // 2)
                    events = (
                        [Event(f"{sid}-e1", sid, ids[:half]), Event(f"{sid}-e2", sid, ids[half:])]
                        if len(ids) > 1
                        else [Event(f"{sid}-e1", sid, ids)]
                    )
                    store.save_story(
                        Story(
                            sid,
                            ids,
                            events,
                            title=arts[0].title,
                            outlets=sorted({a.outlet for a in arts if a.outlet}),
                            first_date=min(dates) if dates else None,
                            last_date=max(dates) if dates else None,
                        )
                    )
        info = {
            "articles": store.count_articles(),
            "stories": store.count_stories(),
            "ingest_s": round(ingest_s, 1),
            "paragraph_sources": len(pool) - 1 if DUC.is_dir() else 0,
            "stories_from": stories_made,
            "stages": "on" if stages else "off",
            "rejected": len(report.rejected),
        }
    (db.parent / (db.name + ".json")).write_text(json.dumps(info))
    return info


def cpu_seconds(pid: int, tree_too: bool = True) -> float:
    """CPU time (user + system) of a process and all its descendants (workers, ingest process), from /proc."""
    if not tree_too:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    tree, grew = {pid}, True
    while grew:
        grew = False
        for p, (ppid, _) in stats.items():
            if ppid in tree and p not in tree:
                tree.add(p)
                grew = True
    return sum(stats[p][1] for p in tree if p in stats)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


class HTTPError(Exception):
    pass


class Conn:
    """A minimal keep-alive HTTP/1.1 client connection on asyncio streams: the load generator shares
    the cores with the server, so it must cost far less per request than the server does (httpx costs
    about as much as a cached read). Reads the whole body (Content-Length or chunked) and nothing else."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def _request(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 22)
        head = f"{method} {path} HTTP/1.1\r\nhost: {self.host}\r\n"
        if body is not None:
            head += f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + (body or b""))
        reader = self.reader
        status_line = await reader.readline()
        if not status_line:
            raise HTTPError("connection closed")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close = None, False, False
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await reader.readline()
                    break
                parts.append(await reader.readexactly(size))
                await reader.readline()
            data = b"".join(parts)
        else:
            data = await reader.readexactly(length or 0)
        if close:
            self.close()
        return status, data

    async def request(self, method: str, path: str, body: bytes | None, timeout: float) -> tuple[int, bytes]:
        try:
            return await asyncio.wait_for(self._request(method, path, body), timeout)
        except asyncio.TimeoutError:
            self.close()  # a late answer must not be read as the next request's
            raise HTTPError("timeout") from None
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            self.close()
            raise HTTPError(type(exc).__name__) from None


async def run_load(base: str, args, story_ids: list[str], article_ids: list[str]) -> dict:
    reads: dict[str, list[float]] = defaultdict(list)
    writes: list[float] = []
    errors: dict[str, int] = defaultdict(int)
    slow: list[tuple[float, str, float]] = []
    t0 = time.perf_counter()
    deadline = t0 + args.duration
    pool = paragraph_pool()
    clusters = sorted(pool)
    mix = [
        ("stories", 30),
        ("story", 25),
        ("article", 25),
        ("story_page", 10),
        ("article_page", 5),
        ("index", 4),
        ("search", 1),
    ]
    names = [m[0] for m in mix]
    weights = [m[1] for m in mix]
    host, port = base.split("//", 1)[1].rsplit(":", 1)

    def url_for(kind: str, r: random.Random) -> str:
        if kind == "stories":
            return f"/stories?limit=20&offset={r.randrange(0, 200, 20)}"
        if kind == "story":
            return f"/stories/{r.choice(story_ids)}"
        if kind == "article":
            return f"/articles/{r.choice(article_ids)}"
        if kind == "story_page":
            return f"/story/{r.choice(story_ids)}"
        if kind == "article_page":
            return f"/article/{r.choice(article_ids)}"
        if kind == "index":
            return "/"
        return f"/search?q={r.choice(['minister', 'election', 'storm', 'talks', 'court'])}&limit=10"

    async def reader(i: int) -> None:
        r = random.Random(1000 + i)
        conn = Conn(host, int(port))
        while time.perf_counter() < deadline:
            kind = r.choices(names, weights)[0]
            t = time.perf_counter()
            try:
                status, _ = await conn.request("GET", url_for(kind, r), None, args.timeout)
                if status == 200:
                    took = time.perf_counter() - t
                    reads[kind].append(took)
                    if took > 0.25:  # when the slowest reads happened (seconds into the run), for the tail
                        slow.append((round(t - t0, 2), kind, round(1000 * took, 1)))
                else:
                    errors[f"read {kind} HTTP {status}"] += 1
            except HTTPError as exc:
                errors[f"read {kind} {exc}"] += 1
            if args.think:
                await asyncio.sleep(r.uniform(0, 2 * args.think))
        conn.close()

    async def writer(i: int) -> None:
        r = random.Random(5000 + i)
        conn = Conn(host, int(port))
        n = 0
        while time.perf_counter() < deadline:
            c = r.choice(clusters)
            doc = make_article(
                r, c, pool[c], datetime(2023, 1, 1) + timedelta(days=r.randrange(300)), nonce=f"w{i}-{n}-{r.random()}"
            )
            n += 1
            body = json.dumps({"text": doc.text, **doc.meta}).encode()
            t = time.perf_counter()
            ok = False
            try:
                status, data = await conn.request("POST", "/articles", body, args.timeout)
                answer = json.loads(data) if data else {}
                ok = status in (200, 201) and answer["results"][0]["status"] == "stored"
                if not ok:
                    res = answer.get("results", [{}])[0]
                    detail = (
                        f"{res.get('status', '')} ({res.get('reason')})" if status == 200 else answer.get("error", "")
                    )
                    errors[f"write HTTP {status} {detail}".strip()] += 1
            except HTTPError as exc:
                errors[f"write {exc}"] += 1
            if ok:
                writes.append(time.perf_counter() - t)
            if args.write_think:
                await asyncio.sleep(r.uniform(0, 2 * args.write_think))
        conn.close()

    await asyncio.gather(*[reader(i) for i in range(args.readers)], *[writer(i) for i in range(args.writers)])
    elapsed = time.perf_counter() - t0
    all_reads = [x for xs in reads.values() for x in xs]
    return {
        "elapsed": elapsed,
        "reads": reads,
        "all_reads": all_reads,
        "writes": writes,
        "errors": dict(errors),
        "slow_reads": sorted(slow, key=lambda x: -x[2])[:20],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    ap.add_argument("--readers", type=int, default=100)
    ap.add_argument("--writers", type=int, default=10)
    ap.add_argument(
        "--think", type=float, default=0.0, help="mean seconds a reader waits between requests (0: closed loop)"
    )
    ap.add_argument(
        "--write-think", type=float, default=0.0, help="mean seconds a writer waits between posts (0: closed loop)"
    )
    ap.add_argument("--timeout", type=float, default=10.0, help="per-request timeout (s)")
    ap.add_argument(
        "--stages", choices=["off", "on"], default="off", help="reuse/cluster stages while building the store"
    )
    ap.add_argument("--db", type=Path, default=None, help="store to use/build (default bench/out/serve-N.db)")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--workers", type=int, default=1, help="server processes (storyline serve --workers)")
    ap.add_argument(
        "--ingest-nice", type=int, default=None, help="storyline serve --ingest-nice (default: the server's)"
    )
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()

    db = args.db or ROOT / "bench" / "out" / f"serve-{args.articles}-{args.stages}.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    info_path = db.parent / (db.name + ".json")
    if args.rebuild or not db.exists() or not info_path.exists():
        for suffix in ("", "-wal", "-shm", ".json"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        print(f"building {db} with {args.articles} articles (stages {args.stages}) ...", flush=True)
        info = build_store(db, args.articles, args.stages == "on")
    else:
        info = json.loads(info_path.read_text())
    # the writers add articles: work on a copy so each run starts from the same store
    work = db.parent / (db.stem + "-run.db")
    for suffix in ("", "-wal", "-shm"):
        Path(str(work) + suffix).unlink(missing_ok=True)
    import sqlite3

    src, dst = sqlite3.connect(db), sqlite3.connect(work)
    src.backup(dst)
    src.close()
    dst.close()
    import shutil

    for side in db.parent.glob(db.name + ".reuse.*"):  # the store's vector index (else rebuilt on the first POST)
        shutil.copyfile(side, work.parent / (work.name + side.name[len(db.name) :]))
    with open_store(work) as store:
        story_ids = [s.id for s in store.list_stories(limit=100_000)]
        article_ids = [a.id for a in store.list_articles(limit=100_000)]
    print(f"store: {info}", flush=True)

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "storyline.cli",
            "serve",
            "--db",
            str(work),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--analysis",
            "stored",
            "--workers",
            str(args.workers),
            *([] if args.ingest_nice is None else ["--ingest-nice", str(args.ingest_nice)]),
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        t_end = time.time() + 60
        while True:
            try:
                if httpx.get(base + "/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.time() > t_end:
                raise SystemExit("server did not start")
            time.sleep(0.3)
        print(
            f"load: {args.readers} readers (think {args.think}s), {args.writers} writers, {args.duration:g}s on {base}",
            flush=True,
        )
        server_pid = proc.pid  # with 1 worker uvicorn serves in this process; the ingest worker is a child
        cpu0, load0 = cpu_seconds(proc.pid), os.getloadavg()[0]
        main0 = cpu_seconds(server_pid, tree_too=False)
        client0 = time.process_time()
        try:
            import uvloop  # the cheaper event loop, as the server uses

            res = uvloop.run(run_load(base, args, story_ids, article_ids))
        except ImportError:
            res = asyncio.run(run_load(base, args, story_ids, article_ids))
        client_cpu = time.process_time() - client0
        server_cpu = cpu_seconds(proc.pid) - cpu0
        main_cpu = cpu_seconds(server_pid, tree_too=False) - main0
        load1 = os.getloadavg()
        try:
            stats = json.loads(httpx.get(base + "/stats", timeout=5).text)
        except Exception:  # noqa: BLE001 - an older server has no /stats
            stats = None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    el = res["elapsed"]
    n_r, n_w = len(res["all_reads"]), len(res["writes"])
    n_err = sum(res["errors"].values())
    ms = lambda x: round(1000 * x, 1)  # noqa: E731
    out = {
        "store": info,
        "server_workers": args.workers,
        "ingest_nice": args.ingest_nice,
        "readers": args.readers,
        "writers": args.writers,
        "think_s": args.think,
        "write_think_s": args.write_think,
        "duration_s": round(el, 1),
        "cpus": os.cpu_count(),
        "requests_per_s": round((n_r + n_w) / el, 1),
        "reads_per_s": round(n_r / el, 1),
        "writes_per_s": round(n_w / el, 2),
        "read_ms": {
            "p50": ms(pct(res["all_reads"], 50)),
            "p90": ms(pct(res["all_reads"], 90)),
            "p99": ms(pct(res["all_reads"], 99)),
            "max": ms(max(res["all_reads"], default=float("nan"))),
        },
        "read_ms_by_endpoint": {
            k: {"n": len(v), "p50": ms(pct(v, 50)), "p90": ms(pct(v, 90)), "p99": ms(pct(v, 99)), "max": ms(max(v))}
            for k, v in sorted(res["reads"].items())
        },
        "write_ms": {
            "n": n_w,
            "p50": ms(pct(res["writes"], 50)),
            "p99": ms(pct(res["writes"], 99)),
            "mean": ms(statistics.fmean(res["writes"])) if res["writes"] else None,
        },
        "errors": n_err,
        "error_kinds": res["errors"],
        "slowest_reads": [{"at_s": a, "kind": k, "ms": m} for a, k, m in res["slow_reads"]],
        # contention-independent: CPU the server (and its ingest worker) spent, per request
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_share": round(server_cpu / el, 2),
        "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, n_r + n_w), 2),
        "server_main_cpu_share": round(main_cpu / el, 2),
        "ingest_worker_cpu_share": round((server_cpu - main_cpu) / el, 2),
        "client_cpu_share": round(client_cpu / el, 2),
        "loadavg_before": round(load0, 2),
        "loadavg_after_1_5_15": [round(x, 2) for x in load1],
        "server_stats": stats,
    }
    print(json.dumps(out, indent=2))
    verdict = "OK" if n_err == 0 and out["read_ms"]["p99"] < 200 else "TARGET MISSED"
    print(
        f"{verdict}: {out['requests_per_s']} req/s, read p50 {out['read_ms']['p50']} ms, p99 {out['read_ms']['p99']} ms, "
        f"write p50 {out['write_ms']['p50']} ms, errors {n_err} (target: 0 errors, read p99 < 200 ms)"
    )
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    for suffix in ("", "-wal", "-shm"):
        Path(str(work) + suffix).unlink(missing_ok=True)
    for side in work.parent.glob(work.name + ".reuse.*"):  # the copy's vector index, written by the server
        side.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
