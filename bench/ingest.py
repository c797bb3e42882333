"""Throughput of ingest + cleaning into SQLite on a realistic plain-text corpus.

The corpus is generated from real article text: paragraphs of the DUC 2004 news articles
(../shared/data/duc2004/docs) and of the example seeds, recombined into new articles, each
dressed as a scraper leaves it: an outlet's navigation and footer lines, a title (sometimes
repeated), a date line in one of several formats, a dateline ("CITY (Outlet) –"), and one
paragraph per line or blank-line separated paragraphs. Files are written to a temporary
folder and ingested through the real readers with ``Pipeline(store, reuse=False, cluster=False)``
(clean + store only; copy detection and clustering are benchmarked by their own stages).

Run: ``python bench/ingest.py [--articles 10000] [--chunk 256]``. Prints articles/s, per-chunk
latency (p50/p99) and peak memory (tracemalloc peak of Python allocations, and max RSS).

``python bench/ingest.py --format warc [--articles 10000]`` instead builds a WARC.gz crawl of that many
HTML pages (a request and a response record each) from real pages: the article-extraction-benchmark HTML
(../shared/data/aeb/html) and the example seeds wrapped as simple pages, repeated with varied URLs and
one varied sentence in the body (so they are not all duplicates). It times, in the same run,
``trafilatura.extract`` alone on the same pages (defaults, and with metadata as Storyline asks for it),
then Storyline's ingest of the WARC file: read + clean + store (``Pipeline(reuse=False, cluster=False)``,
as ``storyline ingest --no-stories``), and with ``--full N`` the whole pipeline on the first N pages.
See bench/ingest_warc.py.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


from storyline.datasets import shared_dir as _shared  # noqa: E402

CITIES = [
    "WASHINGTON",
    "LONDON",
    "MOSCOW",
    "PARIS",
    "BEIJING",
    "TOKYO",
    "BERLIN",
    "NEW DELHI",
    "CAIRO",
    "SYDNEY",
    "NAIROBI",
    "BRASILIA",
    "OTTAWA",
    "MADRID",
    "ROME",
    "SEOUL",
    "JAKARTA",
    "LAGOS",
    "TEHRAN",
    "ANKARA",
]
OUTLETS = [
    "Reuters",
    "AP",
    "AFP",
    "TASS",
    "Xinhua",
    "Tasnim",
    "EIRNS",
    "Kyodo",
    "Anadolu",
    "PTI",
    "dpa",
    "EFE",
    "Yonhap",
    "ANSA",
    "UPI",
    "IANS",
    "Bernama",
    "Interfax",
    "Sputnik",
    "APA",
]
COMMON_FURNITURE = [
    "Most Visited in Other Media",
    "Top Stories",
    "Back to top",
    "Go to home page",
    "Share on Facebook",
    "Share on Twitter",
    "Advertisement",
    "Photo Reuters",
    "fbpx",
    "Subscribe to our newsletter",
    "Related articles",
    "Read more",
    "Comments (0)",
    "Print",
    "Email",
]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def load_paragraphs() -> list[str]:
    paras: list[str] = []
    shared = _shared()
    docs = shared / "data" / "duc2004" / "docs"
    from storyline.text import split_sentences

    rng = random.Random(1)
    for f in sorted(docs.glob("*/*.txt")) if docs.is_dir() else []:
        # DUC bodies are hard-wrapped with no paragraph breaks: regroup sentences into paragraphs of 1-4
        text = " ".join(f.read_text(encoding="utf-8", errors="replace").split()).replace("``", "“").replace("''", "”")
        sents = split_sentences(text)
        while sents:
            k = rng.randint(1, 4)
            p = " ".join(sents[:k])
            sents = sents[k:]
            if len(p.split()) >= 12:
                paras.append(p)
    for f in sorted((ROOT / "examples" / "seeds").glob("*.txt")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if len(line.split()) >= 20:
                paras.append(line.strip())
    if not paras:
        raise SystemExit("no source text found (needs examples/seeds, better ../shared/data/duc2004)")
    return paras


def make_article(rng: random.Random, paras: list[str], outlet_furniture: dict[str, list[str]]) -> str:
    outlet = rng.choice(OUTLETS)
    body = rng.sample(paras, rng.randint(4, 14))
    title = " ".join(body[0].split()[: rng.randint(6, 12)]).rstrip(",.;")
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.choice([1998, 1999, 2000, 2021, 2022])
    date = rng.choice(
        [
            f"date {year}-{month:02d}-{day:02d}",
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d} {day:02d} {MONTHS[month - 1][:3]} {year}",
            f"{MONTHS[month - 1][:3]}. {day}, {year}",
            f"Published: {MONTHS[month - 1]} {day}, {year}",
        ]
    )
    city = rng.choice(CITIES)
    style = rng.randrange(3)
    if style == 0:
        body[0] = f"{city} ({outlet}) – {body[0]}"
    elif style == 1:
        body[0] = f"{city}, {MONTHS[month - 1]} {day}. /{outlet}/. {body[0]}"
    else:
        body[0] = f"{city}, {MONTHS[month - 1]} {day} ({outlet}) - {body[0]}"
    top = outlet_furniture[outlet][:4] + rng.sample(COMMON_FURNITURE, 2)
    bottom = rng.sample(COMMON_FURNITURE, 3) + outlet_furniture[outlet][4:]
    lines = top + [title] + ([title] if rng.random() < 0.3 else []) + [date]
    if rng.random() < 0.3:
        lines.append(
            f"By {rng.choice(['Anna', 'Ivan', 'John', 'Maria', 'Li'])} {rng.choice(['Petrova', 'Smith', 'Chen', 'Garcia', 'Okafor'])}"
        )
    sep = "\n\n" if rng.random() < 0.5 else "\n"
    text = "\n".join(lines) + "\n\n" + sep.join(body) + "\n\n" + "\n".join(bottom)
    if rng.random() < 0.1:
        text += "\n\nIf you have found a spelling error, please, notify us by selecting that text and pressing Ctrl+Enter.\nSpelling error report"
    return text


def build_corpus(folder: Path, n: int, seed: int = 0) -> int:
    rng = random.Random(seed)
    paras = load_paragraphs()
    outlet_furniture = {
        o: [
            f"{o} Home",
            f"{o} World",
            f"{o} Business",
            f"Follow {o} on Telegram",
            f"© {o} 2022. All rights reserved",
            f"About {o}",
            f"Contact {o} newsroom",
        ]
        for o in OUTLETS
    }
    total = 0
    for i in range(n):
        sub = folder / f"{i // 1000:03d}"
        sub.mkdir(exist_ok=True)
        text = make_article(rng, paras, outlet_furniture)
        (sub / f"{i:06d}.txt").write_text(text, encoding="utf-8")
        total += len(text.encode())
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--chunk", type=int, default=256)
    ap.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slows the run)")
    ap.add_argument(
        "--format",
        choices=["text", "warc"],
        default="text",
        help="text: plain-text files (default); warc: HTML pages in a WARC.gz, beside trafilatura",
    )
    ap.add_argument("--full", type=int, default=0, help="warc: also run the full pipeline on the first N pages")
    args = ap.parse_args()
    if args.format == "warc":
        from ingest_warc import run_warc

        return run_warc(args.articles, args.chunk, args.full)

    from storyline.ingest import read_inputs
    from storyline.pipeline import Pipeline
    from storyline.store import SQLiteStore

    with tempfile.TemporaryDirectory(prefix="storyline-bench-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        t0 = time.perf_counter()
        nbytes = build_corpus(corpus, args.articles)
        print(f"corpus: {args.articles:,} articles, {nbytes / 1e6:.1f} MB, built in {time.perf_counter() - t0:.1f}s")

        # start-up (imports of dateparser/scikit-learn's stopword list, regex compilation) is paid once
        # per process; it is timed apart from the steady-state throughput
        t0 = time.perf_counter()
        from storyline.clean import Cleaner
        from storyline.model import RawDocument

        Cleaner().transform(
            RawDocument(
                "warm-up", text=make_article(random.Random(99), load_paragraphs(), {o: [o] * 7 for o in OUTLETS})
            )
        )
        print(f"start-up (imports, first article): {time.perf_counter() - t0:.1f}s")

        store = SQLiteStore(Path(tmp) / "bench.db")
        pipeline = Pipeline(store, reuse=False, cluster=False, chunk_size=args.chunk)
        latencies: list[float] = []
        last = [time.perf_counter()]

        def on_progress(n: int) -> None:
            now = time.perf_counter()
            latencies.append(now - last[0])
            last[0] = now

        if args.tracemalloc:
            tracemalloc.start()
        t0 = time.perf_counter()
        c0 = time.process_time()
        ch0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        last[0] = t0
        report = pipeline.ingest(read_inputs([corpus], pipeline.config.ingest), on_progress=on_progress)
        elapsed = time.perf_counter() - t0
        cpu_main = time.process_time() - c0
        ch1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # worker processes, counted once they exit
        cpu_workers = (ch1.ru_utime + ch1.ru_stime) - (ch0.ru_utime + ch0.ru_stime)
        cpu = cpu_main + cpu_workers
        peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
        if args.tracemalloc:
            tracemalloc.stop()
        stored = store.count_articles()
        store.close()

    lat = sorted(latencies)
    p50 = lat[len(lat) // 2] * 1000
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    print(
        f"read {report.read:,} · stored {len(report.stored):,} (store holds {stored:,}) · "
        f"duplicates {len(report.duplicates):,} · rejected {len(report.rejected):,}"
    )
    print(
        f"throughput: {report.read / elapsed:,.0f} articles/s ({elapsed:.1f}s for {report.read:,}; {os.cpu_count()} CPUs visible)"
    )
    print(
        f"CPU time: {cpu:.1f}s ({cpu_main:.1f}s main + {cpu_workers:.1f}s {pipeline.workers - 1} worker process(es)) -> "
        f"{report.read / cpu:,.0f} articles per CPU-second; on 2 idle cores at most ~{2 * report.read / cpu:,.0f}/s "
        f"(wall clock depends on other load: load average {os.getloadavg()[0]:.1f})"
    )
    busiest = max(cpu_main, cpu_workers / max(1, pipeline.workers - 1))
    print(
        f"projected on {pipeline.workers} idle core(s): ~{report.read / busiest:,.0f} articles/s "
        f"(the busiest process's CPU time is the critical path)"
    )
    print(f"latency per chunk of {args.chunk}: p50 {p50:.0f} ms · p99 {p99:.0f} ms")
    print(f"peak memory: max RSS {maxrss:.0f} MiB" + (f" · tracemalloc peak {peak / 2**20:.1f} MiB" if peak else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
