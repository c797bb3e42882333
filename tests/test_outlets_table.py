"""Outlets from the text or the URL's registered domain, the store's outlet table (filled at ingest, edited
with `storyline outlets`), and the same page fetched twice stored once."""

from __future__ import annotations

import json
import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from storyline.cli import app
from storyline.config import Config
from storyline.model import Article, Outlet, RawDocument
from storyline.outlet_table import FIELDS, name_matches_domain, parse_changes, seed_name
from storyline.pipeline import Pipeline, near_copy
from storyline.store import SQLiteStore

runner = CliRunner()

BODY = (
    "The regional parliament approved the water reform on Thursday after a debate that lasted most of the night, "
    "ending a dispute that had divided the governing coalition for more than a year.\n\n"
    "Farmers' groups welcomed the decision, saying the new rules would give them a fairer share of the supply "
    "during dry summers, while environmental organisations said they would challenge it in court."
)


def _text(i: int) -> str:
    return BODY.replace("Thursday", f"Thursday, session {i},")


def _pipeline(store: SQLiteStore) -> Pipeline:
    return Pipeline(store, Config(), reuse=False, cluster=False, workers=1)


def _ingest(store: SQLiteStore, *docs: RawDocument):
    return _pipeline(store).ingest(list(docs))


def _stored(store: SQLiteStore, report) -> list[Article]:
    return [store.get_article(r.article_id) for r in report.stored]


def _doc(source: str, text: str, **meta: str) -> RawDocument:
    return RawDocument(source=source, text=text, meta=meta)


@pytest.fixture()
def store(tmp_path):
    s = SQLiteStore(tmp_path / "o.db")
    yield s
    s.close()


# ----------------------------------------------------------------------------- where the outlet comes from


def test_outlet_from_the_registered_domain_with_multi_part_suffixes(store):
    report = _ingest(
        store,
        _doc("a", _text(1), url="https://www.bbc.co.uk/news/world-123"),
        _doc("b", _text(2), url="https://www.smh.com.au/world/story-2?utm_source=rss"),
        _doc("c", _text(3), url="https://news.bbc.co.uk/2/hi/world/4"),
    )
    a, b, c = _stored(store, report)
    assert (a.outlet, b.outlet, c.outlet) == ("bbc.co.uk", "smh.com.au", "bbc.co.uk")
    assert b.url == "https://smh.com.au/world/story-2"
    rows = {o.name: o for o in store.list_outlets()}
    assert set(rows) == {"bbc.co.uk", "smh.com.au"} and rows["bbc.co.uk"].domains == ["bbc.co.uk"]
    assert rows["bbc.co.uk"].language == "en" and rows["bbc.co.uk"].country is None


def test_outlet_from_the_text_when_it_says_so(store):
    tass = "MOSCOW, January 22. /TASS/. " + _text(1)
    wire = "LONDON (Reuters) - " + _text(2)
    report = _ingest(
        store,
        _doc("t", tass, url="https://tass.com/politics/1"),  # the agency on its own site
        _doc("y", wire, url="https://news.yahoo.com/water-reform-1"),  # a wire story on a portal
        _doc("n", "PARIS (Reuters) - " + _text(3)),
    )  # no URL: the text's credit is all there is
    t, y, n = _stored(store, report)
    assert (t.outlet, t.outlet_from) == ("TASS", "text")
    assert (y.outlet, y.outlet_from) == ("yahoo.com", "table")  # the portal publishes it; it credits Reuters
    assert (n.outlet, n.outlet_from) == ("Reuters", "text")
    assert sorted(o.name for o in store.list_outlets()) == ["TASS", "yahoo.com"]


def test_outlet_given_with_the_input_or_by_the_page_names_a_new_row(store):
    page = (
        "<html><head><meta property='og:site_name' content='Harbour Gazette'>"
        "<link rel='canonical' href='https://www.harbourgazette.example.com/news/water-reform'></head>"
        f"<body><article><h1>Water reform</h1><p>{_text(2)}</p></article></body></html>"
    )
    report = _ingest(
        store,
        _doc("a", _text(1), url="https://example.org/a", outlet="Example Wire"),
        RawDocument(source="p.html", html=page, meta={"url": "https://amp.harbourgazette.example.com/x"}),
    )
    a, p = _stored(store, report)
    assert (a.outlet, a.outlet_from) == ("Example Wire", "input")
    assert (p.outlet, p.outlet_from) == ("Harbour Gazette", "page")
    assert p.url == "https://harbourgazette.example.com/news/water-reform"
    assert p.source == "p.html"
    assert {o.name: o.domains for o in store.list_outlets()} == {
        "Example Wire": ["example.org"],
        "Harbour Gazette": ["example.com"],
    }


def test_the_table_names_later_articles_of_a_domain(store):
    _ingest(store, _doc("a", _text(1), url="https://example.org/a", outlet="Example Wire"))
    report = _ingest(
        store,
        _doc("b", _text(2), url="https://www.example.org/b", outlet="EXAMPLE WIRE LTD"),
        _doc("c", "WASHINGTON (AP) - " + _text(3), url="https://m.example.org/c"),
    )
    assert [(a.outlet, a.outlet_from) for a in _stored(store, report)] == [("Example Wire", "table")] * 2
    assert len(store.list_outlets()) == 1


def test_name_matches_domain_and_seed_name():
    assert name_matches_domain("TASS", "tass.com") and name_matches_domain("AP", "apnews.com")
    assert name_matches_domain("BBC News", "bbc.co.uk") and name_matches_domain("Tasnim", "tasnimnews.com")
    assert name_matches_domain("Islamic Republic News Agency", "irna.ir")
    assert not name_matches_domain("Reuters", "yahoo.com") and not name_matches_domain("Reuters Gift", "ft.com")
    a = Article(id="x", source="s", paragraphs=["p"], outlet="Reuters", outlet_from="text")
    assert seed_name(a, "yahoo.com") == "yahoo.com" and seed_name(a, "reuters.com") == "Reuters"
    a.outlet_from = "page"
    assert seed_name(a, "yahoo.com") == "Reuters"


# ----------------------------------------------------------------------------- editing the table


def _cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_cli_lists_and_edits_the_table(tmp_path):
    db = tmp_path / "cli.db"
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"text": _text(1), "url": "https://www.example.com/news/1"}) + "\n", encoding="utf-8")
    assert _cli("ingest", feed, "--db", db, "--no-stories").exit_code == 0
    listed = json.loads(_cli("outlets", "--db", db, "--json").stdout)
    assert [(o["name"], o["domains"], o["articles"], o["in_table"]) for o in listed] == [
        ("example.com", ["example.com"], 1, True)
    ]

    r = _cli("outlets", "--db", db, "--set", "example.com", "name=Example News", "country=gb", "language=EN", "--json")
    assert r.exit_code == 0, r.output
    row = json.loads(r.stdout)
    assert (row["name"], row["country"], row["language"]) == ("Example News", "GB", "en")
    assert row["domains"] == ["example.com"]
    text = _cli("outlets", "--db", db)
    assert "Example News" in text.stdout and "GB" in text.stdout

    # articles ingested afterwards get the new name; the one stored before keeps its own
    feed.write_text(json.dumps({"text": _text(2), "url": "https://m.example.com/news/2"}) + "\n", encoding="utf-8")
    assert _cli("ingest", feed, "--db", db, "--no-stories").exit_code == 0
    with SQLiteStore(db) as s:
        assert sorted(a.outlet for a in s.iter_articles()) == ["Example News", "example.com"]

    # a second domain joins the outlet; a row left without domains goes
    assert _cli("outlets", "--db", db, "--set", "example.net", "name=Other").exit_code == 0
    r = _cli(
        "outlets", "--db", db, "--set", "https://www.example.com/x", "domains=example.com,www.example.net", "--json"
    )
    assert json.loads(r.stdout)["domains"] == ["example.com", "example.net"]
    listed = json.loads(_cli("outlets", "--db", db, "--json").stdout)
    assert [o["name"] for o in listed if o["in_table"]] == ["Example News"]
    # the article stored before the edit keeps its outlet: listed (from the network), not in the table
    assert [o["name"] for o in listed if not o["in_table"]] == ["example.com"]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--set", "example.com", "colour=red"], "unknown field 'colour'"),
        (["--set", "example.com", "country=Britain"], "country must be an ISO 3166-1 alpha-2 code"),
        (["--set", "example.com", "language=english"], "language must be an ISO 639 code"),
        (["--set", "example.com", "name="], "the name cannot be empty"),
        (["--set", "example.com", "name"], "expected FIELD=VALUE"),
        (["--set", "example.com"], "nothing to set"),
        (["--set", "localhost", "name=x"], "'localhost' is not a domain"),
        (["--set", "example.com", "domains=,"], "at least one domain"),
        (["name=x"], "needs --set DOMAIN"),
    ],
)
def test_cli_bad_edits_are_refused_with_the_reason(tmp_path, args, message):
    db = tmp_path / "bad.db"
    r = _cli("outlets", "--db", db, *args)
    assert r.exit_code == 2 and message in " ".join(r.output.split()), r.output
    with SQLiteStore(db) as s:
        assert s.list_outlets() == []  # nothing written


@given(
    st.text(min_size=1, max_size=12).filter(lambda k: k.strip() and "=" not in k and k.strip().lower() not in FIELDS),
    st.text(max_size=12),
)
def test_property_unknown_fields_always_refused(key, value):
    with pytest.raises(ValueError, match="unknown field"):
        parse_changes([f"{key}={value}"])


# ----------------------------------------------------------------------------- the same page fetched twice

CAPTION = "\n\nThe new canal near the northern farms, seen from the air on Friday morning."
UPDATE = (
    "Update: the regional court suspended the water reform on Saturday, a day after environmental groups filed "
    "their challenge, and ordered a hearing within two weeks.\n\n"
)


def test_same_page_from_two_url_variants_is_stored_once(store):
    first = _doc(
        "https://www.example.com/news/water-reform?utm_source=twitter",
        _text(1),
        url="https://www.example.com/news/water-reform?utm_source=twitter",
    )
    amp = _doc(
        "https://amp.example.com/news/water-reform/amp/",
        _text(1) + CAPTION,  # the AMP page, with a caption
        url="https://amp.example.com/news/water-reform/amp/",
    )
    report = _ingest(store, first, amp)
    assert len(report.stored) == 1 and store.count_articles() == 1
    kept = report.stored[0].article_id
    assert report.duplicates_with_reasons() == [(amp.source, kept, "same canonical URL")]
    assert store.get_article(kept).url == "https://example.com/news/water-reform"
    assert store.get_article(kept).source == first.source  # the fetched address stays the source

    # fetched again later, as the mobile page with its text updated: the first version is kept
    updated = _doc(
        "https://m.example.com/news/water-reform#comments",
        UPDATE + _text(1).split("\n\n")[0],
        url="https://m.example.com/news/water-reform#comments",
    )
    again = _ingest(store, updated)
    assert again.stored == [] and again.duplicates_with_reasons() == [(updated.source, kept, "same URL, updated text")]
    assert store.count_articles() == 1


def test_same_body_is_still_reported_as_same_text_and_other_urls_are_stored(store):
    report = _ingest(
        store,
        _doc("a", _text(1), url="https://example.com/news/a"),
        _doc("b", _text(1), url="https://example.com/news/b"),  # the same body elsewhere: same text
        _doc("c", _text(2), url="https://example.com/news/c"),
        _doc("d", _text(3), url="https://example.com/"),  # home pages are never one article
        _doc("e", _text(4), url="https://example.com/?page=2"),
    )
    assert [r.source for r in report.stored] == ["a", "c", "d", "e"]
    assert [(s, r) for s, _, r in report.duplicates_with_reasons()] == [("b", "same text")]


def test_html_pages_declaring_one_canonical_are_one_article(store):
    def page(extra: str) -> str:
        return (
            "<html><head><title>Water reform</title>"
            "<link rel=canonical href='https://www.example.com/news/water-reform'></head><body><article>"
            + "".join(f"<p>{p}</p>" for p in _text(1).split("\n\n"))
            + extra
            + "</article></body></html>"
        )

    report = _ingest(
        store,
        RawDocument(source="desktop.html", html=page(""), meta={"url": "https://www.example.com/n/1"}),
        RawDocument(
            source="amp.html", html=page(f"<p>{CAPTION.strip()}</p>"), meta={"url": "https://amp.example.com/n/1.amp"}
        ),
    )
    assert len(report.stored) == 1
    assert report.duplicates_with_reasons() == [("amp.html", report.stored[0].article_id, "same canonical URL")]
    assert store.get_article(report.stored[0].article_id).url == "https://example.com/news/water-reform"


def test_cli_reports_the_duplicate_reason(tmp_path):
    db = tmp_path / "d.db"
    feed = tmp_path / "feed.jsonl"
    rows = [
        {"text": _text(1), "url": "https://www.example.com/news/x"},
        {"text": _text(1) + CAPTION, "url": "https://example.com/news/x/?fbclid=abc"},
    ]
    feed.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    r = _cli("ingest", feed, "--db", db, "--no-stories")
    assert r.exit_code == 0 and "stored 1" in r.stderr and "duplicates 1" in r.stderr
    assert "(same canonical URL)" in r.stderr and "already stored as" in r.stderr
    data = json.loads(_cli("ingest", feed, "--db", db, "--no-stories", "--json").stdout)
    assert [d["reason"] for d in data["duplicates"]] == ["same text", "same canonical URL"]


def test_near_copy():
    a = _text(1).split("\n\n")
    assert near_copy(a, a + [CAPTION.strip()]) and near_copy(a, [p.upper() for p in a])
    assert not near_copy(a, (UPDATE + a[0]).split("\n\n"))
    assert not near_copy([], a)


# ----------------------------------------------------------------------------- old stores


def test_a_version_3_store_is_migrated_and_its_articles_load(tmp_path):
    from storyline.store.sqlite import MIGRATIONS

    path = tmp_path / "v3.db"
    db = sqlite3.connect(path)
    db.create_function("storyline_bucket", 1, lambda b: 0)
    db.create_function("storyline_article", 1, lambda a: a)
    for step in MIGRATIONS[:3]:
        db.executescript(step)
    db.execute("PRAGMA user_version=3")
    db.execute(
        "INSERT INTO articles(id, source, url, outlet, language, paragraphs, removed, ingested_at)"
        " VALUES ('0123456789abcdef', 'old.txt', 'https://www.example.com/news/x', 'Old Name', 'en', ?, '[]',"
        " ?)",
        (json.dumps(["An old article body with enough words in it."]), "2024-01-01T00:00:00+00:00"),
    )
    db.commit()
    db.close()
    with SQLiteStore(path) as s:
        old = s.get_article("0123456789abcdef")
        assert (old.outlet, old.notes, old.language_score, old.outlet_from) == ("Old Name", [], None, None)
        assert s.list_outlets() == []  # filled as articles arrive, not from old ones
        assert s.add_outlet(Outlet("Example", ["example.com"])).id is not None
        indexes = {r[0] for r in s._q("SELECT name FROM sqlite_master WHERE type='index'")}
        assert "articles_url" in indexes


@given(st.lists(st.sampled_from(["TASS", "Tasnim", "tass", "", None, "Reuters", "Le Monde"]), max_size=8))
def test_article_outlet_names_is_the_distinct_outlets_of_the_articles(outlets):
    """The SQLite query (used by `groups load` to name unmatched outlets) gives what a scan of the articles gives."""
    from storyline.store.base import Store

    store = SQLiteStore(":memory:")
    for i, o in enumerate(outlets):
        store.put_article(Article(id=f"a{i}", source=f"s{i}", paragraphs=[_text(i)], outlet=o))
    want = sorted({o for o in outlets if o})
    assert store.article_outlet_names() == want == Store.article_outlet_names(store)
