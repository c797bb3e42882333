"""The outlet network on the command line: `storyline outlets`, `outlet NAME`, `network`, `coverage ID`,
`groups load` / `groups blind-spots`, on the bundled example (TASS first, Tasnim rewrites it)."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from storyline.cli import app

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "examples" / "seeds"
runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("net") / "seeds.db"
    r = runner.invoke(app, ["ingest", str(SEEDS), "--db", str(path)])
    assert r.exit_code == 0, r.output
    return path


def _json(args: list[str]):
    r = runner.invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_outlets_lists_every_outlet_with_its_place_in_the_network(db):
    rows = {d["name"]: d for d in _json(["outlets", "--db", str(db)])}
    assert {"TASS", "Tasnim"} <= set(rows)
    assert rows["Tasnim"]["network"]["original_share"] == 0.0
    assert rows["TASS"]["network"]["original_share"] == 1.0 and rows["TASS"]["network"]["first"] == 1
    assert rows["TASS"]["network"]["top_copiers"] == [{"outlet": "Tasnim", "reuses": 1}]
    out = runner.invoke(app, ["outlets", "--db", str(db)]).output
    assert "Tasnim (1)" in out and "TASS (1)" in out


def test_outlet_shows_sources_and_copiers(db):
    tass = _json(["outlet", "tass", "--db", str(db)])  # case ignored
    assert tass["outlet"] == "TASS" and tass["sources"] == []
    (pair,) = tass["copiers"]
    assert pair["source"] == "TASS" and pair["copier"] == "Tasnim" and pair["rewrites"] == 1 and pair["share"] == 1.0
    tasnim = _json(["outlet", "Tasnim", "--db", str(db)])
    assert [p["source"] for p in tasnim["sources"]] == ["TASS"] and tasnim["copiers"] == []
    r = runner.invoke(app, ["outlet", "No Such Wire", "--db", str(db)])
    assert r.exit_code == 2 and "no outlet 'No Such Wire'" in r.output


def test_network_exports_json_csv_and_graphml(db, tmp_path):
    data = json.loads(runner.invoke(app, ["network", "--db", str(db)]).stdout)
    assert any(p["source"] == "TASS" and p["copier"] == "Tasnim" for p in data["pairs"])
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, ["network", "--format", "csv", "--db", str(db)]).stdout)))
    assert [(r["source"], r["copier"], r["rewrites"]) for r in rows] == [("TASS", "Tasnim", "1")]
    out = tmp_path / "net.graphml"
    r = runner.invoke(app, ["network", "--format", "graphml", "-o", str(out), "--db", str(db)])
    assert r.exit_code == 0 and "wrote" in r.output
    root = ET.parse(out).getroot()
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    nodes = {n.get("id") for n in root.iterfind(".//g:node", ns)}
    edges = [(e.get("source"), e.get("target")) for e in root.iterfind(".//g:edge", ns)]
    assert len(nodes) == 5 and len(edges) == 1
    assert runner.invoke(app, ["network", "--format", "xml", "--db", str(db)]).exit_code == 2


def test_coverage_names_the_first_report_and_the_chain(db):
    story = _json(["stories", "--db", str(db)])[0]["id"]
    cov = _json(["coverage", story[:8], "--db", str(db)])
    assert cov["first"]["outlet"] == "TASS" and cov["first_original"]["outlet"] == "TASS"
    (chain,) = cov["chains"]
    assert chain["original"]["outlet"] == "TASS" and [c["outlet"] for c in chain["copies"]] == ["Tasnim"]
    assert [j["outlet"] for j in cov["joined"]][0] == "TASS"
    text = runner.invoke(app, ["coverage", story, "--db", str(db)]).output
    assert "first report: TASS" in text and "undated" in text
    assert runner.invoke(app, ["coverage", "nosuchstory", "--db", str(db)]).exit_code == 2


def test_groups_and_blind_spots(db, tmp_path):
    csv_file = tmp_path / "groups.csv"
    csv_file.write_text("outlet,country\nTASS,RU\nTasnim,IR\nEIRNS,US\nThe Frontier Post,PK\nXinhua,CN\n")
    r = runner.invoke(app, ["groups", "load", str(csv_file), "--db", str(db)])
    assert r.exit_code == 0 and "loaded 5 outlets in 1 dimensions (country)" in r.output
    assert "not in the store (yet): Xinhua" in r.output
    (spot,) = _json(["groups", "blind-spots", "--db", str(db)])
    (dim,) = spot["dimensions"]
    assert dim["dimension"] == "country" and dim["missing"] == ["CN"]
    assert set(dim["covered"]) == {"RU", "IR", "US", "PK"}
    one = _json(["groups", "blind-spots", spot["story_id"], "--db", str(db)])
    assert one["analysed"] and one["claims"]  # the story's analysis: which countries carry each claim
    country = {"TASS": "RU", "Tasnim": "IR", "EIRNS": "US", "The Frontier Post": "PK"}
    for c in one["claims"]:  # exactly the countries of the outlets reporting it (an ungrouped outlet adds none)
        assert c["carried_by"]["country"] == sorted({country[o] for o in c["outlets"] if o in country})
    assert any(len(c["carried_by"]["country"]) >= 3 for c in one["claims"] if c["kind"] == "consensus")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,country\nTASS,RU\n")
    r = runner.invoke(app, ["groups", "load", str(bad), "--db", str(db)])
    assert r.exit_code == 2 and "no 'outlet' column" in r.output
