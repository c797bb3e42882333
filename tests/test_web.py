"""The web pages in real headless Chromium (Debian's chromium driven by Playwright; no browser download).

Screenshots go to test-artifacts/ (gitignored).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from _serve_data import HOSTILE, build_seed_store
from storyline.api import create_app, stored_analysis
from storyline.store import open_store
from storyline.text import article_sentences

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("STORYLINE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

if not Path(CHROMIUM).exists():
    pytest.skip(f"Chromium not found at {CHROMIUM} (install Debian's 'chromium' package; .ci/run does)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (the test extra) is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    db = tmp_path_factory.mktemp("web") / "seeds.db"
    ids = build_seed_store(db)
    app = create_app(db, analysis=stored_analysis)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started:
        assert thread.is_alive() and time.time() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", db, ids
    srv.should_exit = True
    thread.join(timeout=10)


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
