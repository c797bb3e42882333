"""Story analysis: assembly, copies from reuse edges, cache in the store and its invalidation, CLI."""

from __future__ import annotations

import json

import pytest
from seedutil import by_file, lexical_copies, seed_articles
from typer.testing import CliRunner

from storyline import analyze as analyze_mod
from storyline.analyze import StoryAnalyzer, analysis_for, analysis_version, copies_from_edges
from storyline.cli import app
from storyline.config import Config
from storyline.embed import get_embedder
from storyline.model import ReuseEdge, Story
from storyline.store import SQLiteStore


def _edge(src, dst, rel, conf=0.9):
    return ReuseEdge(
        source_id=src,
        target_id=dst,
        relation=rel,
        confidence=conf,
        source_coverage=1.0,
        target_coverage=1.0,
        direction_rule="date",
        direction_confidence=1.0,
    )


def test_copies_from_edges():
    edges = [
        _edge("a", "b", "rewrite"),
        _edge("a", "c", "near-duplicate", 0.5),
        _edge("d", "c", "exact-duplicate", 0.99),  # the more confident original wins
        _edge("a", "e", "partial-reuse"),  # not a copy
        _edge("a", "f", "independent"),
        _edge("x", "a", "rewrite"),  # leaves the story
    ]
    assert copies_from_edges(edges, ["a", "b", "c", "d", "e", "f"]) == {"b": "a", "c": "d"}
    cyc = copies_from_edges([_edge("a", "b", "rewrite"), _edge("b", "a", "rewrite")])
    assert len(cyc) == 1


@pytest.fixture(scope="module")
def embedder():
    return get_embedder()


@pytest.fixture()
def store(tmp_path):
    s = SQLiteStore(tmp_path / "a.db")
    arts = list(seed_articles())
    with s.transaction():
        for a in arts:
            s.put_article(a)
        s.save_story(Story(id="story1", article_ids=[a.id for a in arts]))
    yield s
    s.close()


def test_analyze_uses_edges_as_copies(embedder):
    arts = list(seed_articles())
    copies = lexical_copies(arts)
    ((copy_id, orig_id),) = copies.items()
    story = Story(id="s", article_ids=[a.id for a in arts])
    result = StoryAnalyzer(Config(), embedder).analyze(story, arts, [_edge(orig_id, copy_id, "rewrite")])
    assert result.story_id == "s" and result.claims and result.summary
    marked = [c for s in result.summary for c in s.citations if c.article_id == copy_id]
    assert marked and all(c.copy_of == orig_id for c in marked)
    only_pair = [g for g in result.claims if {c.article_id for c in g.claims} == {copy_id, orig_id}]
    assert only_pair and all(g.kind == "unique" for g in only_pair)


def test_analysis_cache_and_invalidation(store, embedder, monkeypatch):
    calls = []
    real = StoryAnalyzer.analyze

    def counting(self, story, articles, edges):
        calls.append((len(articles), len(edges)))
        return real(self, story, articles, edges)

    monkeypatch.setattr(StoryAnalyzer, "analyze", counting)
    first = analysis_for(store, "story1", embedder=embedder)
    assert first is not None and first.summary and first.claims
    assert len(calls) == 1
    version1, cached = store.get_analysis("story1")
    again = analysis_for(store, "story1", embedder=embedder)
    assert len(calls) == 1  # served from the cache
    assert [s.text for s in again.summary] == [s.text for s in first.summary]
    # a new copy edge changes the story's state -> recomputed, copies now count once
    copy_id, orig_id = by_file("000").id, by_file("001").id
    store.put_edges([_edge(orig_id, copy_id, "rewrite")])
    analysis_for(store, "story1", embedder=embedder)
    assert calls[-1] == (5, 1)
    version2 = store.get_analysis("story1")[0]
    assert version2 != version1
    # the story loses an article -> recomputed again
    story = store.get_story("story1")
    story.article_ids = [a for a in story.article_ids if a != by_file("004").id]
    store.save_story(story)
    third = analysis_for(store, "story1", embedder=embedder)
    assert len(calls) == 3 and calls[-1][0] == 4
    assert all(c.article_id != by_file("004").id for s in third.summary for c in s.citations)
    assert analysis_for(store, "no-such-story", embedder=embedder) is None


def test_version_depends_on_articles_edges_and_settings():
    v = analysis_version(["a", "b"], [], Config())
    assert v == analysis_version(["b", "a"], [], Config())
    assert v != analysis_version(["a"], [], Config())
    assert v != analysis_version(["a", "b"], [_edge("a", "b", "rewrite")], Config())
    cfg = Config()
    cfg.analysis.summary_words = 50
    assert v != analysis_version(["a", "b"], [], cfg)


def test_cli_analyze(store, embedder, monkeypatch, tmp_path):
    monkeypatch.setattr(analyze_mod, "StoryAnalyzer", lambda config, _=None: StoryAnalyzer(config, embedder))
    db = tmp_path / "a.db"
    runner = CliRunner()
    res = runner.invoke(app, ["analyze", "story1", "--db", str(db), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    numbers = {a["id"]: a["number"] for a in data["articles"]}
    assert len(numbers) == 5 and data["summary"] and data["claims"]
    res = runner.invoke(app, ["analyze", "story1", "--db", str(db)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    for heading in ("Summary", "Timeline", "Quotes by speaker", "Agreement and difference", "Sources"):
        assert heading in res.stdout
    first = data["summary"][0]
    cites = sorted({numbers[c["article_id"]] for c in first["citations"]})
    assert "[" + ",".join(map(str, cites)) + "]" in res.stdout
    assert runner.invoke(app, ["analyze", "nope", "--db", str(db)]).exit_code == 2
