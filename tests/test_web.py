"""The web pages in real headless Chromium (Debian's chromium driven by Playwright; no browser download).

Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest
from _serve_data import HOSTILE, build_seed_store

from storyline.api import create_app, stored_analysis
from storyline.store import open_store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("STORYLINE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"Chromium not found at {CHROMIUM} (install Debian's 'chromium' package; .ci/run does)", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (the test extra) is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(db: Path):
    """A real server on loopback over ``db``: yields its base URL."""
    import uvicorn

    app = create_app(db, analysis=stored_analysis)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started:
        assert thread.is_alive() and time.time() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("web") / "seeds.db"
    ids = build_seed_store(db)
    for base in _serve(db):
        yield base, db, ids


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    dialogs, errors, blocked = [], [], []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    pg.dialogs, pg.errors, pg.csp = dialogs, errors, blocked  # type: ignore[attr-defined]
    yield pg
    ctx.close()


def test_story_flow(server, page):
    base, db, ids = server
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(base + "/")
    rows = page.locator("tr.story-row")
    assert rows.count() == 1
    assert "5" in rows.first.locator("td.num").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "index.png"), full_page=True)

    rows.first.locator("a.story-link").click()
    page.wait_for_url(f"**/story/{ids['story_id']}")
    assert page.locator("#summary .sum-sentence").count() == 3

    # click the first citation: the popover shows the cited sentence, from its article
    aid, idx, text = ids["summary_cite"]
    pop = page.locator("#popover")
    assert pop.is_hidden()
    page.locator("#summary button.cite").first.click()
    pop.wait_for(state="visible")
    assert text in pop.locator(".pop-text").inner_text()
    assert "TASS" in pop.locator(".pop-outlet").inner_text()
    assert pop.locator("a.pop-link").get_attribute("href") == f"/article/{aid}#s{idx}"
    page.screenshot(path=str(ARTIFACTS / "story-citation.png"), full_page=False)

    # the coverage grid: rows are claims, columns outlets, consensus and unique both visible
    grid = page.locator("#coverage-grid")
    assert grid.is_visible()
    headers = grid.locator("th.outlet-h").all_inner_texts()
    assert {"TASS", "Tasnim", "EIRNS", "The Frontier Post"} <= set(headers) and len(headers) == 5
    assert grid.locator("tr.claim.consensus").count() == 1 and grid.locator("tr.claim.unique").count() == 2
    assert grid.locator("tr.claim.unique").first.locator("td.cell.yes").count() == 1
    assert grid.locator("tr.claim.consensus td.cell.yes").count() == 3

    # the provenance graph is drawn: an SVG with arrows between boxes
    svg = page.locator("svg#provenance-graph")
    svg.scroll_into_view_if_needed()
    assert svg.is_visible()
    assert svg.locator("g.edge path.edge-line").count() == ids["edges"]
    assert svg.locator("a.node").count() == 5
    box = svg.locator("g.edge").first.bounding_box()
    assert box and box["width"] > 10 and box["height"] > 10
    assert set(svg.locator("text.edge-label").all_text_contents()) == {"rewrite", "partial-reuse"}
    page.screenshot(path=str(ARTIFACTS / "story.png"), full_page=True)

    # open the cited article at the cited sentence
    if not pop.is_visible():
        page.locator("#summary button.cite").first.click()
    page.locator("#popover a.pop-link").click()
    page.wait_for_url(f"**/article/{aid}#s{idx}")
    target = page.locator(f"#s{idx}")
    assert target.inner_text().strip() == text
    assert page.evaluate("() => location.hash") == f"#s{idx}"
    assert page.locator("details.removed").count() == 1
    assert not page.locator("details.removed table").is_visible()  # folded
    page.locator("details.removed summary").click()
    assert page.locator("details.removed table").is_visible()

    # the copy (Tasnim) shows its reused sentences highlighted with links to the source
    page.goto(base + f"/article/{ids['tasnim']}")
    assert page.locator("mark.reused").count() >= 10
    link = page.locator("a.src-link").first
    assert link.get_attribute("href").startswith(f"/article/{ids['tass']}#s")
    page.screenshot(path=str(ARTIFACTS / "article.png"), full_page=True)
    assert not page.dialogs and not page.errors and not page.csp  # type: ignore[attr-defined]


def test_hostile_article_renders_inert(server, page):
    base, db, ids = server
    import httpx

    r = httpx.post(base + "/articles", json=HOSTILE, timeout=30)
    assert r.status_code == 201
    aid = r.json()["results"][0]["id"]
    page.goto(base + f"/article/{aid}")
    page.wait_for_load_state("load")
    body = page.locator("#article-body").inner_text()
    assert "<script>alert(1)</script>" in body and "'); DROP TABLE articles;--" in body
    assert page.locator("#article-body script, #article-body img, #article-body a[href^='javascript']").count() == 0
    assert page.locator("h1").inner_text().startswith("<script>")
    assert page.locator("a[href^='javascript']").count() == 0
    page.goto(base + "/")
    assert page.locator("#latest-articles").inner_text().count("<script>alert('title')</script>") == 1
    page.goto(base + "/?q=" + "%3Cscript%3Ealert(1)%3C%2Fscript%3E")  # search finds it; the result list is inert too
    assert page.locator("#latest-articles li").count() == 1
    assert page.locator("input[name=q]").input_value() == "<script>alert(1)</script>"
    time.sleep(0.2)
    page.screenshot(path=str(ARTIFACTS / "hostile.png"), full_page=True)
    assert page.dialogs == [] and page.errors == []  # type: ignore[attr-defined]
    with open_store(db) as store:
        assert store.count_articles() == 6 and store.get_story(ids["story_id"]) is not None


# --------------------------------------------------------------------------- the outlet network

HOSTILE_OUTLET = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def network_server(tmp_path_factory):
    """The seeds, plus an article of an outlet named like a script that nearly duplicates TASS's, one day
    later, in the seeds' story."""
    import dataclasses
    from datetime import datetime

    from storyline.model import Article, ReuseEdge

    db = tmp_path_factory.mktemp("web-net") / "seeds.db"
    ids = build_seed_store(db)
    with open_store(db) as store:
        tass = store.get_article(ids["tass"])
        copy = Article(
            id="hostile0outlet01",
            source="hostile-outlet",
            paragraphs=list(tass.paragraphs),
            title="A copy <b>of</b> TASS",
            outlet=HOSTILE_OUTLET,
            published=datetime(2022, 1, 23),
            date_precision="day",
        )
        with store.transaction():
            store.put_article(copy)
            store.put_edges([ReuseEdge(tass.id, copy.id, "near-duplicate", 0.97, 1.0, 1.0, "date", 0.9)])
            story = store.get_story(ids["story_id"])
            store.save_story(
                dataclasses.replace(
                    story, article_ids=[*story.article_ids, copy.id], outlets=sorted({*story.outlets, HOSTILE_OUTLET})
                )
            )
    ids["hostile_copy"] = copy.id
    for base in _serve(db):
        yield base, db, ids


def _network_of(db: Path) -> tuple[set[str], set[tuple[str, str]]]:
    """Outlets and (source outlet, copier outlet) pairs, read from the store's articles and edges."""
    with open_store(db) as store:
        arts = {a.id: a.outlet or "(unknown)" for a in store.iter_articles()}
        pairs = {
            (arts[e.source_id], arts[e.target_id])
            for aid in arts
            for e in store.edges_for(aid)
            if e.relation != "independent" and arts[e.source_id] != arts[e.target_id]
        }
    return set(arts.values()), pairs


def _no_script_ran(page) -> None:
    assert page.locator("script:not([src='/static/app.js'])").count() == 0  # no script element but ours
    assert not page.dialogs and not page.errors and not page.csp  # type: ignore[attr-defined]


def test_outlet_network_pages(network_server, page):
    base, db, ids = network_server
    ARTIFACTS.mkdir(exist_ok=True)
    outlets, pairs = _network_of(db)
    assert len(outlets) == 6 and len(pairs) == 3  # TASS -> Tasnim, The Frontier Post, the hostile outlet

    page.goto(base + "/")
    page.locator("header nav a", has_text="Outlets").click()
    page.wait_for_url("**/network")
    svg = page.locator("svg#outlet-network")
    assert svg.is_visible()
    nodes = svg.locator("a.net-node")
    assert nodes.count() == len(outlets)
    assert set(svg.locator("text.net-label").all_text_contents()) == outlets  # the hostile name shown as text
    edges = svg.locator("g.net-edge")
    assert edges.count() == len(pairs)
    assert {
        (edges.nth(i).get_attribute("data-source"), edges.nth(i).get_attribute("data-copier"))
        for i in range(edges.count())
    } == pairs
    for i in range(edges.count()):  # each arrow is drawn, with its head
        assert edges.nth(i).locator("path.net-edge-line").get_attribute("marker-end") == "url(#net-arrow)"
        box = edges.nth(i).bounding_box()
        assert box and max(box["width"], box["height"]) > 20
    # nodes are sized by articles: the biggest outlet has the widest disc
    radii = {
        nodes.nth(i).get_attribute("data-outlet"): float(nodes.nth(i).locator("circle").get_attribute("r"))
        for i in range(nodes.count())
    }
    assert set(radii) == outlets and len(set(radii.values())) == 1  # one article each: equal discs
    table = page.locator("#outlet-table tr.outlet-row")
    assert table.count() == len(outlets)
    assert HOSTILE_OUTLET in page.locator("#outlet-table").inner_text()
    page.screenshot(path=str(ARTIFACTS / "outlets.png"), full_page=True)
    _no_script_ran(page)
    import httpx

    html = httpx.get(base + "/network", timeout=30).text  # as sent: the name escaped, never markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and HOSTILE_OUTLET not in html

    # TASS's page: taken by three outlets, the hostile one a day later
    svg.locator("a.net-node[data-outlet='TASS']").click()
    page.wait_for_url("**/outlet/TASS")
    assert page.locator("h1#outlet-name").inner_text() == "TASS"
    copiers = page.locator("#copiers-table tr.pair-row")
    assert copiers.count() == 3 and page.locator("#sources-table").count() == 0
    row = copiers.filter(has_text=HOSTILE_OUTLET)
    assert row.locator("td.lag").inner_text() == "24 h"
    page.screenshot(path=str(ARTIFACTS / "outlet.png"), full_page=True)
    row.locator("a.outlet-link").click()
    page.wait_for_load_state("load")
    assert page.locator("h1#outlet-name").inner_text() == HOSTILE_OUTLET
    (src,) = page.locator("#sources-table tr.pair-row").all()
    assert src.locator("a.outlet-link").inner_text() == "TASS"
    page.goto(base + "/outlet/No%20Such%20Wire")
    assert "No outlet here" in page.locator("main").inner_text()
    _no_script_ran(page)


def test_story_coverage_chart(network_server, page):
    base, db, ids = network_server
    ARTIFACTS.mkdir(exist_ok=True)
    with open_store(db) as store:
        story = store.get_story(ids["story_id"])
        arts = store.get_articles(story.article_ids)
    want = {(a.outlet or "(unknown)", a.published.date().isoformat() if a.published else "undated") for a in arts}
    first = min((a for a in arts if a.published), key=lambda a: (a.published, a.seq))
    page.goto(base + f"/story/{ids['story_id']}")
    chart = page.locator("svg#coverage-chart")
    chart.scroll_into_view_if_needed()
    assert chart.is_visible()
    cells = chart.locator("g.cov-cell")
    assert cells.count() == len(want) == len(arts)  # one article per outlet and day here
    assert {
        (cells.nth(i).get_attribute("data-outlet"), cells.nth(i).get_attribute("data-day"))
        for i in range(cells.count())
    } == want
    assert set(chart.locator("g.cov-cell text").all_text_contents()) == {"1"}
    assert chart.locator("a.cov-outlet").count() == len({o for o, _ in want})
    box = cells.first.locator("rect").bounding_box()
    assert box and box["width"] > 20 and box["height"] > 10
    assert HOSTILE_OUTLET in chart.locator("a.cov-outlet").all_text_contents()
    fr = page.locator("#first-report")
    assert first.outlet in fr.inner_text() and fr.locator(f"a[href='/article/{first.id}']").count() == 1
    page.locator("#outlet-coverage").screenshot(path=str(ARTIFACTS / "story-coverage.png"))
    # the story's outlets link to their pages (the hostile name quoted in the URL)
    link = page.locator("article.story > p.muted a.outlet-link", has_text=HOSTILE_OUTLET)
    assert link.get_attribute("href") == "/outlet/%3Cscript%3Ealert%281%29%3C%2Fscript%3E"
    link.click()
    page.wait_for_load_state("load")
    assert page.locator("h1#outlet-name").inner_text() == HOSTILE_OUTLET
    _no_script_ran(page)
