"""Serving under load: cached reads follow every write, big stories are paged, a full write queue
answers 503 at once, and the store's revision counters move exactly when a story changes."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import httpx
import pytest
from _serve_data import build_seed_store, copy_store
from fastapi.testclient import TestClient

from storyline import api as api_mod
from storyline.api import create_app, stored_analysis
from storyline.model import Event, RawDocument, ReuseEdge, Story, StoryAnalysis
from storyline.pipeline import Pipeline
from storyline.serve import cache as cache_mod
from storyline.serve import service as service_mod
from storyline.store import SQLiteStore, open_store


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    db = tmp_path_factory.mktemp("cache") / "seeds.db"
    ids = build_seed_store(db)
    return db, ids


@pytest.fixture()
def fresh(tmp_path, seeded):
    return copy_store(seeded[0], tmp_path / "copy.db"), seeded[1]


def _new_article(store) -> str:
    """Store one article that belongs to no story yet; its id."""
    rep = Pipeline(store, reuse=False, cluster=False).ingest(
        [
            RawDocument(
                source="test:harbour",
                meta={"outlet": "Harbour Wire", "title": "Harbour plan"},
                text="BERGEN, May 2. The port authority presented a new plan to expand the harbour on Tuesday, "
                "its director said.\n\nWork on the northern quay would start next spring if the council agrees.",
            )
        ]
    )
    return rep.stored[0].article_id


def _client(db, **kw) -> TestClient:
    return TestClient(create_app(db, analysis=stored_analysis, **kw), raise_server_exceptions=False)


def test_story_revision_moves_only_when_the_story_changes(fresh):
    db, ids = fresh
    with open_store(db) as store:
        sid = ids["story_id"]
        r0, all0 = store.story_revision(sid), store.stories_revision()
        assert r0 is not None and store.story_revision("no-such-story") is None
        assert store.story_revision(sid) == r0  # reading changes nothing
        story = store.get_story(sid)
        others = [_new_article(store)]
        assert store.story_revision(sid) == r0  # an article outside the story changes nothing
        store.save_story(Story("s-other", others[:1], [Event("s-other-e1", "s-other", others[:1])], title="Other"))
        assert store.story_revision(sid) == r0 and store.stories_revision() > all0  # another story: list moved only
        store.put_edges([ReuseEdge(others[0], story.article_ids[0], "rewrite", 0.9, 0.5, 0.5, "date", 0.9)])
        r1 = store.story_revision(sid)
        assert r1 > r0  # an edge touching a member
        store.put_analysis(sid, "v-test", StoryAnalysis(story_id=sid))
        r2 = store.story_revision(sid)
        assert r2 > r1
        story.title = "Renamed"
        store.save_story(story)
        assert store.story_revision(sid) > r2
        all1 = store.stories_revision()
        store.record_merge("s-other", sid)
        assert store.stories_revision() > all1 and store.story_revision("s-other") is None


def test_cached_story_follows_writes_from_another_process(fresh, monkeypatch):
    """A story read is cached (the second read is not rebuilt) and rebuilt after any writer changes it."""
    monkeypatch.setattr(cache_mod, "STALE_WAIT", 30.0)  # a slow CI machine still waits for the rebuild
    db, ids = fresh
    sid = ids["story_id"]
    with _client(db) as c:
        svc = c.app.state.service
        first = c.get(f"/stories/{sid}").json()
        builds = svc.cache.stats()["builds"]
        assert c.get(f"/stories/{sid}").json() == first
        assert svc.cache.stats()["builds"] == builds  # served from the cache
        listed = c.get("/stories").json()
        # another writer (say `storyline watch`) adds an article to the story and an edge to it
        with open_store(db) as w:
            story = w.get_story(sid)
            extra = _new_article(w)
            story.article_ids.append(extra)
            story.events[0].article_ids.append(extra)
            w.save_story(story)
            w.put_edges([ReuseEdge(story.article_ids[0], extra, "rewrite", 0.93, 0.5, 0.5, "date", 0.9)])
        after = c.get(f"/stories/{sid}").json()
        assert extra in {a["id"] for a in after["articles"]} and after["article_count"] == first["article_count"] + 1
        assert (story.article_ids[0], extra) in {(e["source_id"], e["target_id"]) for e in after["graph"]["edges"]}
        assert c.get("/stories").json()["items"][0]["article_count"] == listed["items"][0]["article_count"] + 1
        assert extra in c.get(f"/story/{sid}").text
        # the article's own view follows its new edge and story
        art = c.get(f"/articles/{extra}").json()
        assert art["story_id"] == sid and [e["source_id"] for e in art["copies_of"]] == [story.article_ids[0]]


def _seed_text(db, article_id: str) -> str:
    with open_store(db) as s:
        return s.get_article(article_id).text


def test_post_then_read_shows_the_article_in_its_story(fresh):
    """POST articles through the whole pipeline: the story each joined shows it on the next read,
    although the story and the list were cached before."""
    db, ids = fresh
    with _client(db) as c:
        before_list = c.get("/stories").json()
        base = _seed_text(db, ids["tass"])
        first = c.post(
            "/articles", json={"text": "GENEVA, Feb 5 (Wire One) - " + base, "outlet": "Wire One", "date": "2022-02-05"}
        ).json()
        (r1,) = first["results"]
        assert r1["status"] == "stored" and r1["story_id"]
        sid = r1["story_id"]
        s1 = c.get(f"/stories/{sid}").json()
        assert r1["id"] in {a["id"] for a in s1["articles"]}
        assert c.get("/stories").json()["total_stories"] >= before_list["total_stories"]
        second = c.post(
            "/articles", json={"text": "GENEVA, Feb 6 (Wire Two) - " + base, "outlet": "Wire Two", "date": "2022-02-06"}
        ).json()
        (r2,) = second["results"]
        assert r2["status"] == "stored" and r2["story_id"] == sid  # a near-copy of the first joins its story
        s2 = c.get(f"/stories/{sid}").json()  # cached before: must show the newcomer
        assert {r1["id"], r2["id"]} <= {a["id"] for a in s2["articles"]}
        assert s2["article_count"] == s1["article_count"] + 1
        assert r2["id"] in c.get(f"/story/{sid}").text
        assert c.get(f"/articles/{r1['id']}").json()["story_id"] == sid


def test_big_story_is_paged(fresh):
    db, ids = fresh
    sid = ids["story_id"]
    with _client(db) as c:
        full = c.get(f"/stories/{sid}").json()
        order = [a["id"] for a in full["articles"]]
        assert len(order) == 5 and full["articles_next"] is None
        page = c.get(f"/stories/{sid}", params={"articles": 2}).json()
        assert [a["id"] for a in page["articles"]] == order[:2] and page["articles_next"]
        assert {n["id"] for n in page["graph"]["nodes"]} == set(order[:2])
        for e in page["graph"]["edges"]:  # only edges among the listed articles, passages as a count
            assert e["source_id"] in order[:2] and e["target_id"] in order[:2] and isinstance(e["passages"], int)
        rest = c.get(page["articles_next"]).json()
        assert (
            [a["id"] for a in rest["items"]] == order[2:4] and rest["next_offset"] == 4 and rest["total_articles"] == 5
        )
        edges = c.get(f"/stories/{sid}/edges", params={"limit": 1}).json()
        assert edges["total_edges"] == 2 and len(edges["items"]) == 1 and edges["next_offset"] == 1
        strongest = edges["items"][0]
        assert strongest["confidence"] == max(e["confidence"] for e in full["graph"]["edges"])
        assert strongest["passages"] >= 1
        assert c.get(f"/stories/{sid}", params={"articles": 5000}).status_code == 422
        assert c.get("/stories/nope/edges").status_code == 404
        # who copies an article: passage references (sentence numbers), not texts
        by = c.get(f"/articles/{ids['tass']}").json()["copied_by"]
        assert by and all(
            set(p) == {"source_index", "target_index", "kind", "score"} for e in by for p in e["passages"]
        )


def test_full_write_queue_answers_503_at_once(fresh, monkeypatch):
    db, _ = fresh
    release = threading.Event()
    entered = threading.Event()
    real = api_mod.ingest_answers

    def slow(pipeline, items):
        entered.set()
        release.wait(30)
        return real(pipeline, items)

    monkeypatch.setattr(service_mod, "ingest_answers", slow)
    app = create_app(db, analysis=stored_analysis, max_pending_writes=1)
    body = {
        "text": "OSLO, June 1. The harbour board approved the new ferry terminal on Monday, its chairman said, "
        "after two years of hearings about noise and traffic near the old town."
    }

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            first = asyncio.create_task(c.post("/articles", json=body))
            while not entered.is_set():
                await asyncio.sleep(0.01)
            busy = await asyncio.wait_for(c.post("/articles", json=body | {"title": "again"}), 5)
            read = await asyncio.wait_for(c.get("/stories"), 5)  # reads are not held up by the write
            release.set()
            done = await first
            after = await c.post("/articles", json=body)  # the queue has room again
            return busy, read, done, after

    try:
        busy, read, done, after = asyncio.run(scenario())
    finally:
        release.set()
        app.state.service.close()
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
    assert busy.json()["error"] == "busy" and "retry" in busy.json()["message"]
    assert read.status_code == 200
    assert done.status_code == 201 and done.json()["results"][0]["status"] == "stored"
    assert after.status_code == 200 and after.json()["results"][0]["status"] == "duplicate"


def test_revision_counters_survive_migration_of_an_older_store(tmp_path):
    """A store made before the counters existed gets them for its stories on open."""
    from storyline.store.sqlite import MIGRATIONS

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for step in MIGRATIONS[:2]:
        db.create_function("storyline_bucket", 1, lambda b: 0)
        db.create_function("storyline_article", 1, lambda a: a)
        db.executescript(step)
    db.execute("PRAGMA user_version=2")
    db.execute(
        "INSERT INTO stories(id, title, article_count, outlets, data, updated_at) VALUES ('s1', 't', 0, '[]', ?, 'now')",
        ('{"id": "s1", "article_ids": [], "events": []}',),
    )
    db.commit()
    db.close()
    store = SQLiteStore(path)
    try:
        r = store.story_revision("s1")
        assert r is not None
        store.save_story(Story("s1", [], [], title="t2"))
        assert store.story_revision("s1") > r
    finally:
        store.close()


def test_search_follows_new_articles_and_story_changes(fresh):
    db, ids = fresh
    with _client(db) as c:
        assert c.get("/search", params={"q": "quay"}).json()["articles"] == []
        with open_store(db) as w:
            extra = _new_article(w)  # mentions the northern quay
        got = c.get("/search", params={"q": "quay"}).json()
        assert [a["id"] for a in got["articles"]] == [extra] and got["articles"][0]["story_id"] is None
        with open_store(db) as w:
            story = w.get_story(ids["story_id"])
            story.article_ids.append(extra)
            w.save_story(story)
        again = c.get("/search", params={"q": "quay"}).json()
        assert again["articles"][0]["story_id"] == ids["story_id"]
        assert ids["story_id"] in {s["id"] for s in again["stories"]}
        # a full answer (as many matches as asked for) is the same however often it is asked
        first = c.get("/search", params={"q": "the", "limit": 2}).json()
        assert len(first["articles"]) == 2 and c.get("/search", params={"q": "the", "limit": 2}).json() == first


def test_response_cache_single_flight_and_stale_while_rebuilding():
    from storyline.api import ResponseCache

    cache = ResponseCache(max_bytes=1 << 20)
    gate = threading.Event()
    calls = []

    def build(tag: bytes):
        def run() -> bytes:
            calls.append(tag)
            gate.wait(10)
            return tag

        return run

    async def scenario():
        gate.set()
        assert await cache.fetch("k", 1, build(b"v1")) == b"v1"
        assert await cache.fetch("k", 1, build(b"again")) == b"v1"  # kept: not rebuilt
        gate.clear()
        first = asyncio.create_task(cache.fetch("k", 2, build(b"v2")))  # noticed the change: waits
        while len(calls) < 2:
            await asyncio.sleep(0.01)
        stale = await asyncio.wait_for(cache.fetch("k", 2, build(b"x"), stale_ok=True), 5)
        waiter = asyncio.create_task(cache.fetch("k", 2, build(b"y")))  # not stale_ok: shares the build
        await asyncio.sleep(0.05)
        assert not first.done() and not waiter.done()
        gate.set()
        return stale, await first, await waiter

    try:
        stale, fresh, shared = asyncio.run(scenario())
    finally:
        gate.set()
        cache.close()
    assert stale == b"v1" and fresh == b"v2" and shared == b"v2"
    assert calls == [b"v1", b"v2"]  # one build per revision


def test_a_slow_rebuild_answers_the_previous_version_after_a_bounded_wait(monkeypatch):
    from storyline.api import ResponseCache

    monkeypatch.setattr(cache_mod, "STALE_WAIT", 0.05)
    cache = ResponseCache(max_bytes=1 << 20)
    gate = threading.Event()

    def slow() -> bytes:
        gate.wait(10)
        return b"new"

    async def scenario():
        assert await cache.fetch("k", 1, lambda: b"old") == b"old"
        t0 = asyncio.get_running_loop().time()
        got = await cache.fetch("k", 2, slow, stale_ok=True)  # the one that noticed: waits a little, then old
        waited = asyncio.get_running_loop().time() - t0
        gate.set()
        await asyncio.sleep(0.2)
        return got, waited, await cache.fetch("k", 2, slow, stale_ok=True)

    try:
        got, waited, later = asyncio.run(scenario())
    finally:
        gate.set()
        cache.close()
    assert got == b"old" and 0.04 <= waited < 5 and later == b"new"


def test_post_on_busy_cores_drops_the_old_story_instead_of_waiting(fresh, monkeypatch):
    """When rebuilding takes longer than REFRESH_WAIT, the POST answers at once but no later read may
    get the story as it was before the write."""
    import time as _time

    monkeypatch.setattr(service_mod, "REFRESH_WAIT", 0.0)
    monkeypatch.setattr(cache_mod, "STALE_WAIT", 0.0)
    real = api_mod.Service.build_story

    def slow_build(self, story_id, offset, limit):
        _time.sleep(0.3)
        return real(self, story_id, offset, limit)

    db, ids = fresh
    base = _seed_text(db, ids["tass"])
    with _client(db) as c:
        r1 = c.post("/articles", json={"text": "GENEVA, Feb 5 (Wire One) - " + base, "outlet": "Wire One"}).json()[
            "results"
        ][0]
        sid = r1["story_id"]
        before = c.get(f"/stories/{sid}").json()
        c.app.state.service.inline_stories = False  # builds on the build threads (as with computed analyses)
        monkeypatch.setattr(api_mod.Service, "build_story", slow_build)
        t0 = _time.perf_counter()
        r2 = c.post("/articles", json={"text": "GENEVA, Feb 6 (Wire Two) - " + base, "outlet": "Wire Two"}).json()[
            "results"
        ][0]
        assert r2["story_id"] == sid
        after = c.get(f"/stories/{sid}").json()  # the rebuild is still running: waits for it, never the old one
        assert after["article_count"] == before["article_count"] + 1
        assert r2["id"] in {a["id"] for a in after["articles"]}
        assert _time.perf_counter() - t0 >= 0.25


def test_fast_path_sends_exactly_what_the_endpoints_send(fresh):
    db, ids = fresh
    sid = ids["story_id"]
    paths = [
        "/",
        "/stories",
        "/stories?limit=5&offset=0",
        f"/stories/{sid}",
        f"/story/{sid}",
        f"/articles/{ids['tass']}",
        f"/article/{ids['tasnim']}",
    ]
    with _client(db) as c:
        svc = c.app.state.service
        first = {p: c.get(p) for p in paths}  # built by the endpoints
        fast0 = svc.fast_hits
        for p in paths:
            again = c.get(p)
            assert again.status_code == 200 and again.content == first[p].content, p
            for h in ("content-type", "content-length", "content-security-policy", "x-content-type-options"):
                assert again.headers[h] == first[p].headers[h], (p, h)
        assert svc.fast_hits - fast0 == len(paths)
        # anything unusual goes to the endpoints: validation still applies
        assert c.get("/stories?limit=0").status_code == 422
        assert c.get("/stories?limit=5&bogus=1").status_code == 200
        assert svc.fast_hits - fast0 == len(paths)


def test_ingest_worker_builds_the_changed_stories_views(fresh):
    """With analyses read from the store, the ingest worker process builds the views of the stories a
    write changed and hands them over with its answers: the serving process keeps them (no build of
    its own) and they show the new article."""
    from storyline.api import STORY_ARTICLES, ArticleIn, Service
    from storyline.web import make_env

    db, ids = fresh
    svc = Service(db, analysis=stored_analysis, ingest_process=True)
    svc.web_env = make_env()
    assert svc.worker_views

    async def go() -> tuple[dict, int, int]:
        await svc.start()
        builds = svc.cache.builds  # the start-up warming of the stored stories
        text = "GENEVA, Feb 5 (Wire One) - " + _seed_text(db, ids["tass"])
        (ans,) = await svc.ingest_items([ArticleIn(text=text, outlet="Wire One", date="2022-02-05")])
        await svc.refresh_stories([ans["story_id"]])
        return ans, builds, svc.cache.builds

    try:
        ans, builds_before, builds_after = asyncio.run(go())
        assert ans["status"] == "stored" and ans["story_id"]
        sid = ans["story_id"]
        rev = svc.reader().story_revision(sid)
        story = svc.cache.get(("story", sid, 0, STORY_ARTICLES), rev)
        page = svc.cache.get(("page:story", sid, 1), rev)
        assert story is not None and page is not None  # kept at the story's current revision
        assert builds_after == builds_before  # nothing was built in this process
        assert ans["id"] in {a["id"] for a in api_mod.loads(story)["articles"]}
        assert ans["id"].encode() in page
        assert story == svc.build_story(sid, 0, STORY_ARTICLES)  # what this process would have built
    finally:
        svc.close()


def test_article_revision_ignores_other_articles_joining_its_story(fresh):
    """An article's views stay cached while its story grows; they change when an edge touches the
    article or its story's title (shown on its page) changes."""
    db, ids = fresh
    with open_store(db) as store:
        sid = ids["story_id"]
        story = store.get_story(sid)
        member = story.article_ids[0]
        r0 = store.article_revision(member)
        assert r0 is not None and store.article_revision("no-such-article") is None
        newcomer = _new_article(store)
        story.article_ids.append(newcomer)
        story.events[0].article_ids.append(newcomer)
        store.save_story(story)
        assert store.article_revision(member) == r0  # the story grew: the member's views are unchanged
        store.put_edges([ReuseEdge(newcomer, member, "rewrite", 0.9, 0.5, 0.5, "date", 0.9)])
        r1 = store.article_revision(member)
        assert r1 != r0  # an edge touching it
        story.title = "Renamed story"
        store.save_story(story)
        assert store.article_revision(member) != r1  # its story's title, shown on its page


def test_story_read_during_a_write_group_answers_the_kept_version(fresh):
    """While a write group is with the ingest worker (which brings the changed stories' new views),
    a read of a changed story gets the version kept so far instead of building one; at any other
    time a changed story is never answered from the cache."""
    from storyline.api import STORY_ARTICLES, Service

    db, ids = fresh
    sid = ids["story_id"]
    svc = Service(db, analysis=stored_analysis)
    try:
        store = svc.reader()
        old_rev = store.story_revision(sid)
        svc.cache.put(("story", sid, 0, STORY_ARTICLES), old_rev, b'{"old": true}')
        assert svc.lookup(f"/stories/{sid}", b"") == (b'{"old": true}', b"application/json")
        with open_store(db) as w:  # the story changes (as the worker's commit would change it)
            story = w.get_story(sid)
            story.title = "Changed while writing"
            w.save_story(story)
        assert store.story_revision(sid) != old_rev
        assert svc.lookup(f"/stories/{sid}", b"") is None  # no write in flight: built afresh by the endpoint
        svc.writing = True
        assert svc.lookup(f"/stories/{sid}", b"") == (b'{"old": true}', b"application/json")
        assert svc.stale_while_writing == 1
        svc.writing = False
        assert svc.lookup(f"/stories/{sid}", b"") is None
    finally:
        svc.close()


def test_serve_freezes_start_up_objects_out_of_the_collector(fresh):
    """``freeze_gc`` (as ``storyline serve`` sets it) moves what start-up created out of the garbage
    collector's passes, and ``/stats`` reports the collector's pauses while serving; without it the
    process's collector is left alone."""
    import gc

    db, _ = fresh
    gc.unfreeze()
    try:
        with _client(db) as c:
            assert gc.get_freeze_count() == 0
        with _client(db, freeze_gc=True) as c:
            frozen = gc.get_freeze_count()
            assert frozen > 10_000  # the modules, the app and the warmed views
            c.get("/stories")
            gc.collect()
            stats = c.get("/stats").json()["gc"]
            assert stats["collections"][2] >= 1 and stats["max_ms"] >= 0
            assert stats["total_ms"] >= stats["max_ms"]
        assert not any(isinstance(cb, api_mod.GcPauses) for cb in gc.callbacks)  # removed at shutdown
    finally:
        gc.unfreeze()


def test_start_up_warming_keeps_every_view_however_long_it_takes(fresh, monkeypatch):
    """Warming at start-up builds every story view and keeps them all, even when building takes
    longer than a POST waits for its stories (which once dropped the views already warmed)."""
    import time as _time

    from storyline.api import STORY_ARTICLES

    monkeypatch.setattr(service_mod, "REFRESH_WAIT", 0.0)
    real = api_mod.Service.build_story

    def slow_build(self, story_id, offset, limit):
        _time.sleep(0.05)
        return real(self, story_id, offset, limit)

    monkeypatch.setattr(api_mod.Service, "build_story", slow_build)
    db, ids = fresh
    with open_store(db) as w:  # a second story, so that one is warmed before the other
        other = _new_article(w)
        w.save_story(Story("s-second", [other], [Event("s-second-e1", "s-second", [other])], title="Second"))
    with _client(db) as c:
        svc = c.app.state.service
        store = svc.reader()
        for sid in (ids["story_id"], "s-second"):
            rev = store.story_revision(sid)
            assert svc.cache.has(("story", sid, 0, STORY_ARTICLES), rev)
            assert svc.cache.has(("page:story", sid, 1), rev)
        builds = svc.cache.builds
        c.get(f"/stories/{ids['story_id']}")
        c.get("/story/s-second")
        assert svc.cache.builds == builds  # both answered from the warmed cache
