"""Time and peak memory of build_timeline and extract_quotes on stories of 10, 100 and 1,000 articles.

Stories are recombined from the DUC 2004 article bodies (../shared/data/duc2004/docs) plus the
seed articles, cycled with fresh ids to reach the size; DUC bodies carry no dates, so each gets a
publication date spread over four weeks (every fifth is left undated, to exercise story anchors).
Skips (exit 0) when the DUC data is absent.

    PYTHONPATH=src python bench/analysis_parts.py [--sizes 10 100 1000] [--only timeline|quotes]

Time: wall and CPU seconds of one call (the machine may be shared: CPU time is the steadier figure).
Peak memory: tracemalloc peak of Python allocations during a second call (the spaCy model, loaded
before, is not counted; only up to --trace-max articles, tracemalloc being slow), and the process
max RSS after it.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
CANDIDATES = [ROOT.parent / "shared", ROOT.parents[1] / "shared", Path("/work/shared")]


def _shared() -> Path | None:
    for c in CANDIDATES:
        if (c / "data" / "duc2004" / "docs").is_dir():
            return c
    return None


def load_pool() -> list:
    from storyline.clean import Cleaner
    from storyline.ingest import read_inputs
    from storyline.model import Article, content_id

    shared = _shared()
    if shared is None:
        return []
    pool: list[Article] = []
    for f in sorted((shared / "data" / "duc2004" / "docs").glob("*/*.txt")):
        text = f.read_text(encoding="utf-8", errors="replace")
        text = text.replace("``", "“").replace("''", "”")
        paras = [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
        if len(paras) == 1:  # one wrapped block: re-paragraph every ~4 sentences for realism
            from storyline.text import split_sentences

            ss = split_sentences(paras[0])
            paras = [" ".join(ss[i : i + 4]) for i in range(0, len(ss), 4)]
        pool.append(Article(id=content_id(paras), source=str(f), paragraphs=paras))
    raws = list(read_inputs([ROOT / "examples" / "seeds"]))
    cleaner = Cleaner().fit(raws)
    pool += [a for a in (cleaner.transform(r) for r in raws) if isinstance(a, Article)]
    return pool


def story(pool: list, n: int) -> list:
    from storyline.model import Article

    base = datetime(1998, 11, 2)
    out = []
    for i in range(n):
        a = pool[i % len(pool)]
        pub = a.published or (None if i % 5 == 4 else base + timedelta(days=(i * 7) % 28))
        out.append(
            Article(
                id=f"{a.id}-{i}",
                source=a.source,
                paragraphs=a.paragraphs,
                outlet=a.outlet or f"outlet{i % 13}",
                published=pub,
            )
        )
    return out


def measure(fn, arts, trace: bool):
    """Wall and CPU seconds of one call; then, if asked, a second call under tracemalloc for the peak."""
    t, c = time.perf_counter(), time.process_time()
    res = fn(arts)
    dt, ct = time.perf_counter() - t, time.process_time() - c
    peak = float("nan")
    if trace:  # tracemalloc slows Python code several-fold: never time under it
        tracemalloc.start()
        fn(arts)
        _, peak_b = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        peak = peak_b / 2**20
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dt, ct, peak, rss, len(res)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[10, 100, 1000])
    ap.add_argument("--only", choices=["timeline", "quotes"], default=None)
    ap.add_argument("--trace-max", type=int, default=100, help="tracemalloc peak only up to this many articles")
    args = ap.parse_args()
    pool = load_pool()
    if not pool:
        print("duc2004 data not found: skipped")
        return 0
    from storyline.quotes import QuoteExtractor
    from storyline.timeline import build_timeline

    rows = []
    qx = None
    for n in args.sizes:
        arts = story(pool, n)
        words = sum(a.word_count for a in arts)
        if args.only in (None, "timeline"):
            from storyline import timeline

            timeline._dp.cache_clear()
            rows.append(("build_timeline", n, words, *measure(build_timeline, arts, n <= args.trace_max)))
        if args.only in (None, "quotes"):
            if qx is None:
                t = time.perf_counter()
                qx = QuoteExtractor()
                print(f"spaCy model load: {time.perf_counter() - t:.2f} s", file=sys.stderr)
            rows.append(("extract_quotes", n, words, *measure(qx.extract, arts, n <= args.trace_max)))
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"{'part':<15} {'articles':>8} {'words':>8} {'wall s':>8} {'CPU s':>7} {'peak MiB':>9} {'max RSS MiB':>11} {'items':>6}"
    )
    for name, n, words, dt, ct, peak, rss, items in rows:
        print(f"{name:<15} {n:>8} {words:>8} {dt:>8.2f} {ct:>7.2f} {peak:>9.1f} {rss:>11.0f} {items:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
