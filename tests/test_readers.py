"""Readers of real news inputs: WARC crawls, news-please / trafilatura JSON, CSV and Parquet with a column
mapping, gzip and zip, and what each does with bad records (named, and everything around them still read)."""

from __future__ import annotations

import gzip
import io
import json
import sys
import zipfile
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from storyline.cli import app
from storyline.config import Config, IngestConfig
from storyline.ingest import (
    READERS,
    Reader,
    read_bytes,
    read_inputs,
    read_path,
    register_reader,
)
from storyline.model import RawDocument, Rejection, Skipped
from storyline.pipeline import Pipeline
from storyline.store import SQLiteStore

sys.path.insert(0, str(Path(__file__).parent))
from warcutil import WARC_DATE, Warc, _seed_html  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "examples" / "seeds").glob("*.txt"))
AEB = ROOT.parent / "shared" / "data" / "aeb" / "html"
BODY = (
    "The regional parliament approved the water reform on Thursday after a debate that lasted most of the "
    "night, ending a dispute that had divided the governing coalition for more than a year. "
)


def _page(i: int, date: str | None = None) -> str:
    meta = f'<meta property="article:published_time" content="{date}">' if date else ""
    return (
        f"<!DOCTYPE html><html><head><title>Reform {i}</title>{meta}</head><body><article><h1>Reform {i}</h1>"
        f"<p>{BODY * 3} This is report number {i}.</p></article></body></html>"
    )


def _all(kind, outs):
    return [o for o in outs if type(o) is kind]


def _ingest(tmp_path: Path, inputs, name: str = "db.sqlite"):
    store = SQLiteStore(tmp_path / name)
    report = Pipeline(store, reuse=False, cluster=False, workers=1).ingest(inputs)
    return report, store


# ----------------------------------------------------------------------------- WARC


@pytest.mark.parametrize("gz", [True, False])
def test_warc_pages_become_articles_and_every_other_record_is_skipped_with_why(tmp_path, gz):
    w = Warc(gz)
    w.warcinfo()
    urls = {}
    for i, seed in enumerate(SEEDS):
        url = f"https://news.example.org/seed/{i}"
        w.response(url, _seed_html(seed.read_text(encoding="utf-8")))
        urls[url] = seed
    aeb = sorted(AEB.glob("*.html"))[:3] if AEB.is_dir() else []
    for i, page in enumerate(aeb):
        url = f"https://www.example-outlet.com/2019/story-{i}.html"
        w.response(url, page.read_bytes(), ctype="text/html")  # no charset: detected from the bytes
        urls[url] = page
    w.response("https://news.example.org/dated", _page(1, "2021-03-04"))
    w.response("https://news.example.org/undated", _page(2))
    w.revisit("https://news.example.org/seed/0")
    w.response("https://news.example.org/logo.jpg", b"\xff\xd8\xff\xe0JFIF", ctype="image/jpeg", request=False)
    w.response("https://news.example.org/api", b'{"a": 1}', ctype="application/json", request=False)
    w.response(
        "https://news.example.org/gone", "<html><body>Not found</body></html>", status="404 Not Found", request=False
    )
    w.metadata("https://news.example.org/seed/0")
    path = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
    path.write_bytes(w.data())

    report, store = _ingest(tmp_path, read_inputs([path]))
    assert not report.rejected, report.rejected
    n_pages = len(SEEDS) + len(aeb) + 2
    assert len(report.stored) == n_pages
    assert Counter(s.reason for s in report.skipped) == {
        "warcinfo record": 1,
        "request record": n_pages,
        "metadata record": 1,
        "HTTP status 404": 1,
        "revisit record (no payload: the page had not changed)": 1,
        "not HTML (image/jpeg)": 1,
        "not HTML (application/json)": 1,
    }
    # skipped records are named by file, record number and byte offset
    by_reason = {s.reason: s.source for s in report.skipped}
    jpeg_no = 2 * n_pages + 3  # warcinfo, a request + response per page, the revisit, then the jpeg
    assert by_reason["not HTML (image/jpeg)"] == f"{path}#{jpeg_no}@{w.offsets[jpeg_no - 1]}"
    articles = {a.url: a for a in (store.get_article(r.article_id) for r in report.stored)}
    from storyline.urls import canonical_url

    # the URL is the target URI's canonical form (www. folded); the source is the target URI as crawled
    assert set(articles) == {canonical_url(u) for u in urls} | {
        "https://news.example.org/dated",
        "https://news.example.org/undated",
    }
    assert all(a.url == canonical_url(a.source) for a in articles.values())
    assert {a.source for a in articles.values()} >= set(urls)
    assert articles["https://news.example.org/seed/0"].outlet == "news.example.org"
    # the page's own date wins; the crawl date only when the page gives none
    assert articles["https://news.example.org/dated"].published == datetime(2021, 3, 4)
    assert articles["https://news.example.org/undated"].published == datetime(2023, 5, 6, 7, 8, 9)
    from storyline.clean import Cleaner

    cleaner = Cleaner()
    for url, src in urls.items():
        raw = src.read_bytes() if src.suffix == ".html" else _seed_html(src.read_text(encoding="utf-8"))
        own = cleaner.transform(
            RawDocument(url, html=raw if isinstance(raw, str) else raw.decode("utf-8", "replace"), meta={"url": url})
        )
        expected = own.published or datetime(2023, 5, 6, 7, 8, 9)
        assert articles[canonical_url(url)].published == expected, url
    if aeb:
        assert any(a.outlet and a.outlet != "www.example-outlet.com" for u, a in articles.items() if "outlet" in u)


def test_warc_http_charset_is_honoured_and_a_wrong_one_rejected(tmp_path):
    russian = (
        "<html><body><article><p>"
        + "Президент заявил в среду, что экономика страны устойчива. " * 8
        + "</p></article></body></html>"
    )
    w = Warc()
    w.response("https://ru.example/1", russian.encode("cp1251"), ctype="text/html; charset=windows-1251")
    bad = w.response(
        "https://ru.example/2", russian.replace("среду", "четверг").encode("cp1251"), ctype="text/html; charset=utf-8"
    )
    w.response("https://ru.example/3", russian.replace("среду", "пятницу").encode("utf-8"), ctype="text/html")
    w.response(
        "https://ru.example/4",
        russian.replace("среду", "субботу").encode("utf-8"),
        ctype="text/html; charset=no-such-charset",
    )
    out = list(read_bytes("ru.warc.gz", w.data()))
    docs, rejected = _all(RawDocument, out), _all(Rejection, out)
    assert [d.source for d in docs] == ["https://ru.example/1", "https://ru.example/3", "https://ru.example/4"]
    assert all("Президент заявил" in d.html for d in docs)
    (r,) = rejected
    assert r.source == f"ru.warc.gz#{bad}@{w.offsets[bad - 1]}"
    assert "declared charset utf-8" in r.reason and "https://ru.example/2" in r.reason


def test_warc_broken_member_in_the_middle_is_rejected_and_the_rest_is_read(tmp_path):
    w = Warc()
    nums = [w.response(f"https://ex.org/{i}", _page(i), request=False) for i in range(6)]
    data = w.data()
    # cut the tail off record 3's gzip member (its deflate end and CRC): the member runs into the next one
    a, b = w.offsets[2], w.offsets[3]
    broken = data[: b - 25] + data[b:]
    path = tmp_path / "mid.warc.gz"
    path.write_bytes(broken)
    report, store = _ingest(tmp_path, read_path(path))
    assert sorted(a.url for a in store.iter_articles()) == [f"https://ex.org/{i}" for i in (0, 1, 3, 4, 5)]
    (r,) = report.rejected
    assert r.source == f"{path}#{nums[2]}@{a}" and "broken" in r.reason  # (how it shows varies with the bytes)
    # the record after the broken one keeps its number
    again = list(read_path(path))
    assert [o.source for o in again][3:] == ["https://ex.org/3", "https://ex.org/4", "https://ex.org/5"]


def test_warc_garbled_headers_in_an_uncompressed_file(tmp_path):
    w = Warc(gz=False)
    for i in range(4):
        w.response(f"https://ex.org/{i}", _page(i), request=False)
    data = bytearray(w.data())
    start = w.offsets[1]
    data[start : start + 8] = b"GARBAGE!"  # record 2's "WARC/1.x" line
    out = list(read_bytes("plain.warc", bytes(data)))
    assert [d.source for d in _all(RawDocument, out)] == ["https://ex.org/0", "https://ex.org/2", "https://ex.org/3"]
    (r,) = _all(Rejection, out)
    assert r.source == f"plain.warc#2@{start}" and "broken WARC record" in r.reason


def test_warc_body_damage_fails_the_block_digest():
    w = Warc(gz=False)
    for i in range(3):
        w.response(f"https://ex.org/{i}", _page(i), request=False)
    data = w.data()
    at = data.index(b"report number 1")
    out = list(read_bytes("bits.warc", data[:at] + b"REPORT" + data[at + 6 :]))
    assert [d.source for d in _all(RawDocument, out)] == ["https://ex.org/0", "https://ex.org/2"]
    (r,) = _all(Rejection, out)
    assert r.source == f"bits.warc#2@{w.offsets[1]}" and "WARC-Block-Digest" in r.reason
    unchecked = list(
        read_bytes("bits.warc", data[:at] + b"REPORT" + data[at + 6 :], IngestConfig(warc_verify_digests=False))
    )
    assert len(_all(RawDocument, unchecked)) == 3


def test_warc_truncated_at_the_end_keeps_everything_before(tmp_path):
    w = Warc()
    for i in range(4):
        w.response(f"https://ex.org/{i}", _page(i), request=False)
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(w.data()[:-40])
    report, store = _ingest(tmp_path, read_inputs([path]))
    assert sorted(a.url for a in store.iter_articles()) == [f"https://ex.org/{i}" for i in range(3)]
    (r,) = report.rejected
    assert r.source == f"{path}#4@{w.offsets[3]}" and "truncated" in r.reason


_SMALL = Warc()
_SMALL.warcinfo()
for _i in range(3):
    _SMALL.response(f"https://ex.org/{_i}", _page(_i))
_SMALL.revisit("https://ex.org/0")
_SMALL_PLAIN = Warc(gz=False)
_SMALL_PLAIN.warcinfo()
for _i in range(3):
    _SMALL_PLAIN.response(f"https://ex.org/{_i}", _page(_i))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([_SMALL, _SMALL_PLAIN]), st.floats(0, 1))
def test_property_a_warc_cut_anywhere_never_raises_and_keeps_the_whole_records(w, where):
    data = w.data()
    cut = int(where * len(data))
    out = list(read_bytes("cut.warc", data[:cut]))
    ends = w.offsets[1:] + [len(data)]
    whole = [i + 1 for i, end in enumerate(ends) if end <= cut]  # record numbers wholly before the cut
    named = [o for o in out if not isinstance(o, RawDocument)]
    docs = _all(RawDocument, out)
    full = list(read_bytes("cut.warc", data))
    full_docs = [(n + 1, o) for n, o in enumerate(full) if isinstance(o, RawDocument)]
    assert [d.source for d in docs[: sum(1 for n, _ in full_docs if n in whole)]] == [
        o.source for n, o in full_docs if n in whole
    ]
    inside = [
        i + 1 for i, (s, e) in enumerate(zip(w.offsets, ends, strict=True)) if s < cut < e - 4
    ]  # not in the trailing CRLFs
    if inside:
        assert any(
            isinstance(o, Rejection) and not isinstance(o, Skipped) and f"#{inside[0]}@" in o.source for o in named
        ), (cut, named)


_DAMAGE = {gz: Warc(gz) for gz in (True, False)}
for _w in _DAMAGE.values():
    for _i in range(6):
        _w.response(f"https://ex.org/{_i}", _page(_i), request=_i % 2 == 0)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.booleans(), st.floats(0, 1), st.sampled_from([1, 5, 40, 400, 3000]), st.booleans(), st.randoms())
def test_property_damage_anywhere_loses_at_most_the_records_it_touches(gz, where, size, garble, rnd):
    """Bytes cut out of a WARC or overwritten, anywhere: never an exception, never a record twice, and every
    record the damage does not touch is read (the one right after it may be lost: its start was damaged)."""
    w = _DAMAGE[gz]
    data = w.data()
    a = int(where * (len(data) - 1))
    b = min(len(data), a + size)
    junk = bytes(rnd.randrange(256) for _ in range(b - a)) if garble else b""
    out = list(read_bytes("d.warc", data[:a] + junk + data[b:]))
    docs = [o.source for o in _all(RawDocument, out)]
    assert len(docs) == len(set(docs))
    ends = w.offsets[1:] + [len(data)]
    spans = list(zip(w.offsets, ends, strict=True))
    after = next((k for k, (s, _) in enumerate(spans) if s >= b), None)
    full = list(read_bytes("d.warc", data))
    for k, (s, e) in enumerate(spans):
        if isinstance(full[k], RawDocument) and (e <= a or s >= b) and k != after:
            assert full[k].source in docs, (k, a, b, [(o.source, o.reason) for o in _all(Rejection, out)])
    # damage inside one record loses nothing silently: a page missing comes with a rejection (or a skip, e.g.
    # a cut Content-Type); a page read with a damaged URL (headers have no digest) is not lost, a damaged body
    # fails its digest. (A cut across records can splice two into one valid record of the first one's type.)
    if any(s <= a and b <= e for s, e in spans):
        bodies = {o.html for o in _all(RawDocument, out)}
        lost = [o.source for o in _all(RawDocument, full) if o.html not in bodies]
        news = [
            o
            for o in out
            if isinstance(o, Rejection)
            and (o.source, o.reason) not in {(f.source, getattr(f, "reason", None)) for f in full}
        ]
        assert not lost or news


def test_warc_gzipped_as_one_stream_is_read_too():
    w = Warc(gz=False)
    for i in range(3):
        w.response(f"https://ex.org/{i}", _page(i), request=False)
    out = list(read_bytes("whole.warc.gz", gzip.compress(w.data())))
    assert [d.source for d in _all(RawDocument, out)] == [f"https://ex.org/{i}" for i in range(3)]
    assert not _all(Rejection, out)


# ----------------------------------------------------------------------------- gzip and zip


def test_gzip_by_extension_and_by_magic_and_zip_members_named(tmp_path):
    lines = "\n".join(json.dumps({"text": BODY + str(i), "title": f"T{i}"}) for i in range(3))
    (tmp_path / "feed.jsonl.gz").write_bytes(gzip.compress(lines.encode()))
    (tmp_path / "story.txt").write_bytes(gzip.compress(("Headline\n\n" + BODY).encode()))  # gzip, wrong extension
    w = Warc()
    w.response("https://ex.org/zipped", _page(7))
    with zipfile.ZipFile(tmp_path / "bundle.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a/page.html", _page(8))
        z.writestr("crawl.warc.gz", w.data())
        z.writestr("more.jsonl.gz", gzip.compress(json.dumps({"text": BODY + "zipped jsonl"}).encode()))
        z.writestr("logo.png", b"\x89PNG\r\n")
        z.writestr("__MACOSX/._page.html", b"\x00\x05")
    out = list(read_inputs([tmp_path]))
    docs = {d.source: d for d in _all(RawDocument, out)}
    assert set(docs) == {
        f"{tmp_path}/bundle.zip!a/page.html",
        "https://ex.org/zipped",
        f"{tmp_path}/bundle.zip!more.jsonl.gz:1",
        f"{tmp_path}/feed.jsonl.gz:1",
        f"{tmp_path}/feed.jsonl.gz:2",
        f"{tmp_path}/feed.jsonl.gz:3",
        f"{tmp_path}/story.txt",
    }
    assert docs[f"{tmp_path}/story.txt"].text.startswith("Headline")
    assert docs[f"{tmp_path}/bundle.zip!a/page.html"].html is not None
    skipped = {s.source: s.reason for s in _all(Skipped, out)}
    assert skipped[f"{tmp_path}/bundle.zip!logo.png"] == "not a supported input (.png)"
    assert skipped[f"{tmp_path}/bundle.zip!__MACOSX/._page.html"] == "hidden file"
    assert skipped[f"{tmp_path}/bundle.zip!crawl.warc.gz#1@0"] == "request record"
    assert not _all(Rejection, out)


def test_zip_bomb_stops_at_the_cap_and_names_the_member(tmp_path):
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("first.txt", BODY)
        z.writestr("bomb.txt", b"A" * 50_000_000)  # ~50 KB compressed
        z.writestr("lines.jsonl", b"\n" * 30_000_000)
        z.writestr("last.txt", BODY + " again")
    assert (tmp_path / "bomb.zip").stat().st_size < 500_000
    cfg = IngestConfig(max_bytes=1_000_000, max_decompressed_bytes=5_000_000)
    out = list(read_inputs([tmp_path / "bomb.zip"], cfg))
    assert [d.source.split("!")[1] for d in _all(RawDocument, out)] == ["first.txt", "last.txt"]
    rej = {r.source.split("!")[1]: r.reason for r in _all(Rejection, out)}
    assert "larger than the limit" in rej["bomb.txt"]
    (key,) = [k for k in rej if k.startswith("lines.jsonl")]
    assert "larger than 5,000,000 bytes decompressed" in rej[key]


def test_bad_gzip_names_the_file_and_keeps_what_came_before(tmp_path):
    lines = "\n".join(json.dumps({"text": BODY + str(i)}) for i in range(2000)).encode()
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress(lines)[:-3000])
    corrupt = tmp_path / "corrupt.txt.gz"
    data = bytearray(gzip.compress(BODY.encode() * 50))
    data[30:40] = b"\xff" * 10
    corrupt.write_bytes(bytes(data))
    report, store = _ingest(tmp_path, read_inputs([cut, corrupt]))
    rej = {r.source: r.reason for r in report.rejected}
    assert store.count_articles() == len(report.stored) > 1000
    (cut_src,) = [s for s in rej if s.startswith(str(cut))]
    assert cut_src == f"{cut}:{len(report.stored) + 1}" and "truncated compressed data" in rej[cut_src]
    assert "corrupt compressed data" in rej[str(corrupt)]


# ----------------------------------------------------------------------------- news-please and trafilatura JSON

NEWS_PLEASE = {
    "authors": ["Ann Lee", "Bo Chen"],
    "date_download": "2022-01-27 10:00:00",
    "date_modify": None,
    "date_publish": "2022-01-26 09:30:00",
    "description": "Lead.",
    "filename": "x.json",
    "image_url": None,
    "language": "en",
    "localpath": None,
    "maintext": BODY * 2,
    "source_domain": "www.example-news.com",
    "title": "Water reform passes",
    "title_page": None,
    "title_rss": None,
    "url": "https://www.example-news.com/a",
}


def test_news_please_json_object_array_and_lines(tmp_path):
    (tmp_path / "one.json").write_text(json.dumps(NEWS_PLEASE, indent=2))
    arr = [dict(NEWS_PLEASE, url=f"https://www.example-news.com/{i}", maintext=BODY + str(i)) for i in range(3)]
    arr[1]["maintext"] = None  # news-please found no text
    (tmp_path / "many.json").write_text(json.dumps(arr, indent=1))
    (tmp_path / "lines.jsonl").write_text(
        "\n".join(
            json.dumps(dict(r, maintext=BODY + "L" + str(i), url=f"https://www.example-news.com/line/{i}"))
            for i, r in enumerate(arr)
        )
    )
    report, store = _ingest(
        tmp_path, read_inputs([tmp_path / "one.json", tmp_path / "many.json", tmp_path / "lines.jsonl"])
    )
    assert len(report.stored) == 6
    (r,) = report.rejected
    assert r.source == f"{tmp_path / 'many.json'}:2" and "'maintext'" in r.reason
    a = store.get_article(next(x.article_id for x in report.stored if x.source == NEWS_PLEASE["url"]))
    assert (a.title, a.author, a.outlet, a.url) == (
        "Water reform passes",
        "Ann Lee, Bo Chen",
        "www.example-news.com",
        "https://example-news.com/a",
    )  # the canonical URL
    assert a.published == datetime(2022, 1, 26, 9, 30)


def test_trafilatura_json_output(tmp_path):
    import trafilatura

    page = (
        '<html><head><title>Storm hits coast</title><meta name="author" content="Jo Park">'
        '<meta property="og:site_name" content="Coast Times">'
        '<meta property="article:published_time" content="2020-10-02"></head><body><article>'
        f"<p>{BODY * 3}</p></article></body></html>"
    )
    out = trafilatura.extract(page, output_format="json", with_metadata=True, url="https://coast.example/storm")
    assert out and "raw_text" in json.loads(out)
    (tmp_path / "t.json").write_text(out)
    (tmp_path / "t.jsonl").write_text(out.replace("Storm hits", "Storm hits again").replace("\n", " ") + "\n")
    report, store = _ingest(tmp_path, read_inputs([tmp_path / "t.json"]))
    assert not report.rejected and len(report.stored) == 1
    a = store.get_article(report.stored[0].article_id)
    assert (a.title, a.author, a.outlet, a.url) == (
        "Storm hits coast",
        "Jo Park",
        "Coast Times",
        "https://coast.example/storm",
    )
    assert a.published == datetime(2020, 10, 2)
    (doc,) = list(read_path(tmp_path / "t.jsonl"))
    assert doc.meta["outlet"] == "Coast Times" and doc.meta["title"] == "Storm hits again coast"


def test_json_array_is_read_item_by_item_with_bad_items_named(tmp_path):
    p = tmp_path / "big.json"
    items = [{"text": BODY + str(i)} for i in range(5)]
    items[2] = {"text": "x" * 5000}
    p.write_text(json.dumps(items))
    out = list(read_path(p, IngestConfig(max_bytes=2000)))
    assert [o.source for o in out] == [f"{p}:{i}" for i in range(1, 6)]
    assert isinstance(out[2], Rejection) and "too large" in out[2].reason
    p.write_text(json.dumps(items[:2])[:-1] + ", {broken")
    out = list(read_path(p))
    assert [type(o) for o in out] == [RawDocument, RawDocument, Rejection]
    assert out[2].source == f"{p}:3" and "malformed JSON" in out[2].reason


# ----------------------------------------------------------------------------- CSV and Parquet

runner = CliRunner()


def test_csv_with_a_column_mapping_and_bad_rows_named(tmp_path):
    p = tmp_path / "dump.csv"
    rows = [
        "id,body,published,link,headline",
        f'1,"{BODY}\n\nSecond paragraph, with ""quotes"".",2021-05-06,https://c.example/1,First',  # lines 2-4
        "2,too,few",  # line 5
    ] + [f'{i},"{BODY} number {i}",2021-05-07,https://c.example/{i},Title {i}' for i in range(3, 300)]
    # a latin-1 byte on line 303, past the first 64 KiB the encoding is told from (UTF-8)
    data = (
        ("\n".join(rows) + "\n").encode()
        + b'300,"caf\xe9 latin-1 byte",2021-05-08,https://c.example/x,Bad\n'
        + f'301,"{BODY} last",2021-05-09,https://c.example/301,Last\n'.encode()
    )
    assert data.index(b"\xe9") > 65_536
    p.write_bytes(data)
    db = tmp_path / "c.db"
    r = runner.invoke(
        app,
        [
            "ingest",
            str(p),
            "--db",
            str(db),
            "--no-stories",
            "--json",
            "--map",
            "text=body,date=published,url=link,title=headline",
        ],
    )
    assert r.exit_code == 1, r.output  # rejections -> exit code 1, the good rows stored
    report = json.loads(r.stdout)
    stored = [s["source"] for s in report["stored"]]
    assert len(stored) == 299 and stored[:2] == ["https://c.example/1", "https://c.example/3"]
    assert stored[-1] == "https://c.example/301"
    rej = {x["source"]: x["reason"] for x in report["rejected"]}
    assert set(rej) == {f"{p}:5", f"{p}:303"}
    assert "3 fields, the header 5" in rej[f"{p}:5"] and "line 303 is not utf-8" in rej[f"{p}:303"]
    store = SQLiteStore(db)
    a = store.get_article(report["stored"][0]["article_id"])
    assert a.title == "First" and a.url == "https://c.example/1" and a.published == datetime(2021, 5, 6)
    assert len(a.paragraphs) == 2
    # without the mapping there is no text column: the file is rejected, naming the columns it has
    r = runner.invoke(app, ["ingest", str(p), "--db", str(tmp_path / "d.db"), "--no-stories"])
    assert r.exit_code == 1 and "no text column" in r.stderr and "'body'" in r.stderr


def test_parquet_in_batches_with_mapping_and_defaults(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 7
    table = pa.table(
        {
            "body": [BODY + f"row {i}" if i != 4 else None for i in range(n)],
            "published": [datetime(2020, 1, i + 1) for i in range(n)],
            "link": [f"https://p.example/{i}" for i in range(n)],
            "authors": [["A", "B"]] * n,
        }
    )
    p = tmp_path / "dump.parquet"
    pq.write_table(table, p, row_group_size=3)
    cfg = IngestConfig(columns={"text": "body", "date": "published", "url": "link", "author": "authors"}, batch_rows=2)
    out = list(read_path(p, cfg))
    assert len(_all(RawDocument, out)) == n - 1
    (r,) = _all(Rejection, out)
    assert r.source == f"{p}:5" and "'body'" in r.reason
    assert out[0].meta == {"url": "https://p.example/0", "date": "2020-01-01T00:00:00", "author": "A, B"}
    # columns already named as the fields need no mapping
    pq.write_table(pa.table({"text": [BODY], "title": ["T"], "outlet": ["O"]}), tmp_path / "plain.parquet")
    (doc,) = list(read_path(tmp_path / "plain.parquet"))
    assert doc.meta == {"title": "T", "outlet": "O"} and doc.source == f"{tmp_path / 'plain.parquet'}:1"
    # a mapping naming a column the file lacks rejects the file, naming the columns
    (bad,) = list(read_path(p, IngestConfig(columns={"text": "content"})))
    assert bad.source == str(p) and "'content' (for text)" in bad.reason and "'body'" in bad.reason
    (junk,) = list(read_bytes("junk.parquet", b"PAR1 not really"))
    assert "not a readable Parquet file" in junk.reason


def test_cli_map_errors_and_the_summary_lists_skipped(tmp_path):
    r = runner.invoke(app, ["ingest", str(tmp_path), "--db", str(tmp_path / "x.db"), "--map", "body=text"])
    assert r.exit_code == 2 and "unknown field 'body'" in r.stderr
    w = Warc()
    w.response("https://ex.org/1", _page(1))
    (tmp_path / "c.warc.gz").write_bytes(w.data())
    r = runner.invoke(app, ["ingest", str(tmp_path / "c.warc.gz"), "--db", str(tmp_path / "x.db"), "--no-stories"])
    assert r.exit_code == 0, r.output
    assert "stored 1" in r.stderr and "skipped 1" in r.stderr and "request record (1)" in r.stderr
    assert "c.warc.gz#1@0: request record" in r.stderr
    r = runner.invoke(
        app, ["ingest", str(tmp_path / "c.warc.gz"), "--db", str(tmp_path / "x.db"), "--no-stories", "--json"]
    )
    data = json.loads(r.stdout)
    assert data["skipped"] == [{"source": f"{tmp_path / 'c.warc.gz'}#1@0", "reason": "request record"}]
    assert data["duplicates"][0]["source"] == "https://ex.org/1" and data["rejected"] == []
    # the mapping is for that run only: it is not saved in the store's settings
    assert SQLiteStore(tmp_path / "x.db").load_config().ingest.columns == {}


# ----------------------------------------------------------------------------- dispatcher and entry points


def test_a_registered_reader_is_chosen_by_its_sniff(tmp_path):
    def sniff(inp, head):
        return head.lstrip().startswith(b"<rss")

    def read(inp, config):
        yield RawDocument(inp.name, text=BODY, meta={"title": "from the feed reader"})

    saved = list(READERS)
    try:
        register_reader(Reader("feed", read, frozenset({".rss"}), sniff))
        assert [r.name for r in READERS].index("feed") < [r.name for r in READERS].index("jsonl")
        (tmp_path / "news.xml").write_text("<rss version='2.0'><channel></channel></rss>")
        (doc,) = list(read_inputs([tmp_path / "news.xml"]))
        assert doc.meta["title"] == "from the feed reader"
    finally:
        READERS[:] = saved


def test_read_bytes_gives_what_read_path_gives(tmp_path):
    w = Warc()
    w.warcinfo()
    w.response("https://ex.org/1", _page(1))
    files = {
        "a.warc.gz": w.data(),
        "b.jsonl": (json.dumps({"text": BODY}) + "\n{bad\n").encode(),
        "c.csv": f'text,title\n"{BODY}",T\n'.encode(),
        "d.html": _page(3).encode(),
        "e.txt.gz": gzip.compress(b"x y z"),
        "f.json": json.dumps(NEWS_PLEASE).encode(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        via_path = [
            (
                type(o).__name__,
                o.source.replace(str(tmp_path) + "/", ""),
                getattr(o, "reason", None),
                getattr(o, "meta", None),
            )
            for o in read_path(tmp_path / name)
        ]
        via_bytes = [
            (type(o).__name__, o.source, getattr(o, "reason", None), getattr(o, "meta", None))
            for o in read_bytes(name, data)
        ]
        assert via_path == via_bytes and via_path, name


def test_folders_pick_up_the_new_formats_even_with_settings_saved_by_an_older_version(tmp_path):
    old = Config.from_dict({"ingest": {"extensions": [".txt", ".html", ".jsonl"]}})
    assert ".warc" not in old.ingest.extensions
    w = Warc()
    w.response("https://ex.org/1", _page(1), request=False)
    (tmp_path / "c.warc.gz").write_bytes(w.data())
    (tmp_path / "t.csv").write_text(f'text\n"{BODY}"\n')
    (tmp_path / "skip.png").write_bytes(b"\x89PNG")
    out = list(read_inputs([tmp_path], old.ingest))
    assert [d.source for d in out] == ["https://ex.org/1", f"{tmp_path}/t.csv:2"]


def test_fallback_date_only_when_the_article_has_none():
    from storyline.clean import Cleaner

    c = Cleaner()
    dated = c.transform(
        RawDocument("a", text=f"Reform passes\n\nJan. 26, 2022\n\n{BODY}", meta={"fallback_date": WARC_DATE})
    )
    assert dated.published == datetime(2022, 1, 26)  # the text's own date, not the crawl's
    given = c.transform(RawDocument("b", text=BODY, meta={"date": "2020-02-02", "fallback_date": WARC_DATE}))
    assert given.published == datetime(2020, 2, 2)
    none = c.transform(RawDocument("c", text=BODY, meta={"fallback_date": WARC_DATE}))
    assert none.published == datetime(2023, 5, 6, 7, 8, 9)


def test_stdin_reads_any_format_and_mapping_syntax_errors_are_clear():
    from storyline.ingest import parse_mapping, read_stdin

    data = gzip.compress((json.dumps(NEWS_PLEASE) + "\n" + json.dumps({"text": BODY}) + "\n").encode())
    docs = list(read_stdin(IngestConfig(), io.BytesIO(data)))
    assert [d.source for d in docs] == [NEWS_PLEASE["url"], "<stdin>:2"]
    assert docs[0].meta["outlet"] == "www.example-news.com"
    assert parse_mapping(" text = body , url=link,") == {"text": "body", "url": "link"}
    for bad, msg in [("text", "expected FIELD=COLUMN"), ("text=a,text=b", "mapped twice"), ("=a", "expected")]:
        with pytest.raises(ValueError, match=msg):
            parse_mapping(bad)


def test_a_feed_over_the_size_limit_is_rejected_naming_it_and_the_rest_is_read(tmp_path, monkeypatch):
    item = "<item><title>T{i}</title><link>https://c.example/{i}</link></item>"
    feed = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>F</title>"
        + "".join(item.format(i=i) for i in range(400))
        + "</channel></rss>"
    )
    (tmp_path / "big.rss").write_text(feed)
    (tmp_path / "page.html").write_text(_page(1))
    cfg = IngestConfig(max_bytes=4_000)
    real_read = Path.read_bytes

    def read_bytes_unless_big(self):  # a file known to be over the limit is never read into memory
        assert self.name != "big.rss", "the oversized feed was read"
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes_unless_big)
    out = list(read_inputs([tmp_path / "big.rss", tmp_path / "page.html"], cfg))
    (rej,) = [o for o in out if type(o) is Rejection]
    assert rej.source == str(tmp_path / "big.rss") and "larger than the limit" in rej.reason
    assert [o.source for o in out if isinstance(o, RawDocument)] == [str(tmp_path / "page.html")]
    gz = tmp_path / "big.rss.gz"  # size known only once decompressed: the capped read stops it
    gz.write_bytes(gzip.compress(feed.encode()))
    (rej,) = list(read_inputs([gz], cfg))
    assert type(rej) is Rejection and "larger than the limit" in rej.reason
