"""Readers, bad inputs, idempotence and an ingest killed part-way."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from storyline.config import IngestConfig
from storyline.ingest import DecodeError, decode_bytes, read_file, read_inputs, read_stdin
from storyline.model import RawDocument, Rejection, content_id
from storyline.pipeline import Pipeline
from storyline.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "examples" / "seeds"

BODY = (
    "The regional parliament approved the water reform on Thursday after a debate that lasted most of the night, "
    "ending a dispute that had divided the governing coalition for more than a year.\n\n"
    "Farmers' groups welcomed the decision, saying the new rules would give them a fairer share of the supply "
    "during dry summers, while environmental organisations said they would challenge it in court."
)


def _body(i: int) -> str:
    return BODY.replace("Thursday", f"Thursday, session {i},")


def _pipeline(db: Path, **kw) -> Pipeline:
    return Pipeline(SQLiteStore(db), reuse=False, cluster=False, **kw)


# ----------------------------------------------------------------------------- readers


def test_plain_text_file(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("Reform Passes\n\n" + BODY, encoding="utf-8")
    (doc,) = list(read_inputs([p]))
    assert isinstance(doc, RawDocument) and doc.text and doc.html is None and doc.source == str(p)


def test_html_file_through_trafilatura_with_metadata(tmp_path):
    paras = "".join(f"<p>{p}</p>" for p in BODY.split("\n\n"))
    html = (
        "<!DOCTYPE html><html><head><title>Water reform passes | Example Times</title>"
        '<meta name="author" content="Jane Doe"><meta property="article:published_time" content="2023-04-06">'
        '<meta property="og:site_name" content="Example Times"></head><body>'
        "<nav><a href='/'>Home</a> <a href='/w'>World</a></nav><article><h1>Water reform passes</h1>"
        f"{paras}</article><footer>© Example Times</footer></body></html>"
    )
    p = tmp_path / "page.html"
    p.write_text(html, encoding="utf-8")
    (doc,) = list(read_inputs([p]))
    assert doc.html is not None and doc.text is None
    report = _pipeline(tmp_path / "db.sqlite").ingest([doc])
    assert len(report.stored) == 1
    a = SQLiteStore(tmp_path / "db.sqlite").get_article(report.stored[0].article_id)
    assert "regional parliament approved the water reform" in a.text
    assert "Home" not in a.text and "©" not in a.text
    assert a.title == "Water reform passes" and a.author == "Jane Doe" and a.outlet == "Example Times"
    assert a.published.date().isoformat() == "2023-04-06"


def test_html_detected_without_extension(tmp_path):
    p = tmp_path / "noext"
    p.write_text("<html><body><p>" + BODY + "</p></body></html>", encoding="utf-8")
    (doc,) = list(read_inputs([p]))
    assert doc.html is not None


def test_jsonl_with_metadata_fields(tmp_path):
    p = tmp_path / "feed.jsonl"
    rows = [
        {
            "text": _body(1),
            "url": "https://example.org/a",
            "title": "Given title",
            "date": "2022-01-26",
            "outlet": "Example Wire",
            "author": "Ann Lee",
        },
        {"html": "<html><body><article><p>" + _body(2) + "</p></article></body></html>", "title": "From HTML"},
    ]
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    docs = list(read_inputs([p]))
    assert [type(d) for d in docs] == [RawDocument, RawDocument]
    assert docs[0].source == "https://example.org/a" and docs[0].meta["outlet"] == "Example Wire"
    assert docs[1].html is not None and docs[1].source == f"{p}:2"
    report = _pipeline(tmp_path / "db.sqlite").ingest(docs)
    assert len(report.stored) == 2 and not report.rejected
    store = SQLiteStore(tmp_path / "db.sqlite")
    a = store.get_article(report.stored[0].article_id)
    assert (a.title, a.outlet, a.author, a.url) == ("Given title", "Example Wire", "Ann Lee", "https://example.org/a")
    assert a.published.isoformat() == "2022-01-26T00:00:00" and a.date_precision == "day"
    assert store.get_article(report.stored[1].article_id).title == "From HTML"


def test_folder_is_read_recursively_and_hidden_files_skipped(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    (tmp_path / "one.txt").write_text(_body(1))
    (tmp_path / "a" / "two.txt").write_text(_body(2))
    (tmp_path / "a" / "b" / "three.txt").write_text(_body(3))
    (tmp_path / "a" / ".hidden.txt").write_text(_body(4))
    (tmp_path / ".git" / "x.txt").write_text(_body(5))
    (tmp_path / "a" / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    sources = sorted(Path(d.source).name for d in read_inputs([tmp_path]))
    assert sources == ["one.txt", "three.txt", "two.txt"]


def test_stdin_text_and_jsonl():
    cfg = IngestConfig()
    (doc,) = list(read_stdin(cfg, io.BytesIO(BODY.encode("utf-8"))))
    assert isinstance(doc, RawDocument) and doc.source == "<stdin>" and doc.text.startswith("The regional")
    lines = (json.dumps({"text": _body(1)}) + "\n" + "{broken\n" + json.dumps({"text": _body(2)}) + "\n").encode()
    docs = list(read_stdin(cfg, io.BytesIO(lines)))
    assert [type(d) for d in docs] == [RawDocument, Rejection, RawDocument]
    assert docs[1].source == "<stdin>:2"
    (empty,) = list(read_stdin(cfg, io.BytesIO(b"  \n")))
    assert isinstance(empty, Rejection) and "empty" in empty.reason


def test_encodings_are_detected_not_assumed(tmp_path):
    french = "Le président a déclaré mercredi que l’économie française était « solide » malgré la crise. " * 3
    russian = "Президент заявил в среду, что экономика страны остаётся устойчивой, несмотря на кризис. " * 3
    cases = {
        "cp1252.txt": french.replace("’", "'").encode("cp1252"),
        "cp1251.txt": russian.encode("cp1251"),
        "utf16.txt": ("\ufeff" + french).encode("utf-16-le"),
        "bom8.txt": b"\xef\xbb\xbf" + french.encode(),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    for name in cases:
        (doc,) = list(read_file(tmp_path / name, IngestConfig()))
        assert isinstance(doc, RawDocument), (name, doc)
        expected = russian if name == "cp1251.txt" else french
        assert doc.text.strip().startswith(expected.replace("’", "'" if name == "cp1252.txt" else "’")[:40]), name


# ----------------------------------------------------------------------------- bad input


def _only(paths, **cfg) -> Rejection:
    (out,) = list(read_inputs(paths, IngestConfig(**cfg)))
    assert isinstance(out, Rejection), out
    return out


def test_empty_and_whitespace_files(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b" \n\t\n")
    r = _only([tmp_path / "empty.txt"])
    assert r.source.endswith("empty.txt") and "empty" in r.reason
    assert "empty" in _only([tmp_path / "blank.txt"]).reason


def test_binary_file(tmp_path):
    p = tmp_path / "photo.txt"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20)
    r = _only([p])
    assert r.source == str(p) and "binary" in r.reason


def test_undecodable_bytes(tmp_path):
    p = tmp_path / "garbage.txt"
    p.write_bytes(bytes(range(128, 256)) * 50)
    r = _only([p])
    assert r.source == str(p) and "undecodable" in r.reason


def test_huge_file_rejected_without_reading_it(tmp_path, monkeypatch):
    p = tmp_path / "huge.txt"
    with open(p, "wb") as fh:
        os.truncate(fh.fileno(), 500 * 1024 * 1024)  # sparse: 500 MB that take no disk space

    def boom(*a, **k):
        raise AssertionError("the huge file was read")

    monkeypatch.setattr(Path, "read_bytes", boom)
    t0 = time.perf_counter()
    r = _only([p])
    assert time.perf_counter() - t0 < 2
    assert r.source == str(p) and "too large" in r.reason and "524.3 MB" in r.reason


def test_huge_jsonl_line_rejected_with_bounded_memory(tmp_path):
    p = tmp_path / "big.jsonl"
    with open(p, "wb") as fh:
        fh.write(json.dumps({"text": _body(1)}).encode() + b"\n")
        fh.write(b'{"text": "' + b"x" * 3_000_000 + b'"}\n')
        fh.write(json.dumps({"text": _body(2)}).encode() + b"\n")
    out = list(read_inputs([p], IngestConfig(max_bytes=1_000_000)))
    assert [type(o) for o in out] == [RawDocument, Rejection, RawDocument]
    assert out[1].source == f"{p}:2" and "too large" in out[1].reason


def test_malformed_jsonl_line_names_file_and_line_and_the_rest_goes_in(tmp_path):
    p = tmp_path / "feed.jsonl"
    p.write_text(
        json.dumps({"text": _body(1)})
        + "\n"
        + '{"text": "unterminated\n'
        + "[1, 2]\n"
        + json.dumps({"title": "no text"})
        + "\n\n"
        + json.dumps({"text": _body(2)})
        + "\n",
        encoding="utf-8",
    )
    report = _pipeline(tmp_path / "db.sqlite").ingest(read_inputs([p]))
    assert len(report.stored) == 2
    reasons = {r.source: r.reason for r in report.rejected}
    assert set(reasons) == {f"{p}:2", f"{p}:3", f"{p}:4"}
    assert "malformed JSON" in reasons[f"{p}:2"]
    assert "object" in reasons[f"{p}:3"] and "neither" in reasons[f"{p}:4"]


def test_unreadable_paths(tmp_path, monkeypatch):
    missing = tmp_path / "nope.txt"
    broken = tmp_path / "broken.txt"
    broken.symlink_to(tmp_path / "gone.txt")
    good = tmp_path / "good.txt"
    good.write_text(_body(1))
    out = list(read_inputs([missing, broken, good]))
    assert [type(o) for o in out] == [Rejection, Rejection, RawDocument]
    assert out[0].source == str(missing) and "no such file" in out[0].reason
    assert out[1].source == str(broken)
    # a folder where a file is expected, and a file the OS refuses to read
    (folder,) = list(read_file(tmp_path, IngestConfig()))
    assert isinstance(folder, Rejection) and "cannot read" in folder.reason
    locked = tmp_path / "locked.txt"
    locked.write_text(_body(2))
    real = Path.read_bytes

    def deny(self):
        if self == locked:
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    (r,) = list(read_inputs([locked]))
    assert isinstance(r, Rejection) and "Permission denied" in r.reason and r.source == str(locked)


def test_bad_inputs_do_not_stop_the_batch_and_keep_what_was_stored(tmp_path):
    db = tmp_path / "db.sqlite"
    first = tmp_path / "first.txt"
    first.write_text(_body(0))
    assert len(_pipeline(db).ingest(read_inputs([first])).stored) == 1
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "a.txt").write_text(_body(1))
    (batch / "b.txt").write_bytes(b"")
    (batch / "c.txt").write_bytes(b"\x00\x01\x02binary")
    (batch / "d.txt").write_text(_body(2))
    report = _pipeline(db).ingest(read_inputs([batch, tmp_path / "missing.txt"]))
    assert len(report.stored) == 2 and len(report.rejected) == 3
    assert SQLiteStore(db).count_articles() == 3


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_property_decode_bytes_only_raises_decode_error(data):
    try:
        text = decode_bytes(data)
    except DecodeError:
        return
    assert isinstance(text, str)


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=400))
def test_property_utf8_text_roundtrips(text):
    if "\x00" in text or text.startswith("\ufeff"):
        return
    assert decode_bytes(text.encode("utf-8")) == text


# ----------------------------------------------------------------------------- idempotence


def test_second_ingest_stores_nothing_and_reports_duplicates(tmp_path):
    db = tmp_path / "db.sqlite"
    first = _pipeline(db).ingest(read_inputs([SEEDS]))
    assert len(first.stored) == 5 and not first.duplicates and not first.rejected
    second = _pipeline(db).ingest(read_inputs([SEEDS]))
    assert len(second.stored) == 0 and len(second.duplicates) == 5 and not second.rejected
    assert {aid for _, aid in second.duplicates} == {r.article_id for r in first.stored}
    assert SQLiteStore(db).count_articles() == 5


def test_same_body_with_other_whitespace_and_quotes_is_a_duplicate(tmp_path):
    db = tmp_path / "db.sqlite"
    a = RawDocument("a", text=_body(1).replace("'", "\u2019"))
    b = RawDocument("b", text="  " + _body(1).replace(" ", "  ") + "\n\n")
    report = _pipeline(db).ingest([a, b])
    assert len(report.stored) == 1 and report.duplicates == [("b", report.stored[0].article_id)]


def test_parallel_cleaning_gives_the_same_articles(tmp_path):
    docs = [
        RawDocument(f"d{i}", text=f"Site Menu\nSign in\nTop Stories\n\n{_body(i)}\n\nSite footer line")
        for i in range(80)
    ]
    one = _pipeline(tmp_path / "one.db", workers=1).ingest(docs)
    two = _pipeline(tmp_path / "two.db", workers=2).ingest(docs)
    a1 = [SQLiteStore(tmp_path / "one.db").get_article(r.article_id) for r in one.stored]
    a2 = [SQLiteStore(tmp_path / "two.db").get_article(r.article_id) for r in two.stored]
    assert len(a1) == 80
    assert [(a.id, a.paragraphs, [(r.text, r.reason) for r in a.removed]) for a in a1] == [
        (a.id, a.paragraphs, [(r.text, r.reason) for r in a.removed]) for a in a2
    ]
    assert any(r.reason == "learned:recurring-line" for a in a1 for r in a.removed)


# ----------------------------------------------------------------------------- killed part-way


def _count(db: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def test_ingest_killed_with_sigkill_leaves_a_consistent_store(tmp_path):
    corpus = tmp_path / "corpus"
    n = 6000
    for k in range(0, n, 1000):
        sub = corpus / f"{k // 1000:02d}"
        sub.mkdir(parents=True)
        for i in range(k, k + 1000):
            (sub / f"{i:05d}.txt").write_text(f"Headline number {i}\n\n{_body(i)}", encoding="utf-8")
    db = tmp_path / "killed.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "storyline.cli", "ingest", str(corpus), "--db", str(db), "--no-stories"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 120
        while _count(db) == 0 and proc.poll() is None and time.time() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the ingest finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its cleaning workers
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    store = SQLiteStore(db)
    before = store.count_articles()
    assert 0 < before < n
    for a in store.iter_articles():  # every stored article complete and readable
        assert a.paragraphs and a.id == content_id(a.paragraphs) and a.title and a.title.startswith("Headline number")
    store.close()

    report = _pipeline(db).ingest(read_inputs([corpus]))
    assert len(report.duplicates) == before and len(report.stored) == n - before and not report.rejected
    assert SQLiteStore(db).count_articles() == n


def test_parallel_cleaning_without_fork(tmp_path, monkeypatch):
    """With a threaded runtime loaded, workers start from a fresh process (forkserver/spawn): same results."""
    import types

    monkeypatch.setitem(sys.modules, "torch", types.ModuleType("torch"))
    docs = [RawDocument(f"d{i}", text=f"Site Menu\nSign in\n\n{_body(i)}\n\nSite footer line") for i in range(70)]
    p = _pipeline(tmp_path / "fs.db", workers=2)
    report = p.ingest(docs)
    assert len(report.stored) == 70 and not report.rejected
    seq = _pipeline(tmp_path / "seq.db", workers=1).ingest(docs)
    assert [r.article_id for r in report.stored] == [r.article_id for r in seq.stored]


def test_learnt_furniture_is_saved_with_the_store_and_reused(tmp_path):
    db = tmp_path / "db.sqlite"
    docs = [RawDocument(f"d{i}", text=f"Daily Planet Weekend Edition\n\n{_body(i)}") for i in range(5)]
    _pipeline(db).ingest(docs)
    # a later run, in a new process-like Pipeline, cleans a single new article with what was learnt
    p = _pipeline(db)
    assert p.cleaner.furniture.docs == 5
    report = p.ingest([RawDocument("new", text=f"Daily Planet Weekend Edition\n\n{_body(99)}")])
    a = SQLiteStore(db).get_article(report.stored[0].article_id)
    assert any(r.reason == "learned:recurring-line" and r.text == "Daily Planet Weekend Edition" for r in a.removed)
