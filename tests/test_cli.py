"""The foundation's CLI commands: ingest, articles, show, export (and --help everywhere)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyline.cli import app

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "examples" / "seeds"

runner = CliRunner()


def _run(*args: str, input: str | bytes | None = None):
    return runner.invoke(app, [str(a) for a in args], input=input)


@pytest.fixture()
def seeded(tmp_path) -> Path:
    db = tmp_path / "s.db"
    r = _run("ingest", SEEDS, "--db", db, "--no-stories")
    assert r.exit_code == 0, r.output
    return db


@pytest.mark.parametrize("cmd", ["ingest", "articles", "show", "export", "run"])
def test_help_everywhere(cmd):
    r = _run(cmd, "--help")
    assert r.exit_code == 0 and "--db" in r.output


def test_ingest_summary_then_duplicates_on_second_run(tmp_path):
    db = tmp_path / "s.db"
    r = _run("ingest", SEEDS, "--db", db, "--no-stories")
    assert r.exit_code == 0
    assert "read 5" in r.stderr and "stored 5" in r.stderr and "duplicates 0" in r.stderr and "rejected 0" in r.stderr
    again = _run("ingest", SEEDS, "--db", db, "--no-stories")
    assert again.exit_code == 0
    assert "stored 0" in again.stderr and "duplicates 5" in again.stderr
    assert again.stderr.count("already stored as") == 5


def test_ingest_json_report(tmp_path):
    r = _run("ingest", SEEDS, "--db", tmp_path / "s.db", "--no-stories", "--json")
    data = json.loads(r.stdout)
    assert data["read"] == 5 and len(data["stored"]) == 5 and data["rejected"] == [] and data["duplicates"] == []


def test_ingest_exit_code_1_on_rejection_and_the_rest_goes_in(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for p in SEEDS.glob("*.txt"):
        (folder / p.name).write_bytes(p.read_bytes())
    (folder / "[bold]empty.txt").write_bytes(b"")
    (folder / "feed.jsonl").write_text('{"text": "oops\n', encoding="utf-8")
    db = tmp_path / "s.db"
    r = _run("ingest", folder, tmp_path / "missing.txt", "--db", db, "--no-stories")
    assert r.exit_code == 1
    assert "stored 5" in r.stderr and "rejected 3" in r.stderr
    assert "[bold]empty.txt: empty file" in r.stderr and "feed.jsonl:1" in r.stderr and "missing.txt" in r.stderr


def test_ingest_from_stdin(tmp_path):
    text = (SEEDS / "001_90ead76556b94571.txt").read_text(encoding="utf-8")
    db = tmp_path / "s.db"
    r = _run("ingest", "-", "--db", db, "--no-stories", "--json", input=text.encode("utf-8"))
    assert r.exit_code == 0, r.output
    (stored,) = json.loads(r.stdout)["stored"]
    assert stored["source"] == "<stdin>"


def test_db_that_is_a_folder_is_a_clear_error(tmp_path):
    r = _run("articles", "--db", tmp_path)
    assert r.exit_code == 2 and "folder" in r.stderr


def test_articles_table_and_json(seeded):
    r = _run("articles", "--db", seeded)
    assert r.exit_code == 0 and "5 stored" in r.stdout
    rows = json.loads(_run("articles", "--db", seeded, "--json").stdout)
    assert len(rows) == 5
    by_outlet = {row["outlet"]: row for row in rows}
    assert by_outlet["TASS"]["published"] == "2022-01-22T00:00:00" and by_outlet["TASS"]["date_precision"] == "day"
    assert by_outlet["The Frontier Post"]["author"] == "Ivan Zhukovsky"
    assert len(json.loads(_run("articles", "--db", seeded, "--json", "--limit", "2").stdout)) == 2
    assert [
        row["outlet"] for row in json.loads(_run("articles", "--db", seeded, "--json", "--outlet", "EIRNS").stdout)
    ] == ["EIRNS"]


def test_show_json_with_removed_lines_and_by_prefix(seeded):
    rows = json.loads(_run("articles", "--db", seeded, "--json").stdout)
    unnamed = next(row for row in rows if row["source"].endswith("004_73428c9fd92591ec.txt"))
    r = _run("show", unnamed["id"][:8], "--db", seeded, "--json")
    assert r.exit_code == 0
    art = json.loads(r.stdout)
    assert (
        art["id"] == unnamed["id"] and art["published"] == "2022-02-02T13:29:00" and art["date_precision"] == "minute"
    )
    removed = {x["text"]: x["reason"] for x in art["removed"]}
    assert removed["fbpx"].startswith("rule:") and removed["Photo Reuters"].startswith("rule:")
    assert any(reason == "after:spelling-notice" for reason in removed.values())
    assert "fbpx" not in " ".join(art["paragraphs"])
    human = _run("show", unnamed["id"], "--db", seeded)
    assert human.exit_code == 0 and "removed as boilerplate" in human.stdout and "Photo Reuters" in human.stdout
    missing = _run("show", "ffffffffffff", "--db", seeded)
    assert missing.exit_code == 2 and "no article" in missing.stderr


def test_export_jsonl_stdout_and_file(seeded, tmp_path):
    r = _run("export", "--db", seeded)
    assert r.exit_code == 0
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(rows) == 5 and all(row["text"] and row["paragraphs"] and "removed" in row for row in rows)
    out = tmp_path / "a.jsonl"
    assert _run("export", "--db", seeded, "--output", out).exit_code == 0
    assert [json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines()] == [row["id"] for row in rows]


def test_export_parquet(seeded, tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "a.parquet"
    r = _run("export", "--db", seeded, "--format", "parquet", "--output", out)
    assert r.exit_code == 0, r.output
    table = pq.read_table(out)
    assert table.num_rows == 5
    cols = set(table.column_names)
    assert {"id", "title", "outlet", "published", "paragraphs", "removed", "text"} <= cols
    rows = table.to_pylist()
    assert all(isinstance(row["paragraphs"], list) and row["paragraphs"] for row in rows)
    assert any("fbpx" in row["removed"] for row in rows)
    assert _run("export", "--db", seeded, "--format", "parquet").exit_code == 2  # needs --output
    assert _run("export", "--db", seeded, "--format", "xml").exit_code == 2
