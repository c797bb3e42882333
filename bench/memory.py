"""Peak memory of the single-machine pipeline while a store grows: ``Pipeline.ingest`` over a *generator* of raw
documents (nothing of the input is held: stories of ~10 synthetic articles as in bench/cluster.py, produced
lazily and interleaved through a 2,000-document shuffle window), into a fresh SQLite store.

    PYTHONPATH=src python bench/memory.py --n 100000                    # clean -> copy check -> story
    PYTHONPATH=src python bench/memory.py --n 1000000 --no-stories      # without the story stage
    PYTHONPATH=src python bench/memory.py --n 100000 --json bench/results/memory-100k.json

At every checkpoint (each 10 % of --n) it prints the peak RSS so far of this process (VmHWM, which stores,
places and compares) and the current RSS of its worker processes (cleaning and the per-article stage parts),
their growth since the first checkpoint per article stored, the database size, and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import cluster as bc  # noqa: E402  (bench/cluster.py: the DUC sentence pools and invented names)

from storyline.model import RawDocument  # noqa: E402
from storyline.text import split_sentences  # noqa: E402


def _kib(pid: int | str, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def stream(n: int, per_story: int = 10, seed: int = 1, window: int = 2000) -> Iterator[RawDocument]:
    """n scraped-looking documents, generated as they are consumed (bench/cluster.py's recipe)."""
    rng = random.Random(seed)
    clusters = [[s for doc in c for s in split_sentences(doc)] for c in bc.duc_texts()]
    vocab = [sorted({w for s in c for w in re.findall(r"[a-z]{4,}", s)}) for c in clusters]
    all_words = sorted({w for v in vocab for w in v})
    sub = re.compile(r"\b[a-z]{4,}\b")
    buf: list[RawDocument] = []
    made = 0
    while made < n:
        ci = rng.randrange(len(clusters))
        sents = clusters[ci]
        swap = {w: rng.choice(all_words) for w in rng.sample(vocab[ci], int(0.8 * len(vocab[ci])))}
        names = [bc._name(rng) + " " + bc._name(rng) for _ in range(3)] + [bc._name(rng) for _ in range(2)]
        for _ in range(max(1, int(rng.gauss(per_story, per_story / 3)))):
            body = " ".join(rng.sample(sents, min(6, len(sents))))
            body = sub.sub(lambda m, swap=swap: swap.get(m.group(0), m.group(0)), body)
            body = f"{rng.choice(names)} and {rng.choice(names)} of {names[3]} met in {names[4]}. " + body
            paras = [body, f"Reported by {bc._name(rng)} ({made})."]
            head = " ".join(body.split()[:9]).title()
            buf.append(
                RawDocument(source=f"mem{made}", text=f"{head}\n\n" + "\n\n".join(paras) + "\n\nShare this article")
            )
            made += 1
            if len(buf) >= window:
                yield buf.pop(rng.randrange(len(buf)))
            if made >= n:
                break
    rng.shuffle(buf)
    yield from buf


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--no-stories", action="store_true", help="without the story stage")
    ap.add_argument("--no-reuse", action="store_true", help="without the copy check")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    from storyline import Pipeline, open_store
    from storyline.embed import get_embedder

    d = tempfile.mkdtemp(prefix="storyline-mem-")
    db = Path(d) / "m.db"
    store = open_store(db)
    p = Pipeline(store, reuse=not args.no_reuse, cluster=not args.no_stories)
    get_embedder(p.config.embed)
    rss0 = _kib("self", "VmRSS")
    rows: list[dict] = []
    done = [0]
    step = max(1000, args.n // 10)
    t0 = time.perf_counter()

    def progress(k: int) -> None:
        done[0] += k
        if done[0] // step > len(rows) or done[0] >= args.n:
            kids = [pid for pid in (p._pool._processes if p._pool is not None else {})]
            row = {
                "articles": done[0],
                "main_peak_rss_mb": round(_kib("self", "VmHWM") / 2**20, 1),
                "workers_rss_mb": round(sum(_kib(k, "VmRSS") for k in kids) / 2**20, 1),
                "db_mb": round(sum(f.stat().st_size for f in Path(d).glob("m.db*")) / 2**20, 1),
                "elapsed_s": round(time.perf_counter() - t0, 1),
                "load": round(os.getloadavg()[0], 2),
            }
            rows.append(row)
            first = rows[0]
            per = (
                (row["main_peak_rss_mb"] - first["main_peak_rss_mb"])
                * 2**20
                / max(1, row["articles"] - first["articles"])
                if len(rows) > 1
                else float("nan")
            )
            print(
                f"{row['articles']:>8} articles: main peak RSS {row['main_peak_rss_mb']:.0f} MB (start {rss0 / 2**20:.0f} MB;"
                f" growth since the first checkpoint {per:.0f} B/article), workers {row['workers_rss_mb']:.0f} MB,"
                f" db {row['db_mb']:.0f} MB, {row['articles'] / row['elapsed_s']:.0f} articles/s,"
                f" load average {row['load']:.1f}",
                flush=True,
            )

    p.ingest(stream(args.n), on_progress=progress)
    store.close()
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "command": "python bench/memory.py " + " ".join(sys.argv[1:]),
                    "start_rss_mb": round(rss0 / 2**20, 1),
                    "checkpoints": rows,
                },
                indent=1,
            )
        )
    for f in Path(d).glob("m.db*"):
        f.unlink()


if __name__ == "__main__":
    main()
