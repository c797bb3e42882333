"""``bench/ingest.py --format warc``: Storyline's WARC ingest beside trafilatura alone, on the same pages.

The crawl is built from real pages: the article-extraction-benchmark HTML (../shared/data/aeb/html, 92
whole news pages, ~166 KB each) and the five example seeds wrapped as simple pages. Page ``i`` is
template ``i % len(templates)`` with one sentence naming ``i`` added after its longest paragraph (so the
copies are distinct articles, not duplicates), at ``https://www.outletK.example/news/i/story.html``,
written as a request and a response record in a WARC.gz (warcio's writer, one gzip member per record).

Timed in the same run, one after the other on the same machine:

1. ``trafilatura.extract(page)`` alone (defaults) on every page (the page string is made outside the
   timing), and ``extract(page, with_metadata=True)`` (what Storyline asks trafilatura for: title, date,
   author, site name) on the first 1,000.
2. ``storyline ingest --no-stories`` of the WARC.gz: read (gunzip, WARC parsing, charset decoding) +
   clean (trafilatura's precise mode with metadata, then Storyline's cleaning) + store into SQLite,
   through ``Pipeline(reuse=False, cluster=False)`` with its default worker processes.
3. With ``--full N``: the whole pipeline (copies, stories) on the first N pages, into a fresh store.

Throughput (articles/s, wall clock, and per CPU-second), latency (per page for trafilatura, per chunk for
Storyline), peak RSS (this process, and the largest worker).
"""

from __future__ import annotations

import html
import io
import itertools
import os
import re
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from storyline.datasets import shared_dir  # noqa: E402 - after the path to the package

_PARA = re.compile(r"<p\b[^>]*>(.*?)</p\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def _seed_page(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    title = html.escape(lines[0])
    paras = "".join(f"<p>{html.escape(p)}</p>\n" for p in lines[1:])
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav><article><h1>{title}</h1>\n{paras}"
        f"</article><footer>Contact us · Privacy</footer></body></html>"
    )


def load_templates() -> list[tuple[str, str]]:
    """Pages split where the varied sentence goes: at the end of the longest paragraph (or before </body>)."""
    from storyline.ingest import decode_bytes

    pages = []
    aeb = shared_dir() / "data" / "aeb" / "html"
    for f in sorted(aeb.glob("*.html")) if aeb.is_dir() else []:
        try:
            pages.append(decode_bytes(f.read_bytes()))
        except ValueError:
            continue
    for f in sorted((ROOT / "examples" / "seeds").glob("*.txt")):
        pages.append(_seed_page(f.read_text(encoding="utf-8")))
    import trafilatura

    out = []
    for page in pages:
        # the longest paragraph that is part of the article as trafilatura extracts it (so the varied
        # sentence is in every copy's body), else the longest one
        body = " ".join((trafilatura.extract(page) or "").split())
        paras = sorted(_PARA.finditer(page), key=lambda m: -len(m.group(1)))
        kept = [m for m in paras if " ".join(html.unescape(_TAG.sub(" ", m.group(1))).split())[:40] in body]
        if paras:
            at = (kept or paras)[0].end(1)
        else:
            at = page.lower().rfind("</body>")
            at = at if at >= 0 else len(page)
        out.append((page[:at], page[at:]))
    return out


def make_page(templates: list[tuple[str, str]], i: int) -> tuple[str, str]:
    k = i % len(templates)
    head, tail = templates[k]
    sentence = (
        f" This copy of the report, number {i:,} of the benchmark crawl, was checked by the "
        f"night desk of outlet {k} before it was filed again."
    )
    return f"https://www.outlet{k:02d}.example/news/{i}/story.html", head + sentence + tail


def build_warc(path: Path, templates: list[tuple[str, str]], n: int) -> int:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    t0 = datetime(2024, 3, 1, 6, 0, 0)
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        w.write_record(w.create_warcinfo_record(path.name, {"software": "storyline bench/ingest_warc.py"}))
        for i in range(n):
            url, page = make_page(templates, i)
            date = (t0 + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            req = StatusAndHeaders(f"GET {url} HTTP/1.1", [("Host", url.split("/")[2])], is_http_request=True)
            w.write_record(
                w.create_warc_record(
                    url, "request", payload=io.BytesIO(b""), http_headers=req, warc_headers_dict={"WARC-Date": date}
                )
            )
            hh = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            w.write_record(
                w.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(page.encode("utf-8")),
                    http_headers=hh,
                    warc_headers_dict={"WARC-Date": date},
                )
            )
    return path.stat().st_size


def _hwm_reset() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # resets VmHWM (Linux)
    except OSError:
        pass


def _hwm_mib() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def _time_trafilatura(templates, n: int, **kw) -> dict:
    import trafilatura

    trafilatura.extract(make_page(templates, 0)[1], **kw)  # warm-up
    lat = []
    c0, w0 = time.process_time(), time.perf_counter()
    for i in range(n):
        page = make_page(templates, i)[1]
        t = time.perf_counter()
        trafilatura.extract(page, **kw)
        lat.append(time.perf_counter() - t)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return {"n": n, "wall": sum(lat), "loop_wall": wall, "cpu": cpu, "p50": _pct(lat, 0.5), "p99": _pct(lat, 0.99)}


def _time_storyline(warc: Path, db: Path, chunk: int, limit: int | None = None, stories: bool = False) -> dict:
    from storyline.clean import Cleaner
    from storyline.ingest import read_path
    from storyline.model import RawDocument
    from storyline.pipeline import Pipeline
    from storyline.store import SQLiteStore

    Cleaner().transform(
        RawDocument("warm-up", html="<html><body><p>" + "Warm up words here. " * 20 + "</p></body></html>")
    )
    store = SQLiteStore(db)
    pipeline = Pipeline(store, reuse=stories, cluster=stories, chunk_size=chunk)
    inputs = read_path(warc, pipeline.config.ingest)
    if limit is not None:
        inputs = itertools.islice(inputs, 2 * limit + 1)  # a request and a response per page, and the warcinfo
    lat: list[float] = []
    last = [0.0]

    def on_progress(_n: int) -> None:
        now = time.perf_counter()
        lat.append(now - last[0])
        last[0] = now

    ch0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    c0 = time.process_time()
    last[0] = w0 = time.perf_counter()
    report = pipeline.ingest(inputs, on_progress=on_progress)
    wall = time.perf_counter() - w0
    cpu_main = time.process_time() - c0
    ch1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_workers = (ch1.ru_utime + ch1.ru_stime) - (ch0.ru_utime + ch0.ru_stime)
    stored = store.count_articles()
    store.close()
    pages = len(report.stored) + len(report.duplicates) + len(report.rejected)
    return {
        "pages": pages,
        "stored": stored,
        "duplicates": len(report.duplicates),
        "rejected": len(report.rejected),
        "skipped": len(report.skipped),
        "wall": wall,
        "cpu_main": cpu_main,
        "cpu_workers": cpu_workers,
        "workers": pipeline._cleaning_processes() if pipeline.workers > 1 else 0,
        "p50": _pct(lat, 0.5),
        "p99": _pct(lat, 0.99),
        "child_rss": ch1.ru_maxrss / 1024,
        "reasons": _top_reasons(report.rejected),
    }


def _top_reasons(rejected) -> list[tuple[str, int]]:
    from collections import Counter

    return Counter(r.reason.split(":")[0] for r in rejected).most_common(3)


def run_warc(n: int, chunk: int, full: int) -> int:
    templates = load_templates()
    if not templates:
        raise SystemExit("no pages found (needs examples/seeds, better ../shared/data/aeb/html)")
    with tempfile.TemporaryDirectory(prefix="storyline-bench-warc-") as tmp:
        warc = Path(tmp) / "crawl.warc.gz"
        t0 = time.perf_counter()
        size = build_warc(warc, templates, n)
        raw = sum(len(make_page(templates, i)[1].encode()) for i in range(min(n, len(templates))))
        print(
            f"crawl: {n:,} pages from {len(templates)} real pages, {size / 1e6:,.0f} MB gzipped "
            f"(~{raw / min(n, len(templates)) / 1e3:,.0f} KB of HTML a page), built in {time.perf_counter() - t0:.0f}s"
        )
        print(f"machine: {os.cpu_count()} CPUs visible, load average {os.getloadavg()[0]:.1f} at start")

        _hwm_reset()
        tr = _time_trafilatura(templates, n)
        tr_rss = _hwm_mib()
        m = min(n, 1000)
        trm = _time_trafilatura(templates, m, with_metadata=True)
        tr_rate, tr_cpu_rate = n / tr["wall"], n / tr["cpu"]
        print(
            f"trafilatura.extract alone (defaults): {tr_rate:,.1f} pages/s ({tr['wall']:.0f}s in extract for {n:,}; "
            f"{tr_cpu_rate:,.1f} per CPU-second) · per page p50 {tr['p50'] * 1e3:.0f} ms, p99 {tr['p99'] * 1e3:.0f} ms "
            f"· peak RSS {tr_rss:,.0f} MiB"
        )
        print(
            f"trafilatura.extract(with_metadata=True), first {m:,}: {m / trm['wall']:,.1f} pages/s "
            f"({m / trm['cpu']:,.1f} per CPU-second)"
        )

        _hwm_reset()
        sl = _time_storyline(warc, Path(tmp) / "bench.db", chunk)
        sl_rss = _hwm_mib()
        rate = sl["pages"] / sl["wall"]
        cpu = sl["cpu_main"] + sl["cpu_workers"]
        print(
            f"storyline ingest --no-stories (read + clean + store): {rate:,.1f} articles/s ({sl['wall']:.0f}s for "
            f"{sl['pages']:,} pages: stored {sl['stored']:,}, duplicates {sl['duplicates']:,}, rejected "
            f"{sl['rejected']:,} {sl['reasons'] or ''}, skipped {sl['skipped']:,} request/warcinfo records)"
        )
        print(
            f"  CPU {cpu:.0f}s ({sl['cpu_main']:.0f}s main + {sl['cpu_workers']:.0f}s in {sl['workers']} cleaning "
            f"process(es)) -> {sl['pages'] / cpu:,.1f} per CPU-second · per chunk of {chunk}: p50 "
            f"{sl['p50']:.1f} s, p99 {sl['p99']:.1f} s · peak RSS {sl_rss:,.0f} MiB main, {sl['child_rss']:,.0f} MiB "
            f"largest worker"
        )
        print(
            f"ratio storyline / trafilatura alone: {rate / tr_rate:.2f}x wall clock (target >= 0.8), "
            f"{sl['pages'] / cpu / tr_cpu_rate:.2f}x per CPU-second; load average {os.getloadavg()[0]:.1f} at the end"
        )
        if full:
            fl = _time_storyline(warc, Path(tmp) / "full.db", chunk, limit=full, stories=True)
            print(
                f"full pipeline (clean + copies + stories), first {fl['pages']:,} pages: "
                f"{fl['pages'] / fl['wall']:,.1f} articles/s ({fl['wall']:.0f}s; CPU {fl['cpu_main']:.0f}s main + "
                f"{fl['cpu_workers']:.0f}s workers)"
            )
    return 0
