"""Benchmarks of the story clustering stage.

    python bench/cluster.py                      # throughput, latency at 10k/100k, memory
    python bench/cluster.py --sizes 10000        # smaller scale-up
    python bench/cluster.py --embed-only --device cuda   # MiniLM embedding stage alone, texts/s

1. Throughput end to end: ``Pipeline.ingest`` over raw text documents (clean -> store -> copy
   check -> story), static embeddings computed, one process. If the reuse stage is not wired in
   this checkout, the copy check is absent and the figure is clean + cluster (printed).
2. Latency of adding one article to a clusterer holding 10,000 / 100,000 articles, excluding its
   embedding: synthetic scale-up (stories of ~10 articles built from DUC 2004 sentences with
   invented names; static embeddings), then 200 single-article ``partial_fit`` calls; median/p95.
   The stage's per-chunk save of the state blob is measured separately.
3. Memory per stored article: Python heap held by the clusterer (tracemalloc) divided by the
   number of articles, minus nothing: text is not kept at all and the embedding not per article
   (only per story centroid), so the whole figure counts against the 2 KiB budget.
4. ``--device``: texts/s of the MiniLM embedding stage (``--backend minilm``) on cpu or cuda.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from storyline.cluster import StoryClusterer  # noqa: E402
from storyline.config import ClusterConfig, EmbedConfig  # noqa: E402
from storyline.datasets import shared_dir  # noqa: E402
from storyline.embed import get_embedder  # noqa: E402
from storyline.model import Article, RawDocument, content_id  # noqa: E402
from storyline.text import split_sentences  # noqa: E402

SHARED = shared_dir()
DUC = SHARED / "data" / "duc2004" / "docs"


def duc_texts() -> list[list[str]]:
    """Per DUC cluster, its article bodies (one paragraph each); a small built-in corpus without ../shared."""
    if not DUC.exists():
        base = [
            "Officials in {p} said on {d} that talks with the union would resume next week after a strike shut the port.",
            "The storm that hit {p} left thousands without power and closed schools, the mayor said on {d}.",
            "Prosecutors in {p} charged three executives with fraud on {d}, saying investors lost millions.",
        ]
        return [[b.format(p=f"Place{i}", d="Monday") * 5] * 10 for i, b in enumerate(base)]
    out = []
    for c in sorted(DUC.iterdir()):
        if c.is_dir():
            out.append([" ".join(f.read_text(errors="replace").split()) for f in sorted(c.glob("*.txt"))])
    return out


_SYL = ["ka", "lo", "ri", "ven", "tor", "mi", "sa", "dun", "bre", "os", "tal", "ne", "quo", "zar", "fel", "ip"]


def _name(rng: random.Random) -> str:
    return (
        "".join(rng.choice(_SYL) for _ in range(2)) + "".join(rng.choice("aeioubdfgklmnprstvz") for _ in range(4))
    ).capitalize()


def synthetic_articles(n: int, per_story: int = 10, seed: int = 0) -> list[Article]:
    """n articles in stories of ~per_story: DUC sentences of one cluster + invented names per story."""
    import re

    rng = random.Random(seed)
    clusters = [[s for doc in c for s in split_sentences(doc)] for c in duc_texts()]
    vocab = [sorted({w for s in c for w in re.findall(r"[a-z]{4,}", s)}) for c in clusters]
    all_words = sorted({w for v in vocab for w in v})
    out: list[Article] = []
    story = 0
    while len(out) < n:
        ci = rng.randrange(len(clusters))
        sents = clusters[ci]
        # each synthetic story swaps 80% of its cluster's words for random words of the corpus: distinct stories
        swap = {w: rng.choice(all_words) for w in rng.sample(vocab[ci], int(0.8 * len(vocab[ci])))}
        sub = re.compile(r"\b[a-z]{4,}\b")
        names = [_name(rng) + " " + _name(rng) for _ in range(3)] + [_name(rng) for _ in range(2)]
        k = max(1, int(rng.gauss(per_story, per_story / 3)))
        for _ in range(k):
            body = " ".join(rng.sample(sents, min(6, len(sents))))
            body = sub.sub(lambda m, swap=swap: swap.get(m.group(0), m.group(0)), body)
            body = f"{rng.choice(names)} and {rng.choice(names)} of {names[3]} met in {names[4]}. " + body
            paras = [body, f"Reported by {_name(rng)} ({len(out)})."]
            out.append(
                Article(
                    id=content_id(paras),
                    source=f"story{story}:{len(out)}",
                    paragraphs=paras,
                    outlet=f"Outlet{rng.randrange(50)}",
                )
            )
            if len(out) >= n:
                break
        story += 1
    # interleave stories in time like a real stream
    rng.shuffle(out)
    return out


def raw_documents(n: int) -> list[RawDocument]:
    """Scraped-looking text documents: a headline, the synthetic body (stories of ~10), a furniture line."""
    docs = []
    for i, a in enumerate(synthetic_articles(n, seed=1)):
        head = " ".join(a.paragraphs[0].split()[:9]).title()
        docs.append(
            RawDocument(source=f"bench{i}", text=f"{head}\n\n" + "\n\n".join(a.paragraphs) + "\n\nShare this article")
        )
    return docs


def bench_throughput(n: int) -> None:
    from storyline import Pipeline, open_store

    docs = raw_documents(n)
    with tempfile.TemporaryDirectory() as d:
        store = open_store(Path(d) / "b.db")
        p = Pipeline(store)
        get_embedder(p.config.embed)  # model load is not per article
        reuse = p.reuse_stage is not None
        p.ingest(docs[:20])  # warm up
        stage = p.cluster_stage
        spent, spent_cpu = [0.0], [0.0]
        orig = stage.process

        def timed(*a, **k):
            s, sc = time.perf_counter(), time.process_time()
            try:
                return orig(*a, **k)
            finally:
                spent[0] += time.perf_counter() - s
                spent_cpu[0] += time.process_time() - sc

        stage.process = timed
        t, tc = time.perf_counter(), time.process_time()
        rep = p.ingest(docs[20:])
        dt, dtc = time.perf_counter() - t, time.process_time() - tc
        stored = len(rep.stored)
        stories = store.count_stories()
        store.close()
    with tempfile.TemporaryDirectory() as d:
        store = open_store(Path(d) / "c.db")
        p = Pipeline(store, reuse=False, cluster=False)
        t, tc = time.perf_counter(), time.process_time()
        p.ingest(docs[20:])
        dt_clean, dtc_clean = time.perf_counter() - t, time.process_time() - tc
        store.close()
    what = (
        "clean -> store -> copy check -> story"
        if reuse
        else "clean -> store -> story (no reuse stage in this checkout)"
    )
    print(
        f"throughput end to end ({what}), static embeddings, {stored} articles -> {stories} stories:"
        f" {stored / dt:.0f} articles/s wall, {stored / dtc:.0f} articles per CPU-second of this process"
        f" (os.getloadavg {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: the machine is shared)"
    )
    print(
        f"   clean+store alone {stored / dt_clean:.0f} articles/s wall, {stored / dtc_clean:.0f} per CPU-s;"
        f" cluster stage alone (embedding, placing, saving stories and state) {stored / spent[0]:.0f} articles/s wall,"
        f" {stored / spent_cpu[0]:.0f} per CPU-s"
    )


def _rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def bench_scale(sizes: list[int], per_story: int, trace_max: int = 0) -> None:
    emb = get_embedder(EmbedConfig(backend="static"))
    top = max(sizes)
    arts = synthetic_articles(top + 400, per_story)
    # Embeddings: the latency excludes the embedding, and invented words make a static model's
    # vectors all alike, so each synthetic story gets a random direction and each article a noisy
    # copy of it (cosine ~0.86 inside a story, as the static model gives same-story articles; ~0 across), at the static model's dimension.
    rng = np.random.default_rng(0)
    story_of = [a.source.split(":")[0] for a in arts]
    bases: dict[str, np.ndarray] = {}
    vecs = np.zeros((len(arts), emb.dim), dtype=np.float32)
    for i, key in enumerate(story_of):
        if key not in bases:
            b = rng.normal(size=emb.dim)
            bases[key] = b / np.linalg.norm(b)
        v = bases[key] + rng.normal(size=emb.dim) * (0.4 / np.sqrt(emb.dim))
        vecs[i] = v / np.linalg.norm(v)
    print(
        f"synthetic scale-up: {len(arts)} articles in {len(bases)} stories (DUC sentences with 80% of words"
        f" swapped per story, invented names, synthetic embeddings)"
    )
    c = StoryClusterer(ClusterConfig(), emb)
    c.partial_fit(arts[top + 200 :], embeddings=vecs[top + 200 :])  # imports/warm-up outside the trace
    c = StoryClusterer(ClusterConfig(), emb)
    done = 0
    tracing = min(sizes) <= trace_max
    if tracing:
        tracemalloc.start()  # arts/vecs were allocated before: only the clusterer's heap is traced
    rss0, prev_rss, prev_size = _rss(), None, 0
    for size in sorted(sizes):
        if tracing and size > trace_max:
            tracemalloc.stop()
            tracing = False
            prev_rss, prev_size = _rss(), done
        t0 = time.perf_counter()
        for i in range(done, size, 1000):  # batched partial_fit = the same online step, article by article
            j = min(size, i + 1000)
            c.partial_fit(arts[i:j], embeddings=vecs[i:j])
        rate = (size - done) / (time.perf_counter() - t0)
        done = size
        if tracing:
            mem_txt = f"memory {tracemalloc.get_traced_memory()[0] / size:.0f} B/article (clusterer heap, tracemalloc)"
        else:
            grow = _rss() - (prev_rss if prev_rss is not None else rss0)
            mem_txt = f"memory {grow / max(1, size - prev_size):.0f} B/article (RSS growth from {prev_size} to {size})"
        snapshot = c.to_bytes()  # the probes are taken out again by reloading this
        lat = []
        lat_cpu = []
        c.mark_saved()  # as after a save: the next saves write only what changed
        delta_one = None
        for a, v in zip(arts[top : top + 200], vecs[top : top + 200], strict=True):
            s, sc = time.perf_counter(), time.process_time()
            c.partial_fit([a], embeddings=v[None, :])
            lat.append((time.perf_counter() - s) * 1000)
            lat_cpu.append((time.process_time() - sc) * 1000)
            if delta_one is None:
                t = time.perf_counter()
                delta_one = (len(c.global_delta_bytes()), (time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        delta_200 = (len(c.global_delta_bytes()), (time.perf_counter() - t) * 1000)
        lat_cpu.sort()
        t = time.perf_counter()
        glob = len(c.global_bytes())
        save_ms = (time.perf_counter() - t) * 1000
        sids = c.story_ids()
        t = time.perf_counter()
        story_part = sum(len(c.story_bytes(x)) for x in sids[:200]) / min(200, len(sids))
        story_ms = (time.perf_counter() - t) * 1000 / min(200, len(sids))
        n_stories = f"{len(sids)} stories found, {len({story_of[k] for k in range(size)})} synthetic"
        c = None
        c = StoryClusterer.from_bytes(snapshot, ClusterConfig(), emb)
        del snapshot
        lat.sort()
        print(
            f"  {size:>7} articles ({n_stories}; built at {rate:.0f} art/s excl. embedding{', tracemalloc on' if tracing else ''}):"
            f" add one article median {statistics.median(lat):.2f} ms, p95 {lat[int(len(lat) * 0.95)]:.2f} ms,"
            f" max {lat[-1]:.1f} ms wall (CPU time: median {statistics.median(lat_cpu):.2f} ms, p95"
            f" {lat_cpu[int(len(lat_cpu) * 0.95)]:.2f} ms) (excl. embedding); {mem_txt};"
            f" saved state: global part {glob / size:.0f} B/article ({save_ms:.0f} ms to write it in full), delta after"
            f" 1 article {delta_one[0] / 1024:.1f} KiB ({delta_one[1]:.1f} ms), after 200 {delta_200[0] / 1024:.0f} KiB"
            f" ({delta_200[1]:.1f} ms) (deltas are saved per chunk until they outweigh the full part),"
            f" story part {story_part / 1024:.1f} KiB/story ({story_ms:.2f} ms per changed story)"
        )
    if tracing:
        tracemalloc.stop()


def bench_embed(device: str, backend: str, n: int) -> None:
    import torch

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)) if device == "cpu" else torch.get_num_threads())
    emb = get_embedder(EmbedConfig(backend=backend, device=device, batch_size=256 if device != "cpu" else 64))
    texts = [t[:1500] for c in duc_texts() for t in c]
    texts = (texts * (n // len(texts) + 1))[:n]
    emb.encode(texts[:64])
    t = time.perf_counter()
    emb.encode(texts)
    dt = time.perf_counter() - t
    print(f"embedding stage: {backend} on {device}: {n / dt:.0f} texts/s ({n} article leads of ~200 words)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="articles for the throughput run")
    ap.add_argument("--sizes", default="10000,100000", help="store sizes for the latency run")
    ap.add_argument("--per-story", type=int, default=10)
    ap.add_argument("--device", default=None, help="cpu or cuda: measure the MiniLM embedding stage there")
    ap.add_argument("--backend", default="minilm")
    ap.add_argument("--embed-n", type=int, default=512)
    ap.add_argument("--embed-only", action="store_true")
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument(
        "--trace-max", type=int, default=0, help="count memory with tracemalloc up to this size (slows the build 2-3x)"
    )
    args = ap.parse_args()
    print(f"cores: {os.cpu_count()}")
    if args.device:
        bench_embed(args.device, args.backend, args.embed_n)
    if args.embed_only:
        return
    if not args.skip_throughput:
        bench_throughput(args.n)
    if not args.skip_scale:
        bench_scale([int(x) for x in args.sizes.split(",")], args.per_story, args.trace_max)


if __name__ == "__main__":
    main()
