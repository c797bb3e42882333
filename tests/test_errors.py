"""Errors are not input problems: a broken installation or a bug stops the command (CLI exit 3, HTTP 500 JSON)
with a clear message, everything committed before is kept; only a document's own failures are rejections.
Plus the start-up self-check (`storyline doctor`) and settings that refuse unknown keys."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml.etree import ParserError
from typer.testing import CliRunner

from storyline.api import create_app, stored_analysis
from storyline.clean import Cleaner
from storyline.cli import app
from storyline.config import Config, ConfigError
from storyline.model import Article, RawDocument, Rejection
from storyline.pipeline import Pipeline
from storyline.store import open_store

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "examples" / "seeds"
AEB = ROOT.parent / "shared" / "data" / "aeb" / "html"

# Runs a `storyline` command in a fresh interpreter where lxml's HTML cleaner is missing, as on a fresh install
# of trafilatura 2.x with lxml >= 5.2 and without lxml_html_clean.
_NO_HTML_CLEAN = (
    "import sys; sys.modules['lxml_html_clean'] = None; sys.modules.pop('lxml.html.clean', None); "
    "from storyline.cli import main; sys.argv = ['storyline'] + sys.argv[1:]; main()"
)


def _texts(n: int) -> list[str]:
    out = []
    for i in range(n):
        out.append(
            f"HARBOUR TOWN, March {i + 1}. The harbour authority number {i} voted on Tuesday to dredge the "
            f"channel and rebuild pier {i}, the chairman said after a long meeting with fishermen.\n\n"
            f"Work on pier {i} starts in April and will take {i + 2} months, according to the plan."
        )
    return out


def _run(args: list[str], *, broken_html: bool = False, env: dict | None = None) -> subprocess.CompletedProcess:
    cmd = (
        [sys.executable, "-c", _NO_HTML_CLEAN, *args] if broken_html else [sys.executable, "-m", "storyline.cli", *args]
    )
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}, cwd=ROOT)


def _count(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return con.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        con.close()


# --------------------------------------------------------------------------- the cleaner: what is a rejection


def test_only_document_failures_are_rejections(monkeypatch):
    cleaner = Cleaner()
    doc = RawDocument(source="page.html", html="<html><body><p>x</p></body></html>")

    def unparsable(self, raw):
        raise ParserError("Document is empty")

    monkeypatch.setattr(Cleaner, "_from_html", unparsable)
    out = cleaner.transform(doc)
    assert isinstance(out, Rejection) and out.source == "page.html" and out.reason.startswith("unparsable markup")

    def missing_dependency(self, raw):
        raise ImportError("lxml.html.clean module is now a separate project lxml_html_clean")

    monkeypatch.setattr(Cleaner, "_from_html", missing_dependency)
    with pytest.raises(ImportError, match="lxml_html_clean"):
        cleaner.transform(doc)

    def bug(self, raw):
        raise KeyError("oops")

    monkeypatch.setattr(Cleaner, "_from_text", bug)
    with pytest.raises(KeyError):
        cleaner.transform(RawDocument(source="a.txt", text="some text"))


def test_hostile_nesting_is_rejected_not_raised():
    deep = "<html><body>" + "<div>" * 100_000 + "<p>" + "word " * 50 + "</p>" + "</div>" * 100_000 + "</body></html>"
    out = Cleaner().transform(RawDocument(source="deep.html", html=deep))
    assert isinstance(out, (Article, Rejection))  # lxml caps the depth; whichever way, a verdict on this page
    if isinstance(out, Rejection):
        assert out.source == "deep.html"


# --------------------------------------------------------------------------- the pipeline keeps what it committed


def test_unexpected_error_stops_ingest_and_keeps_committed_chunks(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    texts = _texts(7)
    real = Cleaner.transform

    def failing_on_sixth(self, raw):
        if raw.source == "doc5":
            raise RuntimeError("a bug in a stage")
        return real(self, raw)

    monkeypatch.setattr(Cleaner, "transform", failing_on_sixth)
    with open_store(db) as store:
        pipe = Pipeline(store, chunk_size=2, workers=1, reuse=False, cluster=False)
        with pytest.raises(RuntimeError, match="a bug in a stage"):
            pipe.ingest(RawDocument(source=f"doc{i}", text=t) for i, t in enumerate(texts))
        # chunk k+1 is cleaned while chunk k waits to be stored: the failure in chunk 2 (docs 4-5) came before
        # chunk 1 (docs 2-3) was committed, so chunk 0 is what had been stored; nothing half-written
        assert store.count_articles() == 2
    assert _count(db) == 2
    monkeypatch.setattr(Cleaner, "transform", real)
    with open_store(db) as store:  # the store is usable and takes the rest
        report = Pipeline(store, workers=1, reuse=False, cluster=False).ingest(
            RawDocument(source=f"doc{i}", text=t) for i, t in enumerate(texts)
        )
        assert len(report.stored) == 5 and len(report.duplicates) == 2 and store.count_articles() == 7


def test_cli_exits_3_with_a_clear_message_and_keeps_the_store(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    runner = CliRunner()
    first = tmp_path / "first"
    first.mkdir()
    for i, t in enumerate(_texts(3)):
        (first / f"a{i}.txt").write_text(t)
    r = runner.invoke(app, ["ingest", str(first), "--db", str(db), "--no-stories"])
    assert r.exit_code == 0, r.output
    second = tmp_path / "second"
    second.mkdir()
    (second / "b.txt").write_text(_texts(5)[4])

    def boom(self, raw):
        raise MemoryError("cannot allocate")

    monkeypatch.setattr(Cleaner, "_from_text", boom)
    r = runner.invoke(app, ["ingest", str(second), "--db", str(db), "--no-stories"])
    assert r.exit_code == 3
    assert "internal error (not a problem of the input)" in r.output and "MemoryError: cannot allocate" in r.output
    assert "0 articles of this run were committed" in r.output and "3 stored in all" in r.output
    assert "Traceback" not in r.output and "rejected" not in r.output
    assert _count(db) == 3


@pytest.mark.slow
def test_fresh_install_without_html_clean_stops_with_the_fix(tmp_path):
    """The bug a newcomer met: every HTML page 'rejected' for an ImportError. Now the command stops, names
    the missing dependency and how to install it, and the store keeps what it had."""
    db = tmp_path / "s.db"
    r = _run(["ingest", str(SEEDS), "--db", str(db), "--no-stories"])
    assert r.returncode == 0, r.stderr
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>T</title></head><body><article><p>" + _texts(1)[0] + "</p></article></body></html>"
    )
    r = _run(["ingest", str(page), "--db", str(db), "--no-stories"], broken_html=True)
    assert r.returncode == 3, r.stderr
    assert "HTML path does not work" in r.stderr and "pip install lxml_html_clean" in r.stderr
    assert "rejected" not in r.stderr and "Traceback" not in r.stderr
    assert _count(db) == 5
    r = _run(["doctor", "--db", str(tmp_path / "none.db")], broken_html=True)
    assert r.returncode == 1 and "FAIL html" in r.stderr and "pip install lxml_html_clean" in r.stderr
    assert not (tmp_path / "none.db").exists()  # the self-check writes nothing


@pytest.mark.slow
def test_doctor_passes_on_this_installation(tmp_path):
    r = _run(["doctor", "--json", "--db", str(tmp_path / "x.db")])
    assert r.returncode == 0, r.stderr
    checks = json.loads(r.stdout)
    assert [c["name"] for c in checks] == ["html", "dates", "spacy", "embeddings"]
    assert all(c["ok"] and c["fix"] is None for c in checks)


@pytest.mark.skipif(not AEB.is_dir(), reason="needs ../shared/data/aeb")
def test_real_html_pages_are_not_rejected_for_the_codes_sake(tmp_path):
    pages = sorted(AEB.glob("*.html"))[:12]
    with open_store(tmp_path / "aeb.db") as store:
        report = Pipeline(store, workers=1, reuse=False, cluster=False).ingest(
            RawDocument(source=str(p), html=p.read_text(encoding="utf-8")) for p in pages
        )
    assert len(report.stored) + len(report.duplicates) + len(report.rejected) == len(pages)
    for r in report.rejected:  # only the page's own verdicts
        assert r.reason.startswith(("no article text", "too short", "unparsable markup")), r.reason
    assert len(report.stored) >= len(pages) - 1


# --------------------------------------------------------------------------- the server


def test_server_answers_500_json_and_keeps_the_store(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    with open_store(db) as store:
        Pipeline(store, workers=1, reuse=False, cluster=False).ingest(
            RawDocument(source=f"d{i}", text=t) for i, t in enumerate(_texts(2))
        )
    c = TestClient(create_app(db, analysis=stored_analysis), raise_server_exceptions=False)

    def missing(self, raw):
        raise ImportError("lxml.html.clean module is now a separate project lxml_html_clean")

    monkeypatch.setattr(Cleaner, "_from_html", missing)
    r = c.post("/articles", json={"html": "<html><body><article><p>" + _texts(3)[2] + "</p></article></body></html>"})
    assert r.status_code == 500
    assert r.json() == {"error": "internal", "message": "internal server error"}
    assert "Traceback" not in r.text and "lxml" not in r.text
    assert c.get("/articles").status_code == 200 and _count(db) == 2


# --------------------------------------------------------------------------- settings that say no


def test_unknown_setting_is_refused_with_its_name():
    with pytest.raises(ConfigError, match=r"unknown setting reuse\.lsh_treshold \(did you mean 'lsh_threshold'\?\)"):
        Config.from_dict({"reuse": {"lsh_treshold": 0.5}})
    with pytest.raises(ConfigError, match=r"unknown settings section 'clusters' \(did you mean 'cluster'\?\)"):
        Config.from_dict({"clusters": {}})
    with pytest.raises(ConfigError, match="must be an object"):
        Config.from_dict({"reuse": 3})
    cfg = Config.from_dict({"reuse": {"lsh_threshold": 0.5}, "ingest": {"extensions": [".txt"]}})
    assert cfg.reuse.lsh_threshold == 0.5 and cfg.ingest.extensions == (".txt",)
    assert Config.from_json(Config().to_json()) == Config()


def test_a_store_with_a_misspelt_setting_is_an_error_naming_it(tmp_path):
    db = tmp_path / "s.db"
    with open_store(db) as store:
        store.save_config(Config())
    con = sqlite3.connect(db)
    ((key, value),) = con.execute("SELECT key, value FROM meta WHERE key LIKE '%config%'").fetchall()
    data = json.loads(value)
    data["cluster"]["story_treshold"] = 0.4
    con.execute("UPDATE meta SET value = ? WHERE key = ?", (json.dumps(data), key))
    con.commit()
    con.close()
    r = _run(["ingest", str(SEEDS), "--db", str(db), "--no-stories"])
    assert r.returncode == 2 and "unknown setting cluster.story_treshold" in r.stderr and "Traceback" not in r.stderr
    assert _count(db) == 0
