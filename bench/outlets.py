"""Benchmark the outlet graph ("who copies whom"): a cold build over a large store, then incremental updates.

A synthetic world with known copy rates is written straight through the store API (articles, reuse edges
with a few aligned passages each, stories): 5 wire services and 35 outlets. Every story starts with a wire
report; each further article of the story is by a random outlet, which copies the wire report with its
own known rate p_copy (a quarter of those copies are of another copy of the story: a chain, found by the
detector as an exact duplicate of the copy and a near-duplicate of the original), rewrites it (10%),
carries a few of its passages (5%) or reports on its own. Lags are exponential (mean 3 h for copies, 8 h
for rewrites, 12 h for independent reports); 30% of copies credit the wire ("according to ...").
Bodies are 9 sentences of real text (DUC 2004 when ../shared/data has it, else generated words).

Measured: the cold build of ``outlet_graph(store)`` (a fresh aggregator reading everything), then updates
after 100 new articles each (with their edges and story updates, as an ingest chunk writes them), and the
peak RSS of the measuring process (the store is written by a child process, so its memory is not counted).
At the end the incremental graph is checked equal to a fresh build, and the recovered rates are compared
with those the world was made with.

    PYTHONPATH=src python bench/outlets.py                       # 100,000 articles, 5 updates of 100
    PYTHONPATH=src python bench/outlets.py --articles 20000 --db /tmp/o.db
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import multiprocessing
import os
import random
import re
import resource
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from storyline.model import AlignedPassage, Article, Event, ReuseEdge, Story, content_id
from storyline.outlets import build_outlet_graph, outlet_graph
from storyline.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]
DUC = ROOT.parent / "shared" / "data" / "duc2004" / "docs"
WIRES = ["Agence Alpha", "Beta Wire", "Gamma Press", "Delta News Agency", "Epsilon Service"]
OUTLETS = [f"Outlet {k:02d}" for k in range(35)]
P_REWRITE, P_PARTIAL, P_CITE, P_CHAIN = 0.10, 0.05, 0.30, 0.25
MEAN_LAG = {"copy": 3.0, "rewrite": 8.0, "independent": 12.0}
START = datetime(2024, 1, 1)


def p_copy(outlet: str) -> float:
    """Each outlet's known copy rate: 0.05 to 0.55 of its articles (by its number)."""
    return 0.05 + 0.5 * (int(outlet.split()[1]) / (len(OUTLETS) - 1))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_file_mb() -> float:
    """Resident file-backed pages now (SQLite maps the store file: shared page cache, not the process's own)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("RssFile:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def sentence_pool(rng: random.Random) -> list[str]:
    pool: list[str] = []
    for f in sorted(DUC.glob("*/*.txt")) if DUC.is_dir() else []:
        text = re.sub(r"\s+", " ", f.read_text(encoding="utf-8", errors="replace"))
        pool += [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 8]
    if len(pool) < 500:
        vocab = [f"w{k}" for k in range(5000)]
        pool = [" ".join(rng.choice(vocab) for _ in range(rng.randint(12, 30))).capitalize() + "." for _ in range(5000)]
    return pool


class World:
    """Writes stories of articles with known copying into a store, chunk by chunk."""

    def __init__(self, seed: int = 11):
        self.rng = random.Random(seed)
        self.pool = sentence_pool(self.rng)
        self.n = 0
        self.stories: list[dict] = []  # {"id", "t0", "articles": [(id, outlet, when, paras)], "wire"}

    def _article(self, outlet: str, when: datetime, paras: list[str]) -> Article:
        self.n += 1
        return Article(
            id=content_id(paras + [f"#{self.n}"]),
            source=f"synthetic:{self.n}",
            paragraphs=paras,
            outlet=outlet,
            published=when,
            date_precision="minute",
            title=f"Article {self.n}",
        )

    def _paras(self) -> list[str]:
        sents = [self.rng.choice(self.pool) for _ in range(9)]
        return [" ".join(sents[i : i + 3]) for i in range(0, 9, 3)]

    def _edge(self, src: tuple, tgt: Article, relation: str, sc: float, tc: float) -> ReuseEdge:
        sents = [s for p in src[3] for s in re.split(r"(?<=[.!?])\s+", p)][:4]
        passages = [AlignedPassage(i, i, s, s, 1.0, "identical") for i, s in enumerate(sents)]
        conf = {"exact-duplicate": 0.99, "near-duplicate": 0.9, "rewrite": 0.8, "partial-reuse": 0.7}[relation]
        return ReuseEdge(src[0], tgt.id, relation, conf, sc, tc, "date", 0.9, passages)

    def new_story(self) -> tuple[list[Article], list[ReuseEdge], dict]:
        wire = self.rng.choice(WIRES)
        t0 = START + timedelta(minutes=self.rng.randrange(365 * 24 * 60))
        orig = self._article(wire, t0, self._paras())
        story = {"id": f"s-{orig.id}", "t0": t0, "wire": wire, "articles": [(orig.id, wire, t0, orig.paragraphs)]}
        self.stories.append(story)
        return [orig], [], story

    def join(self, story: dict) -> tuple[Article, list[ReuseEdge]]:
        """One more article for a story, copying the wire report (or a copy of it) at the outlet's rates."""
        outlet = self.rng.choice(OUTLETS)
        orig = story["articles"][0]
        r = self.rng.random()
        pc = p_copy(outlet)
        if r < pc:
            copies = [a for a in story["articles"][1:] if a[3][1:] == orig[3][1:] and a[3] != orig[3]]
            chain = copies and self.rng.random() < P_CHAIN
            base = self.rng.choice(copies) if chain else orig
            when = base[2] + timedelta(hours=self.rng.expovariate(1 / MEAN_LAG["copy"]))
            first = base[3][0]
            if self.rng.random() < P_CITE:
                first = f"According to {story['wire']}, " + first
            paras = [first + " ", *base[3][1:]]
            art = self._article(outlet, when, paras)
            edges = [self._edge(base, art, "exact-duplicate" if chain else "near-duplicate", 1.0, 1.0)]
            if chain:
                edges.append(self._edge(orig, art, "near-duplicate", 1.0, 0.95))
        elif r < pc + P_REWRITE:
            when = orig[2] + timedelta(hours=self.rng.expovariate(1 / MEAN_LAG["rewrite"]))
            art = self._article(outlet, when, [p[::-1] for p in orig[3]])  # stands for a reworded text
            edges = [self._edge(orig, art, "rewrite", 0.8, 0.9)]
        elif r < pc + P_REWRITE + P_PARTIAL:
            when = orig[2] + timedelta(hours=self.rng.expovariate(1 / MEAN_LAG["copy"]))
            art = self._article(outlet, when, self._paras() + [orig[3][0]])
            edges = [self._edge(orig, art, "partial-reuse", 0.33, 0.25)]
        else:
            when = orig[2] + timedelta(hours=self.rng.expovariate(1 / MEAN_LAG["independent"]))
            art = self._article(outlet, when, self._paras())
            edges = []
        story["articles"].append((art.id, outlet, when, art.paragraphs))
        return art, edges

    def write(self, store: SQLiteStore, articles: list[Article], edges: list[ReuseEdge], touched: list[dict]) -> None:
        """One ingest chunk: articles, then their edges, then the stories they joined, in one transaction."""
        with store.transaction():
            for a in articles:
                store.put_article(a)
            store.put_edges(edges)
            for s in {id(s): s for s in touched}.values():
                ids = [a[0] for a in s["articles"]]
                outlets = sorted({a[1] for a in s["articles"]})
                ev = Event(id=f"e-{s['id'][2:]}", story_id=s["id"], article_ids=ids)
                store.save_story(
                    Story(
                        id=s["id"],
                        article_ids=ids,
                        events=[ev],
                        outlets=outlets,
                        first_date=s["t0"],
                        last_date=max(a[2] for a in s["articles"]),
                    )
                )

    def chunk(self, n: int, recent: int = 400) -> tuple[list[Article], list[ReuseEdge], list[dict]]:
        """n new articles: a new story every 12 articles or so, the rest joining one of the recent stories."""
        arts, edges, touched = [], [], []
        while len(arts) < n:
            if not self.stories or self.rng.random() < 1 / 12:
                a, e, s = self.new_story()
            else:
                s = self.rng.choice(self.stories[-recent:])
                a1, e = self.join(s)
                a = [a1]
            arts += a
            edges += e
            touched.append(s)
        return arts, edges, touched


def build_store(path: str, n: int, seed: int) -> None:
    world = World(seed)
    store = SQLiteStore(path)
    t0 = time.perf_counter()
    while world.n < n:
        world.write(store, *world.chunk(min(1000, n - world.n)))
    with open(path + ".world.json", "w") as fh:
        json.dump({"n": world.n, "rng": repr(world.rng.getstate()), "stories": len(world.stories)}, fh)
    store.close()
    print(f"  store written: {world.n:,} articles, {len(world.stories):,} stories in {time.perf_counter() - t0:.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--updates", type=int, default=5)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--db", default=None, help="store file (kept; reused when it exists)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--json", default=None, help="write the figures here")
    args = ap.parse_args()
    path = args.db or os.path.join(tempfile.mkdtemp(prefix="outlets-bench-"), "bench.db")
    if not os.path.exists(path):
        child = multiprocessing.get_context("fork").Process(target=build_store, args=(path, args.articles, args.seed))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit("building the store failed")
    store = SQLiteStore(path)
    n_articles = store.count_articles()
    rss0 = rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    graph = outlet_graph(store)
    build_s, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    rss_build = rss_mb()
    print(
        f"cold build: {n_articles:,} articles, {len(graph.stories):,} stories, {len(graph.pairs):,} pairs,"
        f" {build_s:.2f} s ({build_cpu:.2f} CPU-s), peak RSS {rss_build:.0f} MB (before {rss0:.0f} MB;"
        f" {rss_file_mb():.0f} MB of it the store file read through mmap)"
    )
    # updates: the world carries on (a fresh generator with another seed, joining the stored stories)
    world = World(args.seed + 1)
    world.n = n_articles
    for sid, members in list(store.story_members().items())[-400:]:
        metas = {m[1]: m for m in store.article_meta(members)}
        texts = store.article_texts(members)
        arts = sorted((m[3], m[1], m[2]) for m in metas.values())
        world.stories.append(
            {
                "id": sid,
                "t0": datetime.fromisoformat(arts[0][0]),
                "wire": arts[0][2],
                "articles": [(a, o, datetime.fromisoformat(w), texts[a].split("\n\n")) for w, a, o in arts],
            }
        )
    times, cpus, gcs = [], [], []
    for _ in range(args.updates):
        world.write(store, *world.chunk(args.batch))
        g2, t0, c0 = gc.get_stats()[2]["collections"], time.perf_counter(), time.process_time()
        graph = outlet_graph(store)
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        gcs.append(gc.get_stats()[2]["collections"] - g2)
    upd = [1000 * t for t in times]
    print(
        f"updates after {args.batch} new articles: median {statistics.median(upd):.0f} ms, max {max(upd):.0f} ms"
        f" ({', '.join(f'{t:.0f}' for t in upd)}; CPU ms {', '.join(f'{1000 * c:.0f}' for c in cpus)};"
        f" full garbage collections during each: {gcs})"
    )
    t0 = time.perf_counter()
    fresh = build_outlet_graph(store)
    rebuild_s = time.perf_counter() - t0
    same = dict(fresh.pairs) == dict(graph.pairs) and dict(fresh.outlets) == dict(graph.outlets)
    print(f"incremental graph equals a fresh build: {same} (fresh build {rebuild_s:.2f} s)")
    # recovered against known: share of each outlet's articles that copy or rewrite, and lags
    errs = []
    for o in OUTLETS:
        st = graph.outlet(o)
        want = p_copy(o) + P_REWRITE
        errs.append(abs((1 - st.original_share) - want))
    cited = sum(p.cited for p in graph.pairs.values() if p.source in WIRES)
    copies = sum(p.copies for p in graph.pairs.values() if p.source in WIRES)
    print(
        f"known vs recovered: mean |non-original share - (p_copy + p_rewrite)| over the 35 outlets"
        f" {statistics.mean(errs):.3f}; wire copies crediting the wire {cited / max(1, copies):.2f} (made {P_CITE:.2f})"
    )
    w2o = [p for p in graph.pairs.values() if p.source in WIRES and p.copier in OUTLETS]
    mix = statistics.median(p.lag_hours_median for p in w2o if p.lag_hours_median is not None)
    print(
        f"  median over wire -> outlet pairs of the pair's median lag: {mix:.2f} h (copies alone:"
        f" {MEAN_LAG['copy'] * math.log(2):.2f} h, rewrites alone: {MEAN_LAG['rewrite'] * math.log(2):.2f} h)"
    )
    print(f"peak RSS of this process: {rss_mb():.0f} MB")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {
                    "articles": n_articles,
                    "stories": len(graph.stories),
                    "pairs": len(graph.pairs),
                    "build_s": round(build_s, 3),
                    "build_cpu_s": round(build_cpu, 3),
                    "update_cpu_ms": [round(1000 * c, 1) for c in cpus],
                    "update_ms": [round(t, 1) for t in upd],
                    "rss_build_mb": round(rss_build, 1),
                    "rss_mb": round(rss_mb(), 1),
                    "equal": same,
                },
                fh,
                indent=1,
            )


if __name__ == "__main__":
    main()
