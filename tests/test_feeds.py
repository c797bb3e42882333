"""Feeds and sitemaps (storyline.feeds): RSS, Atom, sitemaps, indexes, .gz, broken XML; feed files given to ingest."""

from __future__ import annotations

import gzip
import json

import pytest
from feedutil import DATES, article_html, atom, gz, rss, seed_texts, sitemap, sitemap_index
from typer.testing import CliRunner

from storyline.cli import app
from storyline.config import IngestConfig
from storyline.feeds import NO_TEXT, FeedError, is_feed, parse_feed, read_feed_file
from storyline.ingest import read_inputs
from storyline.model import RawDocument, Rejection, Skipped
from storyline.pipeline import Pipeline
from storyline.store import SQLiteStore

SEEDS = seed_texts()


def _items(n: int, content: bool = False) -> list[dict]:
    out = []
    for i, (title, paras) in enumerate(SEEDS[:n]):
        it = {"link": f"http://news.example/a/{i}", "title": title, "date": DATES[i], "summary": paras[0][:120]}
        if content:
            it["content"] = "".join(f"<p>{p}</p>" for p in paras)
        out.append(it)
    return out


def test_rss_entries_link_title_date_summary_content():
    items = _items(3)
    items[0]["content"] = "<p>" + SEEDS[0][1][0] + "</p>"
    feed = parse_feed(rss(items).encode(), "news.rss")
    assert feed.kind == "rss" and feed.title == "Example News" and feed.error is None
    assert [e.link for e in feed.entries] == [it["link"] for it in items]
    e0, e1 = feed.entries[:2]
    assert e0.title == SEEDS[0][0] and e0.date == DATES[0] and e0.summary == items[0]["summary"]
    assert e0.content and SEEDS[0][1][0][:60] in e0.content
    assert e1.content is None  # only a description: no article text


def test_atom_entries_relative_links_resolved():
    items = _items(2)
    items[1]["link"] = "/a/relative"
    feed = parse_feed(atom(items).encode(), "wire.atom", base_url="http://wire.example/feeds/all.atom")
    assert feed.kind == "atom"
    assert [e.link for e in feed.entries] == ["http://news.example/a/0", "http://wire.example/a/relative"]
    assert feed.entries[0].date == DATES[0] and feed.entries[0].title == SEEDS[0][0]


def test_sitemap_news_extension_index_and_gzip():
    urls = [("http://news.example/a/0", "2022-01-22"), ("/a/1", None)]
    sm = sitemap(urls, news_titles={"/a/1": "Second"})
    feed = parse_feed(sm.encode(), "sitemap.xml", base_url="http://news.example/sitemap.xml")
    assert feed.kind == "sitemap"
    assert [(e.link, e.title, e.date) for e in feed.entries] == [
        ("http://news.example/a/0", None, "2022-01-22"),
        ("http://news.example/a/1", "Second", None),
    ]
    zipped = parse_feed(gz(sm), "sitemap.xml.gz", base_url="http://news.example/sitemap.xml.gz")
    assert [e.link for e in zipped.entries] == [e.link for e in feed.entries]
    index = parse_feed(sitemap_index(["http://news.example/s1.xml", "http://news.example/s2.xml.gz"]).encode(), "i")
    assert index.kind == "sitemapindex" and index.entries == []
    assert index.sitemaps == ["http://news.example/s1.xml", "http://news.example/s2.xml.gz"]


def test_gzip_bomb_and_bad_gzip_are_errors():
    bomb = gzip.compress(b"<urlset>" + b" " * 2_000_000 + b"</urlset>")
    with pytest.raises(FeedError, match="more than the limit of 1,000,000 bytes"):
        parse_feed(bomb, "big.xml.gz", max_bytes=1_000_000)
    with pytest.raises(FeedError, match="not valid gzip"):
        parse_feed(b"\x1f\x8b" + b"garbage" * 10, "bad.xml.gz")


def test_broken_rss_keeps_entries_before_the_break():
    text = rss(_items(4))
    cut = text.index("<item>", text.index("</item>", text.index("</item>") + 1)) + 40  # inside the third item
    feed = parse_feed(text[:cut].encode(), "cut.rss")
    assert [e.link for e in feed.entries] == ["http://news.example/a/0", "http://news.example/a/1"]
    assert feed.error.startswith("broken XML at line ")
    assert "2 entries used, 1 unfinished entry dropped" in feed.error


def test_undefined_entity_is_an_error_but_every_entry_is_used():
    text = rss(_items(3)).replace(escape_title := SEEDS[1][0].split()[0], escape_title + "&nbsp;", 1)
    feed = parse_feed(text.encode(), "entity.rss")
    assert "undefined entity" in feed.error and len(feed.entries) == 3


def test_broken_sitemap_keeps_entries_before_the_break():
    sm = sitemap([(f"http://news.example/a/{i}", None) for i in range(3)])
    cut = sm.index("http://news.example/a/2") + 10
    feed = parse_feed(sm[:cut].encode(), "cut.xml")
    assert [e.link for e in feed.entries] == ["http://news.example/a/0", "http://news.example/a/1"]
    assert feed.error.startswith("broken XML at line 5, column 21") and "2 entries before it used" in feed.error


def test_not_a_feed():
    page = article_html(*SEEDS[0], DATES[0])
    assert not is_feed(page.encode())
    assert not is_feed(b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body>x</body></html>')
    assert is_feed(b"\xef\xbb\xbf<?xml version='1.0'?><!-- c --><rss version='2.0'/>") and is_feed(gz(sitemap([])))
    with pytest.raises(FeedError, match="not an RSS or Atom feed or an XML sitemap"):
        parse_feed(page.encode(), "page.html")


def test_read_feed_file_documents_and_skipped():
    items = _items(3, content=True)
    del items[2]["content"]
    out = list(read_feed_file("news.rss", rss(items).encode(), IngestConfig()))
    docs = [o for o in out if isinstance(o, RawDocument)]
    skipped = [o for o in out if isinstance(o, Skipped)]
    assert len(docs) == 2 and len(skipped) == 1 and not [o for o in out if type(o) is Rejection]
    assert docs[0].source == items[0]["link"]
    assert docs[0].meta == {"url": items[0]["link"], "title": items[0]["title"], "date": DATES[0]}
    assert skipped[0].source == items[2]["link"] and skipped[0].reason == f"{NO_TEXT} (in news.rss)"


def _pipeline(db):
    return Pipeline(SQLiteStore(db), reuse=False, cluster=False, workers=1)


def test_ingest_feed_file_through_the_pipeline(tmp_path):
    items = _items(3, content=True)
    del items[2]["content"]
    path = tmp_path / "news.xml"
    path.write_text(rss(items), encoding="utf-8")
    pipeline = _pipeline(tmp_path / "s.db")
    report = pipeline.ingest(read_inputs([path]))
    assert report.read == 3 and len(report.stored) == 2 and not report.rejected
    assert [(s.source, s.reason) for s in report.skipped] == [(items[2]["link"], f"{NO_TEXT} (in {path})")]
    a = pipeline.store.get_article(report.stored[0].article_id)
    assert a.url == items[0]["link"] and a.title == items[0]["title"]
    assert a.published.isoformat() == DATES[0][:19] and SEEDS[0][1][1][:50] in a.text


def test_cli_ingest_feed_files(tmp_path):
    runner = CliRunner()
    good = tmp_path / "news.rss"
    good.write_text(rss(_items(2, content=True) + _items(3)[2:]), encoding="utf-8")
    zipped = tmp_path / "sitemap.xml.gz"
    zipped.write_bytes(gz(sitemap([("http://news.example/a/9", None)])))
    db = tmp_path / "s.db"
    r = runner.invoke(app, ["ingest", str(good), str(zipped), "--db", str(db), "--no-stories", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert len(data["stored"]) == 2 and data["rejected"] == []
    assert [s["source"] for s in data["skipped"]] == ["http://news.example/a/2", "http://news.example/a/9"]
    broken = tmp_path / "broken.rss"
    text = rss(_items(3, content=True))
    broken.write_text(text[: text.rindex("<item>") + 30], encoding="utf-8")
    r = runner.invoke(app, ["ingest", str(broken), "--db", str(db), "--no-stories"])
    assert r.exit_code == 1
    assert "duplicates 2" in r.output and f"rejected {broken}: broken XML at line" in r.output
