"""The outlet network over HTTP (GET /outlets, /outlets/{name}, /stories/{id}/coverage), on the corpus with known
copying of tests/outlet_corpus.py run through the real pipeline: every number is checked against what the corpus
was built with (outlets, times, who copies whom), not against the outlet graph's own output."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

import numpy as np
import outlet_corpus as oc
import pytest
from _serve_data import copy_store
from fastapi.testclient import TestClient

from storyline.api import create_app, stored_analysis
from storyline.config import Config
from storyline.model import Article, ReuseEdge
from storyline.pipeline import Pipeline
from storyline.store import SQLiteStore


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    built = oc.build()
    db = tmp_path_factory.mktemp("api-outlets") / "corpus.db"
    store = SQLiteStore(db)
    try:
        report = Pipeline(store, Config(), workers=1).ingest(built.docs)
        assert not report.rejected and not report.duplicates
        by_source = {a.source: a.id for a in store.iter_articles()}
        stories = []
        for s in built.stories:
            (sid,) = {store.story_of(by_source[f"{s['name']}/{r}"]) for r in "OBEGD"}
            stories.append(sid)
    finally:
        store.close()
    return db, built, by_source, stories


@pytest.fixture(scope="module")
def client(corpus):
    with TestClient(create_app(corpus[0], analysis=stored_analysis)) as c:
        yield c


def _outlets(built) -> dict[str, int]:
    """Outlet -> articles, as built."""
    out: dict[str, int] = {}
    for s in built.stories:
        for outlet, _, _ in s["articles"].values():
            out[outlet] = out.get(outlet, 0) + 1
    for r in built.rewrites:
        for outlet, _ in (r["original"], r["rewrite"]):
            out[outlet] = out.get(outlet, 0) + 1
    return out


def _joins(story: dict) -> list[tuple[str, float]]:
    arts = story["articles"]
    order = sorted(arts, key=lambda r: (arts[r][1], "OBEGD".index(r)))
    first = arts[order[0]][1]
    return [(arts[r][0], (arts[r][1] - first).total_seconds() / 3600) for r in order]


def test_outlets_lists_every_outlet_with_its_network_columns(client, corpus):
    _, built, _, _ = corpus
    n = len(built.stories)
    want = _outlets(built)
    d = client.get("/outlets", params={"limit": 200}).json()
    assert d["total_outlets"] == len(want) and d["next_offset"] is None
    rows = {r["outlet"]: r for r in d["items"]}
    assert {k: r["articles"] for k, r in rows.items()} == want
    assert [r["articles"] for r in d["items"]] == sorted(want.values(), reverse=True)  # most articles first
    assert {
        k: rows[k]["original_share"]
        for k in ("Alpha Wire", "Beta Times", "Epsilon Herald", "Gamma Post", "Delta Daily")
    } == {"Alpha Wire": 1.0, "Beta Times": 0.0, "Epsilon Herald": 0.0, "Gamma Post": 1.0, "Delta Daily": 1.0}
    assert rows["Alpha Wire"]["top_copiers"] == [
        {"outlet": "Beta Times", "reuses": n},
        {"outlet": "Gamma Post", "reuses": n},
    ]
    assert rows["Epsilon Herald"]["top_sources"] == [{"outlet": "Beta Times", "reuses": n}]
    assert rows["Delta Daily"]["first"] == 1 and rows["Alpha Wire"]["first"] == n - 1  # Delta is first in story 0
    for outlet in ("Alpha Wire", "Beta Times", "Gamma Post", "Delta Daily"):
        delays = [dict(_joins(s))[outlet] for s in built.stories]
        assert rows[outlet]["delay_hours_median"] == pytest.approx(np.median(delays))
    assert rows["Beta Times"]["links"] == {"self": "/outlets/Beta%20Times", "page": "/outlet/Beta%20Times"}
    if built.rewrites:
        assert rows["Zeta Review"]["original"] == 0 and rows["Eta Agency"]["first"] == len(built.rewrites)


def test_outlets_paging_sorting_and_caps(client, corpus):
    total = len(_outlets(corpus[1]))
    got, offset = [], 0
    while offset is not None:
        page = client.get("/outlets", params={"limit": 2, "offset": offset}).json()
        assert len(page["items"]) <= 2
        got += [r["outlet"] for r in page["items"]]
        offset = page["next_offset"]
    assert len(got) == total == len(set(got))
    by_name = [r["outlet"] for r in client.get("/outlets", params={"sort": "name"}).json()["items"]]
    assert by_name == sorted(got, key=str.casefold)
    first = client.get("/outlets", params={"sort": "first", "limit": 1}).json()["items"][0]
    assert first["outlet"] == "Alpha Wire"  # first in most stories
    for params in ({"limit": 201}, {"limit": 0}, {"offset": -1}, {"sort": "popularity"}):
        r = client.get("/outlets", params=params)
        assert r.status_code == 422 and r.json()["error"] == "invalid", params


def test_one_outlet_its_sources_and_copiers(client, corpus):
    _, built, _, _ = corpus
    n = len(built.stories)
    alpha = client.get("/outlets/" + quote("alpha  WIRE")).json()  # case and spacing ignored
    assert alpha["outlet"] == "Alpha Wire" and alpha["sources"] == [] and alpha["total_copiers"] == 2
    by = {p["copier"]: p for p in alpha["copiers"]}
    beta = by["Beta Times"]
    assert (beta["near"], beta["exact"], beta["rewrites"], beta["partial"], beta["share"]) == (n, 0, 0, 0, 1.0)
    assert beta["lag_count"] == n
    assert beta["lag_hours_median"] == pytest.approx(np.percentile(oc.LAG_B[:n], 50))
    assert beta["lag_hours_p90"] == pytest.approx(np.percentile(oc.LAG_B[:n], 90))
    assert beta["cited"] == len(oc.CITED & set(range(n))) and 0 < beta["added"] < 0.2
    assert beta["cited_share"] == pytest.approx(beta["cited"] / n, abs=1e-4)
    gamma = by["Gamma Post"]
    assert (gamma["partial"], gamma["share"], gamma["partial_share"], gamma["lag_hours_p90"]) == (n, 0.0, 1.0, 5.0)
    assert [p["copier"] for p in client.get("/outlets/Alpha%20Wire", params={"top": 1}).json()["copiers"]] == [
        "Beta Times"
    ]
    epsilon = client.get("/outlets/Epsilon%20Herald").json()
    (src,) = epsilon["sources"]
    assert (src["source"], src["exact"], src["lag_hours_median"], src["source_kept"], src["added"]) == (
        "Beta Times",
        n,
        1.0,
        1.0,
        0.0,
    )
    assert src["links"]["page"] == "/outlet/Beta%20Times" and epsilon["copiers"] == []
    if built.rewrites:
        zeta = client.get("/outlets/Zeta%20Review").json()
        (rw,) = zeta["sources"]
        assert rw["source"] == "Eta Agency" and rw["rewrites"] == len(built.rewrites)
        assert rw["lag_hours_median"] == pytest.approx(np.median(oc.REWRITE_LAGS))


def test_unknown_outlet_and_caps(client):
    r = client.get("/outlets/No%20Such%20Wire")
    assert r.status_code == 404 and r.json() == {"error": "not_found", "message": "no outlet 'No Such Wire'"}
    assert client.get("/outlets/" + "x" * 301).status_code == 404
    for top in (0, 501):
        assert client.get("/outlets/Alpha%20Wire", params={"top": top}).status_code == 422


def test_story_coverage_first_report_chains_join_order_per_day(client, corpus):
    _, built, by_source, stories = corpus
    for k, (s, sid) in enumerate(zip(built.stories, stories, strict=True)):
        d = client.get(f"/stories/{sid[:10]}/coverage").json()  # a unique prefix is enough
        assert d["story_id"] == sid
        first = "Delta Daily" if k == 0 else "Alpha Wire"
        assert d["first"]["outlet"] == first and d["first_original"]["outlet"] == first
        o, b, e = (by_source[f"{s['name']}/{r}"] for r in "OBE")
        (chain,) = d["chains"]
        assert chain["original"]["id"] == o and [c["id"] for c in chain["copies"]] == [b, e]
        assert d["original_of"] == {b: o, e: o}
        assert [(j["outlet"], j["delay_hours"]) for j in d["joined"]] == _joins(s)
        day = s["articles"]["O"][1].date().isoformat()
        assert d["per_day"] == {outlet: {day: 1} for outlet, _ in _joins(s)} and d["days"] == [day]
        assert d["outlets"]["Beta Times"] == {"self": "/outlets/Beta%20Times", "page": "/outlet/Beta%20Times"}
    r = client.get("/stories/stnope/coverage")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert client.get("/stories/" + "s" * 65 + "/coverage").status_code == 404


def test_openapi_documents_the_outlet_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/outlets", "/outlets/{name}", "/stories/{story_id}/coverage"):
        assert "get" in paths[p] and paths[p]["get"]["summary"], p
        assert "$ref" in str(paths[p]["get"]["responses"]["200"]["content"]["application/json"]["schema"]), p
    limit = next(q for q in paths["/outlets"]["get"]["parameters"] if q["name"] == "limit")
    assert limit["schema"]["maximum"] == 200
    assert "/network" not in paths and "/outlet/{name}" not in paths  # pages are not API


def test_answers_follow_new_articles(corpus, tmp_path):
    """Kept per store revision: a new article (through POST) shows in the next answers."""
    db = copy_store(corpus[0], tmp_path / "copy.db")
    with TestClient(create_app(db, analysis=stored_analysis)) as c:
        before = c.get("/outlets").json()["total_outlets"]
        assert c.get("/outlets/Omega%20Tribune").status_code == 404
        text = (
            "The river authority opened a new flood barrier on Tuesday after four years of building work, "
            "officials said, and the old embankment will be turned into a park."
        )
        r = c.post("/articles", json={"text": text, "outlet": "Omega Tribune", "date": "2004-05-01"})
        assert r.status_code == 201
        assert c.get("/outlets").json()["total_outlets"] == before + 1
        omega = c.get("/outlets/omega%20tribune").json()
        assert omega["outlet"] == "Omega Tribune" and omega["articles"] == 1 and omega["original_share"] == 1.0


def test_outlet_names_with_any_characters(tmp_path):
    """Names are data: one with a slash, markup or quotes is found by its URL-encoded name and linked so."""
    db = tmp_path / "names.db"
    names = ["<script>alert(1)</script>", "A/B Wire", "Quote \"&' News"]
    t = datetime(2024, 5, 1, 12, 0)
    store = SQLiteStore(db)
    with store.transaction():
        for i, name in enumerate(names):
            store.put_article(
                Article(
                    id=f"a{i}",
                    source=f"a{i}",
                    paragraphs=[f"Body {i} of the report."],
                    outlet=name,
                    published=t + timedelta(hours=i),
                    date_precision="minute",
                )
            )
        store.put_edges([ReuseEdge("a0", "a1", "near-duplicate", 0.9, 1.0, 1.0, "date", 0.9)])
    store.close()
    with TestClient(create_app(db, analysis=stored_analysis)) as c:
        rows = {r["outlet"]: r for r in c.get("/outlets").json()["items"]}
        assert set(rows) == set(names)
        for name in names:
            link = rows[name]["links"]["self"]
            assert link == "/outlets/" + quote(name, safe="")
            got = c.get(link).json()
            assert got["outlet"] == name
        (pair,) = c.get(rows["A/B Wire"]["links"]["self"]).json()["sources"]
        assert pair["source"] == names[0] and pair["near"] == 1 and pair["lag_hours_median"] == 1.0


def test_network_layout_sizes_discs_by_articles_and_arrows_by_reuses(corpus):
    """The /network drawing's layout (a pure function of the graph): a disc per outlet, area by articles, an
    arrow per pair from source to copier, wider for more reuses; the same graph gives the same picture."""
    from storyline.outlets import outlet_graph
    from storyline.web.outlets import layout_network

    _, built, _, _ = corpus
    store = SQLiteStore(corpus[0])
    try:
        graph = outlet_graph(store)
    finally:
        store.close()
    net = layout_network(graph)
    assert net == layout_network(graph)
    nodes = {n["name"]: n for n in net["nodes"]}
    assert set(nodes) == set(_outlets(built)) and net["hidden"] == 0
    assert {(e["source"], e["copier"]) for e in net["edges"]} == set(graph.pairs)
    if built.rewrites:  # 4 articles against 2: sqrt-scaled discs
        assert nodes["Alpha Wire"]["r"] > nodes["Eta Agency"]["r"]
        by = {(e["source"], e["copier"]): e for e in net["edges"]}
        assert by[("Alpha Wire", "Beta Times")]["width"] > by[("Eta Agency", "Zeta Review")]["width"]
    for e in net["edges"]:  # the path starts at the source's disc and ends at the copier's
        s, t = nodes[e["source"]], nodes[e["copier"]]
        start = [float(v) for v in e["d"][1:].split(" ")[0].split(",")]
        end = [float(v) for v in e["d"].split(" ")[-1].split(",")]
        assert abs(((start[0] - s["x"]) ** 2 + (start[1] - s["y"]) ** 2) ** 0.5 - s["r"] - 1) < 0.5
        assert abs(((end[0] - t["x"]) ** 2 + (end[1] - t["y"]) ** 2) ** 0.5 - t["r"] - 2) < 0.5
    small = layout_network(graph, max_nodes=3, max_edges=1)
    assert len(small["nodes"]) == 3 and small["hidden"] == len(nodes) - 3 and len(small["edges"]) <= 1
