"""Time and peak memory to analyse one story of 10, 100 and 1,000 articles.

    python bench/analysis.py [--sizes 10 100 1000] [--backend static] [--data ../shared/data/duc2004]

Stories are recombined from DUC 2004 articles (the first half of one article + the second half of
another, so that no two are identical and a 1,000-article story exists). Reports, per part
(claims, summary, and timeline/quotes when those modules are present), wall time and the peak of
Python/numpy allocations (tracemalloc), plus the process's peak RSS. The embedding model is loaded
once before timing (its load time is reported separately). Target: 100 articles < 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "eval"))

from storyline.config import AnalysisConfig, EmbedConfig  # noqa: E402
from storyline.embed import get_embedder  # noqa: E402
from storyline.model import Article  # noqa: E402
from storyline.text import split_sentences  # noqa: E402


def recombined(n: int, data: Path, seed: int = 0) -> list[Article]:
    from summary import load  # eval/summary.py: DUC loader and normaliser

    pool = [a for c in load(data) for a in c["articles"]]
    rng = random.Random(seed)
    out = []
    for k in range(n):
        a, b = rng.sample(pool, 2)
        sa, sb = split_sentences(a.text), split_sentences(b.text)
        body = sa[: max(1, len(sa) // 2)] + sb[len(sb) // 2 :]
        out.append(
            Article(
                id=f"bench{k:05d}",
                source=f"{a.id}+{b.id}",
                paragraphs=[" ".join(body)],
                outlet=f"outlet{rng.randrange(max(2, n // 3))}",
            )
        )
    return out


def measure(fn):
    tracemalloc.start()
    t, c = time.perf_counter(), time.process_time()
    result = fn()
    elapsed, cpu = time.perf_counter() - t, time.process_time() - c
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, cpu, peak / 2**20


def main(argv=None) -> int:
    from summary import default_data

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--backend", default="static")
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--whole", action="store_true", help="time StoryAnalyzer.analyze as one part instead")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    emb = get_embedder(EmbedConfig(backend=args.backend))
    emb.encode(["warm up"])
    print(f"embedder {emb.name}: loaded in {time.perf_counter() - t:.1f} s")
    from storyline.compare import compare_claims
    from storyline.summarize import summarize

    parts = {
        "claims": lambda arts, cfg: compare_claims(arts, emb, cfg),
        "summary": lambda arts, cfg: summarize(arts, emb, cfg, words=cfg.summary_words),
    }
    if args.whole:  # StoryAnalyzer.analyze: everything together, sentences embedded once
        from storyline.analyze import StoryAnalyzer
        from storyline.config import Config
        from storyline.model import Story

        def whole(arts, cfg):
            conf = Config()
            conf.analysis = cfg
            return StoryAnalyzer(conf, emb).analyze(Story(id="bench", article_ids=[a.id for a in arts]), arts, [])

        parts = {"analyze": whole}
    if not args.whole:
        try:
            from storyline.timeline import build_timeline

            parts["timeline"] = lambda arts, cfg: build_timeline(arts, cfg)
        except ImportError:
            print("timeline: not on this branch (skipped)")
        try:
            from storyline.quotes import extract_quotes

            parts["quotes"] = lambda arts, cfg: extract_quotes(arts)
        except ImportError:
            print("quotes: not on this branch (skipped)")
    warm = recombined(3, args.data, seed=99)
    t = time.perf_counter()
    for fn in parts.values():  # first calls import nltk/sklearn/spaCy...: not part of the per-story cost
        fn(warm, AnalysisConfig())
    print(f"first-call imports and warm-up: {time.perf_counter() - t:.1f} s")
    print(
        f"{'articles':>8} {'sentences':>9} "
        + " ".join(f"{p + ' s':>10} {p + ' MiB':>11}" for p in parts)
        + f" {'total s':>8} {'CPU s':>8}"
    )
    for n in args.sizes:
        arts = recombined(n, args.data)
        n_sent = sum(len(split_sentences(a.text)) for a in arts)
        cfg = AnalysisConfig()
        row, total, total_cpu = [], 0.0, 0.0
        for fn in parts.values():
            _, secs, cpu, mib = measure(lambda fn=fn, arts=arts, cfg=cfg: fn(arts, cfg))
            total += secs
            total_cpu += cpu
            row.append(f"{secs:10.2f} {mib:11.1f}")
        print(
            f"{n:8d} {n_sent:9d} " + " ".join(row) + f" {total:8.2f} {total_cpu:8.2f}  (load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the process (model included): {rss:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
