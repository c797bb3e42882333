"""storyline follow: polling feeds and sitemaps served from 127.0.0.1, fetching their pages politely and safely.

Every test talks to a local server (tests/feedutil.py) that counts requests; waits go through a fake clock, so
back-off and per-host delays are checked exactly without sleeping.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time

import pytest
from feedutil import DATES, FeedServer, article_html, atom, gz, http_date, rss, seed_texts, sitemap, sitemap_index
from typer.testing import CliRunner

from storyline.cli import app
from storyline.config import FollowConfig
from storyline.follow import Fetcher, Follower, normalise_url
from storyline.pipeline import Pipeline
from storyline.store import SQLiteStore

SEEDS = seed_texts()
FAST = FollowConfig(
    host_delay_s=0.0,
    backoff_s=0.01,
    max_backoff_s=0.05,
    retries=2,
    timeout_s=5.0,
    max_redirects=3,
    max_page_bytes=200_000,
)


class FakeClock:
    """time.monotonic / sleep stand-ins: time passes only when something waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture()
def server():
    s = FeedServer()
    s.start()
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


def _pages(server: FeedServer, n: int = len(SEEDS), prefix: str = "/a/") -> list[dict]:
    """Article pages from the seeds on the server; their feed items (link, title, date)."""
    items = []
    for i, (title, paras) in enumerate(SEEDS[:n]):
        server.add(f"{prefix}{i}", article_html(title, paras, DATES[i]))
        items.append({"link": server.url(f"{prefix}{i}"), "title": title, "date": DATES[i]})
    return items


def _follower(db, sources, config: FollowConfig = FAST, clock: FakeClock | None = None) -> Follower:
    clock = clock or FakeClock()
    pipeline = Pipeline(SQLiteStore(db), reuse=False, cluster=False, workers=1)
    return Follower(pipeline, sources, config=config, fetcher=Fetcher(config, sleep=clock.sleep, clock=clock))


def _page_hits(server: FeedServer) -> dict[str, int]:
    return {p: server.hits(p) for p in server.routes if p.startswith(("/a/", "/copy/"))}


def test_normalise_url():
    assert (
        normalise_url("HTTP://News.Example:80/a/1?utm_source=rss&id=7&UTM_Medium=x&fbclid=z#top")
        == "http://news.example/a/1?id=7"
    )
    assert normalise_url("https://news.example:443") == "https://news.example/"
    assert normalise_url("https://news.example:8443/a?b=1&a=2") == "https://news.example:8443/a?b=1&a=2"
    assert normalise_url("http://[::1]:8080/a#x") == "http://[::1]:8080/a"
    assert normalise_url("http://news.example:port/a#x") == "http://news.example:port/a"  # no crash


def _site(server: FeedServer) -> list[str]:
    """An RSS feed (ETag), an Atom feed (Last-Modified) and a sitemap index (ETag) with a gzipped sitemap:
    six pages, three of them linked twice."""
    items = _pages(server)
    server.add("/news.rss", rss(items[:3]), content_type="application/rss+xml", etag='"rss-1"')
    wire = [dict(items[1], link=items[1]["link"] + "?utm_source=wire&utm_medium=rss#top"), items[3]]
    server.add("/wire.atom", atom(wire), content_type="application/atom+xml", last_modified=http_date())
    server.add(
        "/sitemap.xml.gz",
        gz(sitemap([(items[0]["link"], None), (items[4]["link"], "2022-01-26"), ("/a/5", None)])),
        content_type="application/gzip",
    )
    server.add(
        "/sitemap_index.xml", sitemap_index(["/sitemap.xml.gz"]), content_type="application/xml", etag='"index-1"'
    )
    return [server.url("/news.rss"), server.url("/wire.atom"), server.url("/sitemap_index.xml")]


def test_poll_fetches_each_new_page_once_and_stores_it(server, tmp_path):
    follower = _follower(tmp_path / "s.db", _site(server))
    report = follower.poll()
    assert not report.errors and not report.skipped and not report.ingest.rejected, report.summary_lines()
    assert (report.feeds, report.links, report.repeated, report.seen, report.fetched) == (4, 8, 2, 0, 6)
    assert len(report.ingest.stored) == 6
    assert _page_hits(server) == {f"/a/{i}": 1 for i in range(6)}
    store = follower.store
    by_url = {a.url: a for a in store.iter_articles()}
    assert sorted(by_url) == sorted(server.url(f"/a/{i}") for i in range(6))
    first = by_url[server.url("/a/0")]
    assert first.title == SEEDS[0][0] and first.published.isoformat() == DATES[0][:19]  # from the feed entry
    assert by_url[server.url("/a/5")].title == SEEDS[5][0]  # a sitemap gives no title: the page's own
    assert SEEDS[3][1][1][:60] in by_url[server.url("/a/3")].text


def test_second_poll_and_a_restart_send_conditional_requests(server, tmp_path):
    db = tmp_path / "s.db"
    sources = _site(server)
    _follower(db, sources).poll()
    again = _follower(db, sources).poll()  # a new process: validators and fetched pages come from the store
    assert again.not_modified == 3 and again.fetched == 0 and again.feeds == 1  # the index 304s; its sitemap re-read
    assert server.headers_of("/news.rss")[-1]["if-none-match"] == '"rss-1"'
    assert server.headers_of("/wire.atom")[-1]["if-modified-since"] == http_date()
    assert server.headers_of("/sitemap_index.xml")[-1]["if-none-match"] == '"index-1"'
    assert "if-none-match" not in server.headers_of("/news.rss")[0]
    assert server.hits("/sitemap.xml.gz") == 2  # listed by the unchanged index: still polled
    assert _page_hits(server) == {f"/a/{i}": 1 for i in range(6)}  # no page fetched twice
    assert again.seen == 3
    # the feed changes: a new ETag, one new item
    server.add("/copy/0", article_html(*SEEDS[0], DATES[0]))
    items = _pages(server)[:3] + [{"link": server.url("/copy/0"), "title": "Copy", "date": DATES[5]}]
    server.add("/news.rss", rss(items), content_type="application/rss+xml", etag='"rss-2"')
    third = _follower(db, sources).poll()
    assert third.fetched == 1 and third.not_modified == 2
    assert third.ingest.duplicates and not third.ingest.stored  # same text at another URL: one article
    assert SQLiteStore(db).count_articles() == 6


def test_back_off_on_503_then_200_honours_retry_after(server, tmp_path):
    items = _pages(server, 2)
    server.routes["/a/0"].script = [503, 503]
    server.routes["/a/0"].retry_after = "1"  # seconds: more than max_backoff_s (0.05), so capped
    server.add("/news.rss", rss(items), script=[429])  # no Retry-After: exponential, starting at backoff_s
    clock = FakeClock()
    report = _follower(tmp_path / "s.db", [server.url("/news.rss")], clock=clock).poll()
    assert not report.errors and len(report.ingest.stored) == 2
    assert server.hits("/news.rss") == 2 and server.hits("/a/0") == 3 and server.hits("/a/1") == 1
    assert clock.sleeps == [0.01, 0.05, 0.05]


def test_back_off_really_waits(server, tmp_path):
    """The follower's own fetcher (no fake clock): the wait is real, and short with the test settings."""
    server.add("/news.rss", rss(_pages(server, 1)), script=[503])
    pipeline = Pipeline(SQLiteStore(tmp_path / "s.db"), reuse=False, cluster=False, workers=1)
    cfg = dataclasses.replace(FAST, backoff_s=0.2, max_backoff_s=1.0)
    follower = Follower(pipeline, [server.url("/news.rss")], config=cfg)
    t0 = time.monotonic()
    report = follower.poll()
    assert time.monotonic() - t0 >= 0.2 and server.hits("/news.rss") == 2 and len(report.ingest.stored) == 1
    follower.close()


def test_retries_are_bounded_and_the_page_is_tried_again_next_poll(server, tmp_path):
    items = _pages(server, 2)
    server.routes["/a/1"].script = [503] * 5
    server.add("/news.rss", rss(items), etag='"v"')
    clock = FakeClock()
    db = tmp_path / "s.db"
    report = _follower(db, [server.url("/news.rss")], clock=clock).poll()
    assert server.hits("/a/1") == 3  # 1 + retries
    assert clock.sleeps == [0.01, 0.02]  # exponential back-off
    assert report.errors == [(items[1]["link"], "HTTP 503 Service Unavailable, 3 tries; tried again on the next poll")]
    assert len(report.ingest.stored) == 1
    second = _follower(db, [server.url("/news.rss")]).poll()  # feed 304, but the failed page was kept pending
    assert second.not_modified == 1 and second.fetched == 1 and len(second.ingest.stored) == 1
    assert server.hits("/a/1") == 6 and not second.errors


def test_same_page_from_two_feeds_fetched_and_stored_once(server, tmp_path):
    items = _pages(server, 2)
    server.add("/one.rss", rss(items))
    server.add("/two.atom", atom([dict(items[0], link=items[0]["link"] + "#comments"), items[1]]))
    server.add("/copy/1", article_html(*SEEDS[1], DATES[1]))  # same text, another URL
    server.add("/three.rss", rss([{"link": server.url("/copy/1"), "title": "Copy", "date": DATES[1]}]))
    follower = _follower(tmp_path / "s.db", [server.url(p) for p in ("/one.rss", "/two.atom", "/three.rss")])
    report = follower.poll()
    assert report.fetched == 3 and report.repeated == 2 and len(report.ingest.stored) == 2
    assert report.ingest.duplicates == [(server.url("/copy/1"), report.ingest.stored[1].article_id)]
    assert _page_hits(server) == {"/a/0": 1, "/a/1": 1, "/copy/1": 1}
    assert follower.store.count_articles() == 2


def test_non_html_is_skipped_and_not_fetched_again(server, tmp_path):
    items = _pages(server, 1)
    server.add("/report.pdf", b"%PDF-1.4 " + b"x" * 1000, content_type="application/pdf")
    server.add("/news.rss", rss(items + [{"link": server.url("/report.pdf"), "title": "Report"}]))
    db = tmp_path / "s.db"
    report = _follower(db, [server.url("/news.rss")]).poll()
    assert report.skipped == [(server.url("/report.pdf"), "not an HTML page (content type application/pdf)")]
    assert len(report.ingest.stored) == 1 and not report.errors
    again = _follower(db, [server.url("/news.rss")]).poll()
    assert server.hits("/report.pdf") == 1 and again.seen == 2 and not again.skipped


def test_over_size_pages_are_rejected_naming_the_url(server, tmp_path):
    items = _pages(server, 1)
    server.add("/announced", b"<html><body>" + b"x" * 300_000 + b"</body></html>")
    chunk = b"<p>" + b"word " * 13_000 + b"</p>\n"  # ~65 KB, sent 1,000 times without a Content-Length
    server.add("/endless", chunk, send_length=False, repeat=1000)
    links = [{"link": server.url(p), "title": p} for p in ("/announced", "/endless")]
    server.add("/news.rss", rss(items + links))
    report = _follower(tmp_path / "s.db", [server.url("/news.rss")]).poll()
    errors = dict(report.errors)
    assert errors[server.url("/announced")] == "too large: 300,026 bytes announced > limit 200,000"
    assert errors[server.url("/endless")] == "too large: more than the limit of 200,000 bytes (stopped reading)"
    assert server.sent["/endless"] < len(chunk) * 1000 // 2  # the reader hung up long before the end
    assert len(report.ingest.stored) == 1


def test_bad_content_encoding_is_an_error_not_a_crash(server, tmp_path):
    items = _pages(server, 1)
    server.add("/garbled", b"this is not gzip at all", headers={"Content-Encoding": "gzip"})
    server.add("/news.rss", rss(items + [{"link": server.url("/garbled"), "title": "garbled"}]))
    report = _follower(tmp_path / "s.db", [server.url("/news.rss")]).poll()
    ((url, reason),) = report.errors
    assert url == server.url("/garbled") and reason.startswith(f"bad response from {url} (DecodingError")
    assert len(report.ingest.stored) == 1 and server.hits("/garbled") == 1


def test_broken_feed_is_an_error_naming_it_and_earlier_entries_are_used(server, tmp_path):
    items = _pages(server, 3)
    text = rss(items)
    server.add("/broken.rss", text[: text.rindex("<item>") + 25])  # cut inside the third item
    report = _follower(tmp_path / "s.db", [server.url("/broken.rss")]).poll()
    ((source, reason),) = report.errors
    assert source == server.url("/broken.rss") and reason.startswith("broken XML at line ")
    assert "2 entries used, 1 unfinished entry dropped" in reason
    assert len(report.ingest.stored) == 2 and server.hits("/a/2") == 0


def test_not_a_feed_and_missing_feeds_are_errors(server, tmp_path):
    _pages(server, 1)
    report = _follower(
        tmp_path / "s.db", [server.url("/a/0"), server.url("/gone.rss"), str(tmp_path / "none.xml")]
    ).poll()
    assert report.errors == [
        (server.url("/a/0"), "not an RSS or Atom feed or an XML sitemap"),
        (server.url("/gone.rss"), "HTTP 404 Not Found"),
        (str(tmp_path / "none.xml"), "no such file (and not an http(s) URL)"),
    ]


def test_redirects_followed_up_to_the_limit(server, tmp_path):
    items = _pages(server, 2)
    for i in range(4):  # /r/0 -> /r/1 -> /r/2 -> /r/3 -> /a/0: four redirects, the limit is three
        server.add(f"/r/{i}", location=f"/r/{i + 1}" if i < 3 else "/a/0")
    server.add("/short", location="/a/1")
    server.add("/again", location="/a/1")
    links = [{"link": server.url(p), "title": p} for p in ("/r/0", "/short")]
    server.add("/news.rss", rss(links), etag='"1"')
    db = tmp_path / "s.db"
    report = _follower(db, [server.url("/news.rss")]).poll()
    assert report.errors == [(server.url("/r/0"), "too many redirects (more than 3)")]
    assert server.hits("/a/0") == 0 and server.hits("/r/3") == 1
    (stored,) = report.ingest.stored
    article = SQLiteStore(db).get_article(stored.article_id)
    assert article.url == items[1]["link"] and article.source == items[1]["link"]
    server.add("/news.rss", rss(links + [{"link": server.url("/again"), "title": "again"}]), etag='"2"')
    again = _follower(db, [server.url("/news.rss")]).poll()  # a redirect to a page already fetched
    assert again.seen == 3 and again.fetched == 0 and server.hits("/a/1") == 1


def test_max_pages_leaves_the_rest_for_the_next_polls(server, tmp_path):
    items = _pages(server, 5)
    server.add("/news.rss", rss(items), etag='"x"')
    db = tmp_path / "s.db"
    cfg = dataclasses.replace(FAST, max_pages=2, batch_pages=1)
    sources = [server.url("/news.rss")]
    counts = []
    for _ in range(4):  # a new follower each time: the pending links are kept in the store
        r = _follower(db, sources, config=cfg).poll()
        counts.append((r.fetched, r.deferred, r.not_modified))
    assert counts == [(2, 3, 0), (2, 1, 1), (1, 0, 1), (0, 0, 1)]
    assert _page_hits(server) == {f"/a/{i}": 1 for i in range(5)} and SQLiteStore(db).count_articles() == 5


def test_per_host_delay(server, tmp_path):
    _site(server)
    clock = FakeClock()
    cfg = dataclasses.replace(FAST, host_delay_s=1.5)
    report = _follower(tmp_path / "s.db", [server.url("/news.rss")], config=cfg, clock=clock).poll()
    assert report.fetched == 3
    assert clock.sleeps == [1.5, 1.5, 1.5]  # four requests to one host: three waits


def test_run_stops_on_the_event(server, tmp_path):
    server.add("/news.rss", rss(_pages(server, 1)))
    follower = _follower(tmp_path / "s.db", [server.url("/news.rss")])
    reports = []

    def on_report(r) -> None:
        reports.append(r)
        follower.stop.set()

    t = threading.Thread(target=follower.run, kwargs={"interval": 30.0, "on_report": on_report})
    t.start()
    t.join(10)
    assert not t.is_alive() and len(reports) == 1 and len(reports[0].ingest.stored) == 1


def test_cli_follow_once(server, tmp_path):
    items = _pages(server, 2)
    feed = tmp_path / "news.rss"
    feed.write_text(rss(items), encoding="utf-8")
    db = tmp_path / "s.db"
    runner = CliRunner()
    args = ["follow", str(feed), "--db", str(db), "--once", "--max-pages", "1", "--no-stories"]
    r = runner.invoke(app, [*args, "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert (data["fetched"], len(data["stored"]), data["deferred"], data["errors"]) == (1, 1, 1, [])
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "fetched 1 · stored 1" in r.output and "already fetched 1" in r.output
    server.add("/news.rss", "<rss><channel><item><title>x</title><link>")
    r = runner.invoke(app, ["follow", server.url("/news.rss"), "--db", str(db), "--once", "--no-stories"])
    assert r.exit_code == 1 and f"error {server.url('/news.rss')}: broken XML" in r.output
