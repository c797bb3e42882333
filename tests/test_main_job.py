"""The README's first command: `storyline run examples/seeds` shows articles, copies, the story and its analysis."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from storyline.cli import app


def test_run_on_the_bundled_example_then_story_json(seeds_dir, db_path):
    runner = CliRunner()
    res = runner.invoke(app, ["run", str(seeds_dir), "--db", str(db_path), "--json"])
    assert res.exit_code == 0, res.output
    found = json.loads(res.stdout)
    assert len(found["articles"]) == 5
    rewrites = [c for c in found["copies"] if c["relation"] == "rewrite"]
    assert len(rewrites) == 1
    assert len(found["stories"]) == 1
    story_id = found["stories"][0]["id"]

    res = runner.invoke(app, ["story", story_id[:8], "--db", str(db_path), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["id"] == story_id and len(data["events"]) == 3
    analysis = data["analysis"]
    assert analysis["summary"] and all(s["citations"] for s in analysis["summary"])
    assert {t["date"] for t in analysis["timeline"]} >= {"2021-12-17", "2022-01-26", "2022-02-02"}
    assert analysis["quotes"] and analysis["claims"]

    # the human-readable form prints every section
    res = runner.invoke(app, ["story", story_id, "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    for section in ("Summary", "Timeline", "Quotes by speaker", "Agreement and difference"):
        assert section in res.output

    res = runner.invoke(app, ["story", "nosuchstory", "--db", str(db_path)])
    assert res.exit_code == 2
