"""HTTP API and web pages (FastAPI TestClient), plus one real `storyline serve` on loopback."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from _serve_data import HOSTILE, SEEDS, build_seed_store, copy_store
from fastapi.testclient import TestClient

from storyline.api import create_app, default_analysis, stored_analysis
from storyline.model import Story
from storyline.pipeline import Pipeline
from storyline.store import open_store
from storyline.text import article_sentences

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    db = tmp_path_factory.mktemp("api") / "seeds.db"
    ids = build_seed_store(db)
    return db, ids


@pytest.fixture()
def fresh(tmp_path, seeded):
    """A private copy of the seeded store (for tests that write)."""
    return copy_store(seeded[0], tmp_path / "copy.db"), seeded[1]


@pytest.fixture(scope="module")
def client(seeded):
    app = create_app(seeded[0], analysis=stored_analysis)
    with TestClient(app) as c:
        yield c


def small_client(db, **kw) -> TestClient:
    return TestClient(create_app(db, analysis=stored_analysis, **kw), raise_server_exceptions=False)


# --------------------------------------------------------------------------- schema, headers


def test_openapi_lists_every_endpoint(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for p in ("/articles", "/articles/{article_id}", "/stories", "/stories/{story_id}", "/search"):
        assert p in paths, p
    assert "post" in paths["/articles"]
    body = paths["/articles"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert any(alt.get("type") == "array" for alt in body["anyOf"])
    assert "/" not in paths and "/story/{story_id}" not in paths  # pages are not API


def test_security_headers_on_pages_and_api(client, seeded):
    for path in ("/", f"/story/{seeded[1]['story_id']}", "/stories"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"


# --------------------------------------------------------------------------- reads


def test_list_stories(client, seeded):
    ids = seeded[1]
    r = client.get("/stories")
    assert r.status_code == 200
    data = r.json()
    assert data["total_stories"] == 1 and data["next_offset"] is None
    (s,) = data["items"]
    assert s["id"] == ids["story_id"] and s["article_count"] == 5 and s["event_count"] == 3
    assert set(s["outlets"]) == {"TASS", "Tasnim", "The Frontier Post", "EIRNS"}
    assert s["first_date"].startswith("2022-01-22") and s["last_date"].startswith("2022-02-02")


def test_story_detail(client, seeded):
    ids = seeded[1]
    r = client.get(f"/stories/{ids['story_id']}")
    assert r.status_code == 200
    d = r.json()
    assert {a["id"] for a in d["articles"]} == set(ids["articles"].values())
    assert [len(e["article_ids"]) for e in d["events"]] == [3, 1, 1]
    assert d["analysis_available"] is True
    aid, idx, text = ids["summary_cite"]
    first = d["summary"][0]
    assert {k: first["citations"][0][k] for k in ("article_id", "sentence_index", "outlet", "text")} == {
        "article_id": aid,
        "sentence_index": idx,
        "outlet": "TASS",
        "text": text,
    }
    assert [t["date"] for t in d["timeline"]] == ["2022-01-21", "2022-01-26", "2022-02-02"]
    assert {q["speaker"] for q in d["quotes"]} == {"Sergey Lavrov", "Jen Psaki"}
    assert [c["kind"] for c in d["claims"]] == ["consensus", "partial", "unique", "unique"]
    g = d["graph"]
    assert len(g["nodes"]) == 5
    assert {(e["source_id"], e["target_id"], e["relation"]) for e in g["edges"]} == {
        (ids["tass"], ids["tasnim"], "rewrite"),
        (ids["tass"], ids["frontier"], "partial-reuse"),
    }
    # a prefix of the id works too
    assert client.get(f"/stories/{ids['story_id'][:8]}").json()["id"] == ids["story_id"]


def test_get_article(client, seeded):
    ids = seeded[1]
    d = client.get(f"/articles/{ids['tasnim']}").json()
    assert d["id"] == ids["tasnim"] and d["outlet"] == "Tasnim" and d["story_id"] == ids["story_id"]
    assert d["removed"] and all("reason" in r for r in d["removed"])
    assert d["sentences"][0]["index"] == 0 and d["text"].startswith(d["sentences"][0]["text"][:20])
    (edge,) = d["copies_of"]
    assert edge["source_id"] == ids["tass"] and edge["relation"] == "rewrite" and edge["passages"]
    assert client.get(f"/articles/{ids['tass']}").json()["copied_by"]


def test_list_articles_paging(client, seeded):
    page1 = client.get("/articles", params={"limit": 2}).json()
    page2 = client.get("/articles", params={"limit": 2, "offset": page1["next_offset"]}).json()
    page3 = client.get("/articles", params={"limit": 2, "offset": page2["next_offset"]}).json()
    got = [a["id"] for p in (page1, page2, page3) for a in p["items"]]
    assert len(got) == 5 == len(set(got)) and page3["next_offset"] is None
    only = client.get("/articles", params={"outlet": "EIRNS"}).json()["items"]
    assert [a["id"] for a in only] == [seeded[1]["eirns"]]


def test_search(client, seeded):
    d = client.get("/search", params={"q": "Tomahawk"}).json()
    assert [a["id"] for a in d["articles"]] == [seeded[1]["unnamed"]]
    assert "Tomahawk" in d["articles"][0]["snippet"]
    assert [s["id"] for s in d["stories"]] == [seeded[1]["story_id"]]
    assert client.get("/search", params={"q": "zzqxnotthere"}).json() == {
        "q": "zzqxnotthere",
        "articles": [],
        "stories": [],
    }
    assert client.get("/search").status_code == 422
    # LIKE wildcards are literal
    assert client.get("/search", params={"q": "%"}).json()["articles"] == []


def test_unknown_ids_404_json(client):
    for path in ("/stories/doesnotexist", "/articles/doesnotexist", "/articles/" + "f" * 16, "/nope"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("application/json")
        assert r.json()["error"] == "not_found" and r.json()["message"]
    for path in ("/story/doesnotexist", "/article/doesnotexist"):
        r = client.get(path)
        assert r.status_code == 404 and "text/html" in r.headers["content-type"]


def test_bad_query_params_422(client):
    for params in ({"limit": 0}, {"limit": 100000}, {"offset": -1}, {"date_from": "yesterday"}):
        r = client.get("/stories", params=params)
        assert r.status_code == 422, params
        assert r.json()["error"] == "invalid" and "Traceback" not in r.text


# --------------------------------------------------------------------------- paging and filters


def test_stories_paging_and_filters(tmp_path):
    db = tmp_path / "paging.db"
    with open_store(db) as store:
        Pipeline(store, reuse=False, cluster=False).ingest_paths([str(SEEDS)])
        arts = list(store.iter_articles())
        for a in arts:  # one story per article
            store.save_story(
                Story(
                    f"s-{a.id}",
                    [a.id],
                    title=a.title,
                    outlets=[a.outlet] if a.outlet else [],
                    first_date=a.published,
                    last_date=a.published,
                )
            )
    c = small_client(db)
    newest_first = [f"s-{a.id}" for a in sorted(arts, key=lambda a: -a.seq)]
    seen, offset = [], 0
    while offset is not None:
        page = c.get("/stories", params={"limit": 2, "offset": offset}).json()
        assert len(page["items"]) <= 2
        seen += [s["id"] for s in page["items"]]
        offset = page["next_offset"]
    assert seen == newest_first
    by_outlet = c.get("/stories", params={"outlet": "EIRNS"}).json()["items"]
    assert [s["outlets"] for s in by_outlet] == [["EIRNS"]]
    jan = c.get("/stories", params={"date_from": "2022-01-20", "date_to": "2022-01-31"}).json()["items"]
    dated = {s["first_date"][:10] for s in jan if s["first_date"]}
    assert dated == {"2022-01-22", "2022-01-26"}
    feb = c.get("/stories", params={"date_from": "2022-02-01"}).json()["items"]
    assert "2022-02-02" in {(s["first_date"] or "")[:10] for s in feb} and "2022-01-22" not in {
        (s["first_date"] or "")[:10] for s in feb
    }
    tasnim = next(a for a in arts if a.outlet == "Tasnim")
    q = c.get("/stories", params={"q": tasnim.title.split()[-1]}).json()["items"]
    assert f"s-{tasnim.id}" in [s["id"] for s in q]


# --------------------------------------------------------------------------- writes


def test_post_single_batch_duplicate_rejected(fresh):
    db, ids = fresh
    c = small_client(db)
    text = "NAIROBI, March 3. The county council voted on Tuesday to close the old market and build a new one near the river."
    r = c.post(
        "/articles", json={"text": text, "outlet": "Test Wire", "date": "2022-03-03", "title": "Market to close"}
    )
    assert r.status_code == 201
    (res,) = r.json()["results"]
    assert res["status"] == "stored" and res["id"] and res["copies_of"] == []
    new_id = res["id"]
    got = c.get(f"/articles/{new_id}").json()
    assert (
        got["outlet"] == "Test Wire" and got["title"] == "Market to close" and got["published"].startswith("2022-03-03")
    )
    batch = [
        {"text": text},  # the same body again
        {"text": "too short"},
        {
            "html": "<html><body><article><h1>Bridge</h1><p>The bridge over the river reopened on Monday after two years "
            "of repairs, the city engineer said at a news conference.</p><p>Traffic is expected to be light at "
            "first, officials said, because the approach roads are still being resurfaced this month.</p></article></body></html>",
            "url": "https://example.org/bridge",
        },
    ]
    r = c.post("/articles", json=batch)
    assert r.status_code == 201
    res = r.json()["results"]
    assert [x["index"] for x in res] == [0, 1, 2]
    assert [x["status"] for x in res] == ["duplicate", "rejected", "stored"]
    assert res[0]["id"] == new_id and "short" in res[1]["reason"]
    assert c.get(f"/articles/{res[2]['id']}").json()["url"] == "https://example.org/bridge"
    # a duplicate of a story member reports its story
    seed_text = c.get(f"/articles/{ids['eirns']}").json()["text"]
    r = c.post("/articles", json={"text": seed_text})
    assert r.status_code == 200
    dup = r.json()["results"][0]
    assert set(dup) == set(res[2])  # a duplicate answers with the same fields as a stored article
    assert dup["status"] == "duplicate" and dup["id"] == ids["eirns"] and dup["story_id"] == ids["story_id"]
    assert dup["reason"] == "same text" and dup["event_id"] is None  # why it is a duplicate, as ingest says
    # the duplicate reports what the stored article copies, as the store's edges say
    with open_store(db) as store:
        want = sorted(
            (e.source_id, e.relation)
            for e in store.edges_for(ids["eirns"])
            if e.target_id == ids["eirns"] and e.relation != "independent"
        )
    assert sorted((x["source_id"], x["relation"]) for x in dup["copies_of"]) == want
    # the new article shows on the front page at once (no restart)
    assert "Market to close" in c.get("/").text


def test_post_duplicate_reasons_and_brief_language(fresh):
    """Each duplicate says why it is one (as :meth:`IngestReport.duplicates_with_reasons` gives it), and
    article briefs carry the language detected at ingest."""
    db, _ = fresh
    c = small_client(db)
    paras = [
        "The harbour authority said on Monday that the northern pier would close for three weeks of repairs "
        "to its concrete deck, which was damaged in the winter storms.",
        "Ferries will use the southern pier meanwhile, and the timetable will not change, a spokeswoman said.",
    ]
    url = "https://news.example.org/harbour-pier"
    first = c.post("/articles", json={"text": "\n\n".join(paras), "url": url, "outlet": "Harbour News"}).json()
    assert first["results"][0]["status"] == "stored"
    kept = first["results"][0]["id"]
    updated = paras + [
        "Update: the pier will now reopen a week early, the authority said on Thursday evening."
        " Workers finished the deck ahead of schedule despite the rain."
    ]
    batch = [
        {"text": "\n\n".join(paras), "url": "https://other.example.org/copy"},  # same body, other URL
        {"text": "\n\n".join(updated), "url": url},
    ]  # same URL, a changed body
    res = c.post("/articles", json=batch).json()["results"]
    assert [(r["status"], r["id"], r["reason"]) for r in res] == [
        ("duplicate", kept, "same text"),
        ("duplicate", kept, "same URL, updated text"),
    ]
    with open_store(db) as store:
        lang = store.get_article(kept).language
    assert lang == "en"
    (brief,) = c.get("/articles", params={"outlet": "Harbour News"}).json()["items"]
    assert brief["id"] == kept and brief["language"] == lang
    (story_brief,) = [
        a for a in c.get(f"/stories/{first['results'][0]['story_id']}").json()["articles"] if a["id"] == kept
    ]
    assert story_brief["language"] == lang  # briefs from the in-memory brief cache carry it too


def test_size_limits(fresh):
    db, _ = fresh
    c = small_client(db, max_body_bytes=2000, max_batch=3)
    before = c.get("/articles").json()["total_articles"]
    big = {"text": "word " * 1000}
    r = c.post("/articles", json=big)  # Content-Length says too large
    assert r.status_code == 413 and r.json()["error"] == "too_large"

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(10):
            yield b'{"text": "' + b"a" * 500 + b'"'

    r = c.post("/articles", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "too_large"
    r = c.post("/articles", json=[{"text": "one two three four five six"}] * 4)
    assert r.status_code == 422 and "batch" in r.json()["message"]
    r = c.post("/articles", json={"text": "ok text here", "title": "t" * 1001})
    assert r.status_code == 422 and "title" in r.json()["message"]
    assert c.get("/articles").json()["total_articles"] == before


def test_malformed_json_and_bad_shapes(client):
    cases = [
        (b"{not json", 400),
        (b"", 400),
        (b"\xff\xfe\x00", 400),
        (b"[]", 422),
        (b"42", 422),
        (b'"text"', 422),
        (b'{"title": "no body"}', 422),
        (b'{"text": 5}', 422),
        (b"[1, 2]", 422),
        (b'{"text": null, "html": null}', 422),
    ]
    for body, status in cases:
        r = client.post("/articles", content=body, headers={"content-type": "application/json"})
        assert r.status_code == status, (body, r.text)
        data = r.json()
        assert data["error"] and data["message"] and "Traceback" not in r.text
    assert client.put("/articles").status_code == 405


def test_hostile_article_inert(fresh):
    db, ids = fresh
    c = small_client(db)
    r = c.post("/articles", json=HOSTILE)
    assert r.status_code == 201, r.text
    aid = r.json()["results"][0]["id"]
    d = c.get(f"/articles/{aid}").json()
    # JSON gives the text back as data, unchanged
    assert "<script>alert(1)</script>" in d["text"] and "'); DROP TABLE articles;--" in d["text"]
    assert d["url"] == HOSTILE["url"] and d["outlet"] == HOSTILE["outlet"]
    page = c.get(f"/article/{aid}").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "<b>Evil Wire</b>" not in page and "&lt;b&gt;Evil Wire&lt;/b&gt;" in page
    assert 'href="javascript:' not in page and "&amp;amp;" in page  # an entity in the text stays text
    assert "onerror=alert" not in page.replace("&lt;img src=x onerror=alert(3)&gt;", "")
    home = c.get("/").text
    assert "<script>alert('title')" not in home and "&lt;script&gt;alert(" in home
    for q in ("'); DROP TABLE articles;--", "<script>alert(1)</script>"):
        assert c.get("/search", params={"q": q}).status_code == 200
        assert c.get("/", params={"q": q}).status_code == 200
    assert c.get("/stories/'); DROP TABLE stories;--").status_code == 404
    # the database is intact
    with sqlite3.connect(db) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"articles", "stories", "reuse_edges"} <= tables
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 6
        # the fixture story is still there (a cluster stage, when installed, may add one for the new article)
        assert con.execute("SELECT count(*) FROM stories WHERE id=?", (ids["story_id"],)).fetchone()[0] == 1


def test_no_stack_traces_on_internal_errors(fresh, monkeypatch):
    db, _ = fresh
    app = create_app(db, analysis=stored_analysis)
    c = TestClient(app, raise_server_exceptions=False)

    def boom():
        raise RuntimeError("secret internal detail /etc/passwd")

    monkeypatch.setattr(app.state.service, "reader", boom)
    r = c.get("/stories")
    assert r.status_code == 500
    assert r.json() == {"error": "internal", "message": "internal server error"}
    assert "secret" not in r.text


def test_analysis_failure_is_an_error(fresh):
    db, ids = fresh

    def failing(store, story_id, config):
        raise ValueError("analysis broke")

    c = TestClient(create_app(db, analysis=failing), raise_server_exceptions=False)
    # a failing analysis is an error, not "no analysis": 500 with a JSON error and no trace
    r = c.get(f"/stories/{ids['story_id']}")
    assert r.status_code == 500 and r.json() == {"error": "internal", "message": "internal server error"}
    assert "analysis broke" not in r.text and "Traceback" not in r.text
    page = c.get(f"/story/{ids['story_id']}")
    assert page.status_code == 500 and "analysis broke" not in page.text
    # a provider that has no analysis (None) is shown as not available
    c = TestClient(create_app(db, analysis=lambda store, sid, cfg: None), raise_server_exceptions=False)
    d = c.get(f"/stories/{ids['story_id']}").json()
    assert d["analysis_available"] is False and d["summary"] == [] and len(d["graph"]["edges"]) == 2
    assert "Analysis not available" in c.get(f"/story/{ids['story_id']}").text
    # the default provider is the analysis stage: it computes (and caches) the story's analysis
    with open_store(db) as store:
        got = default_analysis(store, ids["story_id"], None)
    assert got is not None and got.summary and got.summary[0].citations[0].article_id == ids["tass"]


# --------------------------------------------------------------------------- pages


def test_story_page_has_all_sections(client, seeded):
    ids = seeded[1]
    html = client.get(f"/story/{ids['story_id']}").text
    for anchor in ('id="summary"', 'id="timeline"', 'id="coverage-grid"', 'id="quotes"', 'id="provenance-graph"'):
        assert anchor in html, anchor
    aid, idx, text = ids["summary_cite"]
    assert f'href="/article/{aid}#s{idx}"' in html
    assert (
        html.count('class="edge ') == 2
        and html.count('<a href="/article/') >= 5
        and html.count('class="node-label"') == 5
    )
    assert "Sergey Lavrov" in html and "Jen Psaki" in html
    assert 'class="cell yes"' in html and 'class="cell no"' in html


def test_article_page_highlights_reuse(client, seeded):
    ids = seeded[1]
    html = client.get(f"/article/{ids['tasnim']}").text
    assert '<mark class="reused" id="s0">' in html
    assert f'href="/article/{ids["tass"]}#s' in html
    assert "<details" in html and "Removed as boilerplate" in html
    with open_store(seeded[0]) as store:
        a = store.get_article(ids["tasnim"])
    for s in article_sentences(a):
        assert f'id="s{s.index}"' in html


def test_watch_picks_up_new_files_and_page_shows_them(tmp_path):
    from storyline.watch import FolderWatcher

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    db = tmp_path / "watch.db"
    c = small_client(db)  # the server is running before any file arrives
    assert c.get("/articles").json()["total_articles"] == 0
    store = open_store(db)
    try:
        watcher = FolderWatcher(Pipeline(store, reuse=False, cluster=False), inbox, settle=0.0)
        seeds = sorted(SEEDS.glob("*.txt"))
        shutil.copy(seeds[0], inbox / seeds[0].name)
        assert len(watcher.scan().stored) == 1
        assert watcher.scan().read == 0  # unchanged files are not read again
        shutil.copy(seeds[3], inbox / seeds[3].name)
        report = watcher.scan()
        assert len(report.stored) == 1
        new_id = report.stored[0].article_id
    finally:
        store.close()
    assert c.get("/articles").json()["total_articles"] == 2
    assert f"/article/{new_id}" in c.get("/").text
    # a restarted watcher remembers what it has read
    with open_store(db) as store2:
        assert FolderWatcher(Pipeline(store2, reuse=False, cluster=False), inbox, settle=0.0).pending() == []


# --------------------------------------------------------------------------- a real server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_real_serve_subprocess(seeded, tmp_path):
    db = tmp_path / "served.db"
    shutil.copy(seeded[0], db)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "storyline.cli",
            "serve",
            "--db",
            str(db),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 40
        while True:
            try:
                if httpx.get(base + "/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode(errors="replace")
            assert time.time() < deadline, "server did not start"
            time.sleep(0.3)
        r = httpx.get(base + "/stories", timeout=10)
        assert r.status_code == 200 and r.json()["items"][0]["id"] == seeded[1]["story_id"]
        r = httpx.post(base + "/articles", content=b"{oops", headers={"content-type": "application/json"}, timeout=10)
        assert r.status_code == 400 and r.json()["error"] == "bad_request"
        r = httpx.post(
            base + "/articles", content=b"x" * 6_000_000, headers={"content-type": "application/json"}, timeout=30
        )
        assert r.status_code == 413
        # ingest runs in the server's worker process; the new article is readable at once
        text = "ACCRA, May 5. The port authority said on Thursday that the new container terminal will open next year."
        r = httpx.post(base + "/articles", json={"text": text, "outlet": "Port Wire"}, timeout=60)
        assert r.status_code == 201, r.text
        new_id = r.json()["results"][0]["id"]
        assert httpx.get(base + f"/articles/{new_id}", timeout=10).json()["outlet"] == "Port Wire"
        assert f"/article/{new_id}" in httpx.get(base + "/", timeout=10).text
        # concurrent POSTs are ingested together (group commit) and each gets its own answers
        from concurrent.futures import ThreadPoolExecutor

        groups0 = httpx.get(base + "/stats", timeout=10).json()["write_groups"]
        towns = ["Lagos", "Kumasi", "Tamale", "Cape Coast", "Ho", "Tema", "Wa", "Bolgatanga"]

        def post(town: str) -> tuple[str, dict]:
            body = {
                "text": f"{town.upper()}, May 6. The regional council of {town} voted on Friday to build "
                f"{len(town) + 3} new schools in {town} before the rains, its chairman said.",
                "outlet": f"{town} Daily",
            }
            return town, httpx.post(base + "/articles", json=body, timeout=120).json()

        with ThreadPoolExecutor(len(towns)) as pool:
            answers = list(pool.map(post, towns))
        for town, ans in answers:
            (res,) = ans["results"]
            assert res["index"] == 0 and res["status"] == "stored"
            assert httpx.get(base + f"/articles/{res['id']}", timeout=10).json()["outlet"] == f"{town} Daily"
        assert httpx.get(base + "/stats", timeout=10).json()["write_groups"] - groups0 < len(towns)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()


def test_body_limit_counts_streamed_bytes_without_content_length():
    """The limit holds when no Content-Length is given (chunked upload): bytes are counted as they arrive."""
    import asyncio

    from storyline.api import BodyLimitMiddleware

    consumed = []

    async def inner(scope, receive, send):  # an app that reads the whole body
        while True:
            msg = await receive()
            consumed.append(len(msg.get("body", b"")))
            if not msg.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def run(n_chunks):
        chunks = [{"type": "http.request", "body": b"x" * 400, "more_body": i < n_chunks - 1} for i in range(n_chunks)]
        sent = []

        async def receive():
            return chunks.pop(0)

        async def send(msg):
            sent.append(msg)

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/articles",
            "headers": [(b"content-type", b"application/json")],
        }
        asyncio.run(BodyLimitMiddleware(inner, max_bytes=1000)(scope, receive, send))
        return sent[0]["status"], json.loads(sent[1]["body"]) if sent[0]["status"] != 200 else None

    assert run(2)[0] == 200
    consumed.clear()
    status, body = run(10)
    assert status == 413 and body["error"] == "too_large"
    assert sum(consumed) <= 1000  # stopped reading at the limit, not after the whole body


def test_cli_watch_once(tmp_path):
    from typer.testing import CliRunner

    from storyline.cli import app

    inbox = tmp_path / "in"
    inbox.mkdir()
    for p in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(p, inbox / p.name)
    db = tmp_path / "w.db"
    runner = CliRunner()
    r = runner.invoke(app, ["watch", str(inbox), "--db", str(db), "--once"])
    assert r.exit_code == 0, r.output
    with open_store(db) as store:
        assert store.count_articles() == 2
    r = runner.invoke(app, ["watch", str(tmp_path / "missing"), "--db", str(db), "--once"])
    assert r.exit_code == 2


def test_default_analysis_uses_the_analysis_stage_when_installed(fresh, monkeypatch):
    """With `storyline.analyze` present, the API serves what its analysis_for returns."""
    import types

    from storyline.model import StoryAnalysis, SummarySentence

    db, ids = fresh
    calls = []
    fake = types.ModuleType("storyline.analyze")

    def analysis_for(store, story_id, config=None):
        calls.append(story_id)
        return StoryAnalysis(story_id, summary=[SummarySentence("From the analysis stage.", [])])

    fake.analysis_for = analysis_for
    monkeypatch.setitem(sys.modules, "storyline.analyze", fake)
    import storyline

    monkeypatch.setattr(storyline, "analyze", fake, raising=False)
    c = TestClient(create_app(db))  # the default provider
    d = c.get(f"/stories/{ids['story_id']}").json()
    assert calls == [ids["story_id"]] and d["summary"][0]["text"] == "From the analysis stage."
    assert "From the analysis stage." in c.get(f"/story/{ids['story_id']}").text


# --------------------------------------------------------------------------- property: untrusted text stays text

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_HOSTILE_ALPHABET = st.sampled_from(
    list("<>&\"'`=/ ;:()")
    + [
        "<script>",
        "</script>",
        "javascript:",
        "onerror=",
        "<img src=x ",
        "&amp;",
        "&lt;",
        "{{",
        "}}",
        "{%",
        "<svg onload=alert(1)>",
        "a",
        "B",
        " ",
    ]
)
_ALLOWED_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "link",
    "script",
    "body",
    "header",
    "a",
    "form",
    "input",
    "button",
    "main",
    "article",
    "h1",
    "p",
    "span",
    "mark",
    "div",
    "details",
    "summary",
    "table",
    "tr",
    "td",
    "footer",
    "nav",
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.lists(_HOSTILE_ALPHABET, min_size=1, max_size=60).map("".join),
    title=st.lists(_HOSTILE_ALPHABET, max_size=15).map("".join),
    url=st.sampled_from(
        ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:x", "data:text/html,<b>", "https://ok.example/a"]
    ),
)
def test_article_page_never_turns_text_into_markup(body, title, url):
    from html.parser import HTMLParser

    from storyline.model import Article, RemovedLine
    from storyline.web import make_env, safe_url

    a = Article(
        id="0123456789abcdef",
        source="x",
        paragraphs=["Plain start. " + body, body],
        title=title or None,
        outlet=body[:20] or None,
        author=title or None,
        url=url,
        removed=[RemovedLine(body, "rule:" + title, 0)],
    )
    paragraphs = [[{"index": i, "text": p, "taken": [], "given": []}] for i, p in enumerate(a.paragraphs)]
    html = (
        make_env()
        .get_template("article.html")
        .render(
            title=a.title or "Article",
            a=a,
            label=a.outlet or "x",
            paragraphs=paragraphs,
            date="",
            url=safe_url(a.url),
            story=None,
            copies_of=[],
            copied_by=[],
            n_taken=0,
        )
    )

    class Check(HTMLParser):
        def handle_starttag(self, tag, attrs):
            assert tag in _ALLOWED_TAGS, tag
            for name, value in attrs:
                assert not name.startswith("on"), name
                if name in ("href", "src"):
                    assert value.startswith(("/", "https://ok.example")), value
            if tag == "script":
                assert dict(attrs).get("src") == "/static/app.js"

    Check().feed(html)
