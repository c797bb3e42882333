"""Story clustering: seeds -> one story with three events, stability, merges, copies, time, CLI."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from conftest import SEEDS, SHARED
from hypothesis import given, settings
from hypothesis import strategies as st

from storyline import Pipeline, open_store
from storyline.cluster import ClusterStage, StoryClusterer, default_weights, embed_text, extract_entities
from storyline.cluster import Group as _Group
from storyline.config import ClusterConfig, EmbedConfig
from storyline.embed import get_embedder
from storyline.model import Article, content_id
from storyline.pipeline import ArticleResult

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the checkout (CI), or one level further up for a git worktree
_SHARED = next((p for p in (SHARED, ROOT.parent.parent / "shared") if (p / "data" / "duc2004" / "docs").exists()), None)
DUC = _SHARED / "data" / "duc2004" / "docs" if _SHARED else None


@pytest.fixture(scope="module")
def embedder():
    return get_embedder(EmbedConfig(backend="static"))


@pytest.fixture(scope="module")
def seed_articles() -> list[Article]:
    """The seeds cleaned by the pipeline (no later stages), in file order."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        store = open_store(Path(d) / "s.db")
        Pipeline(store, reuse=False, cluster=False).ingest_paths([str(SEEDS)])
        arts = list(store.iter_articles())
        store.close()
    return arts


def _prefix(a: Article) -> str:
    return Path(a.source).name[:3]


def _redate(a: Article, when: datetime | None, suffix: str = "") -> Article:
    paras = list(a.paragraphs)
    if suffix:
        paras = paras + [suffix]
    return dataclasses.replace(
        a,
        id=content_id(paras) if suffix else a.id,
        paragraphs=paras,
        published=when,
        date_precision="day" if when else None,
    )


# --------------------------------------------------------------------------- the bundled example


def test_seeds_one_story_three_events(tmp_path):
    store = open_store(tmp_path / "s.db")
    report = Pipeline(store).ingest_paths([str(SEEDS)])
    assert len(report.stored) == 5
    stories = store.list_stories()
    assert len(stories) == 1
    story = stories[0]
    by_id = {a.id: _prefix(a) for a in store.iter_articles()}
    assert sorted(by_id[a] for a in story.article_ids) == ["000", "001", "002", "003", "004"]
    # the request to keep the reply secret; the reply delivered; the reply leaked and published
    events = [sorted(by_id[a] for a in e.article_ids) for e in story.events]
    assert events == [["000", "001", "002"], ["003"], ["004"]]
    assert [e.start.date().isoformat() for e in story.events] == ["2022-01-22", "2022-01-26", "2022-02-02"]
    assert all(e.title for e in story.events) and story.title
    assert {"TASS", "EIRNS"} <= set(story.outlets)
    assert story.first_date.date().isoformat() == "2022-01-22" and story.last_date.date().isoformat() == "2022-02-02"
    ents = " ".join(story.entities).lower()
    assert "russia" in ents and ("nato" in ents or "washington" in ents)
    # every result got its story and event, and the store agrees
    for r in report.stored:
        assert r.story_id == story.id and r.event_id in {e.id for e in story.events}
        assert store.story_of(r.article_id) == story.id
    store.close()


def test_same_input_same_ids_and_state_roundtrip(tmp_path, seed_articles):
    # two fresh stores, same input in the same order -> same ids
    runs = []
    for name in ("a", "b"):
        store = open_store(tmp_path / f"{name}.db")
        report = Pipeline(store).ingest_paths([str(SEEDS)])
        runs.append([(r.article_id, r.story_id, r.event_id) for r in report.stored])
        store.close()
    assert runs[0] == runs[1]
    # the same stream split over two processes (state saved in the store, loaded again) gives the same result
    store = open_store(tmp_path / "c.db")
    files = sorted(SEEDS.glob("*.txt"))
    Pipeline(store).ingest_paths([str(p) for p in files[:2]])
    store.close()
    store = open_store(tmp_path / "c.db")
    Pipeline(store).ingest_paths([str(p) for p in files[2:]])
    split = [(a.id, store.story_of(a.id)) for a in store.iter_articles()]
    assert split == [(aid, sid) for aid, sid, _ in runs[0]]
    store.close()


def test_state_bytes_roundtrip(embedder, seed_articles):
    c = StoryClusterer(ClusterConfig(), embedder)
    c.partial_fit(seed_articles[:3])
    c2 = StoryClusterer.from_bytes(c.to_bytes(), ClusterConfig(), embedder)
    assert [dataclasses.asdict(s) for s in c2.stories()] == [dataclasses.asdict(s) for s in c.stories()]
    a1 = c.partial_fit(seed_articles[3:])
    a2 = c2.partial_fit(seed_articles[3:])
    assert [(x.story_id, x.event_id) for x in a1] == [(x.story_id, x.event_id) for x in a2]


# --------------------------------------------------------------------------- separation and time


_FLOOD = [
    "Heavy rain flooded the river valley around Marlow Creek on Tuesday, forcing 2,000 residents from their homes. "
    "Emergency crews used boats to reach farms cut off by the water, the county sheriff said.",
    "The Marlow Creek flood crested overnight as the county opened three shelters for evacuated residents. "
    "The sheriff said boats rescued 40 people from flooded farms in the river valley.",
    "Farmers in the Marlow Creek valley began counting losses as the flood water receded. "
    "County officials estimated crop damage at $12 million and kept two shelters open for residents.",
]


def _flood_articles(start: datetime) -> list[Article]:
    out = []
    for i, text in enumerate(_FLOOD):
        paras = [text]
        out.append(
            Article(
                id=content_id(paras),
                source=f"flood{i}",
                paragraphs=paras,
                outlet=f"Local {i}",
                published=start + timedelta(days=i),
            )
        )
    return out


def _duc_clusters(n: int) -> list[list[Article]]:
    names = sorted(p.name for p in DUC.iterdir() if p.is_dir())[1::2][:n]  # from the half not used for tuning
    out = []
    for name in names:
        arts = []
        for f in sorted((DUC / name).glob("*.txt"), key=lambda p: int(p.stem[1:])):
            paras = [" ".join(f.read_text(errors="replace").split())]
            arts.append(Article(id=content_id(paras), source=str(f), paragraphs=paras, outlet=name))
        out.append(arts)
    return out


def test_two_interleaved_stories_stay_apart(embedder, seed_articles):
    start = datetime(2022, 1, 22)
    if DUC is not None:
        groups = _duc_clusters(2)
    else:  # without ../shared: the seeds beside a story built here
        groups = [seed_articles, _flood_articles(start)]
    stream, gold = [], {}
    for i in range(max(len(g) for g in groups)):
        for gi, g in enumerate(groups):
            if i < len(g):
                stream.append(_redate(g[i], start + timedelta(days=i)))
                gold[g[i].id] = gi
    c = StoryClusterer(ClusterConfig(), embedder)
    out = c.partial_fit(stream)
    story_of = {a.article_id: a.story_id for a in out}
    for sid in set(story_of.values()):
        members = {gold[a] for a, s in story_of.items() if s == sid}
        assert len(members) == 1, "a story mixes the two unrelated stories"
    for gi, g in enumerate(groups):
        sizes = sorted((sum(1 for a in g if story_of[a.id] == s) for s in {story_of[a.id] for a in g}), reverse=True)
        assert sizes[0] >= 0.7 * len(g), f"story {gi} is scattered: {sizes}"


def test_story_resumes_after_long_quiet(embedder, seed_articles):
    by = {_prefix(a): a for a in seed_articles}
    c = StoryClusterer(ClusterConfig(), embedder)
    first = c.partial_fit([_redate(by["001"], datetime(2022, 1, 22)), _redate(by["003"], datetime(2022, 1, 26))])
    sid = first[0].story_id
    # an unrelated story in between
    flood = c.partial_fit(_flood_articles(datetime(2022, 2, 10)))
    assert all(a.story_id != sid for a in flood)
    # ten weeks of quiet, then a report with clearly the same content: it joins the old story
    later = _redate(by["000"], datetime(2022, 4, 5))
    back = c.partial_fit([later])[0]
    assert back.story_id == sid and not back.new_story
    # ...as a new event (weeks later), and the story's span grows
    assert back.event_id not in {a.event_id for a in first}
    story = c.story(sid)
    assert story.last_date.date().isoformat() == "2022-04-05"
    assert [e.start.date().isoformat() for e in story.events][-1] == "2022-04-05"


@settings(max_examples=25, deadline=None)
@given(gap=st.floats(min_value=0.0, max_value=400.0), extra=st.floats(min_value=0.1, max_value=400.0))
def test_quiet_story_is_a_weaker_candidate(gap, extra):
    c = StoryClusterer(ClusterConfig(), None)
    assert c._time_penalty(gap) <= c._time_penalty(gap + extra)
    assert c._time_penalty(0.0) == 0.0 and c._time_penalty(gap + extra) > 0


def test_time_gap_lowers_the_score(embedder, seed_articles):
    c = StoryClusterer(ClusterConfig(), embedder)
    a, b = seed_articles[1], seed_articles[3]
    ea, eb = embedder.encode([embed_text(a), embed_text(b)])
    g = _Group("g", 0, c.dim)
    c._add_to_group(g, c._doc(_redate(a, datetime(2022, 1, 22)), ea), 128, 48, 6)
    near, _ = c.score(c._doc(_redate(b, datetime(2022, 1, 23)), eb), g)
    far, _ = c.score(c._doc(_redate(b, datetime(2022, 6, 23)), eb), g)
    assert far < near


# --------------------------------------------------------------------------- merges and copies


def test_merge_keeps_old_id_resolvable(tmp_path, embedder, seed_articles):
    by = {_prefix(a): a for a in seed_articles}
    a, b = _redate(by["003"], datetime(2022, 1, 26)), _redate(by["004"], datetime(2022, 1, 27))
    bridge_paras = a.paragraphs + b.paragraphs
    bridge = Article(
        id=content_id(bridge_paras), source="bridge", paragraphs=bridge_paras, published=datetime(2022, 1, 27)
    )
    cfg = ClusterConfig(story_threshold=0.5, merge_threshold=0.9)  # strict: a and b alone stay apart
    store = open_store(tmp_path / "m.db")
    stage = ClusterStage(cfg, embedder)
    for art in (a, b, bridge):
        assert store.put_article(art)
        res = {art.id: ArticleResult(article_id=art.id, source=art.source)}
        out = stage.process([art], store, res)
        stage._base_size = 10**9  # after the first full write, save the merge as deltas
    sid_a, sid_b = "s-" + a.id, "s-" + b.id
    assert out[0].merged == [(sid_b, sid_a)]  # the younger story merged into the older
    merged = store.get_story(sid_b)
    assert merged is not None and merged.id == sid_a
    assert set(merged.article_ids) == {a.id, b.id, bridge.id}
    assert store.resolve_story_id(sid_b) == sid_a
    assert store.count_stories() == 1
    assert all(store.story_of(x.id) == sid_a for x in (a, b, bridge))
    # a fresh process (state from the store) still knows the alias
    stage2 = ClusterStage(cfg, embedder)
    clusterer = stage2._ensure_loaded(store)
    assert clusterer.resolve(sid_b) == sid_a
    assert ClusterStage._deltas(store)[0] == 2 and _global_state(clusterer) == _global_state(stage.clusterer)
    store.close()


def test_copies_join_their_original_without_counting(embedder, seed_articles):
    orig = _redate(seed_articles[1], datetime(2022, 1, 22))
    copy = Article(
        id="f" * 16, source="copy", paragraphs=list(orig.paragraphs), outlet="Copycat", published=datetime(2022, 1, 23)
    )
    c = StoryClusterer(ClusterConfig(), embedder)
    c.partial_fit([orig])
    before = c._groups[0].emb.copy()
    out = c.partial_fit([copy], copies={copy.id: orig.id})[0]
    assert out.copy_of == orig.id and out.story_id == "s-" + orig.id and not out.new_story
    story = c.story(out.story_id)
    assert copy.id in story.article_ids and copy.id in story.events[0].article_ids
    assert "Copycat" not in story.outlets  # not independent coverage
    assert np.array_equal(before, c._groups[0].emb)  # centroid unchanged


def test_stage_reads_copies_from_results(tmp_path, embedder, seed_articles):
    orig = seed_articles[1]
    copy = Article(id="e" * 16, source="copy", paragraphs=list(seed_articles[3].paragraphs), outlet="Copycat")
    store = open_store(tmp_path / "c.db")
    stage = ClusterStage(ClusterConfig(story_threshold=0.99), embedder)  # content alone would not join them
    for art, copies in ((orig, []), (copy, [{"source_id": orig.id, "relation": "near-duplicate", "confidence": 0.97}])):
        store.put_article(art)
        res = {art.id: ArticleResult(article_id=art.id, source=art.source, copies_of=copies)}
        stage.process([art], store, res)
    assert res[copy.id].story_id == store.story_of(orig.id) == store.story_of(copy.id)
    store.close()


# --------------------------------------------------------------------------- pieces


def test_entities_are_names_not_sentence_starts():
    ents = {
        k
        for k, _ in extract_entities(
            "However, Vladimir Putin met Olaf Scholz in Moscow. Putin said the talks went well."
        )
    }
    assert {"vladimir putin", "olaf scholz", "putin", "moscow"} <= ents
    assert "however" not in ents and "the" not in ents


def test_weights_are_learnt_package_data(embedder):
    w = default_weights(embedder.name)
    assert {"bias", "tfidf", "entity", "embedding", "threshold"} <= set(w)
    c = StoryClusterer(ClusterConfig(weights={"threshold": 0.77}), embedder)
    assert c.story_threshold == 0.77 and c.weights["tfidf"] == w["tfidf"]


def test_candidates_come_from_the_index_not_a_scan(embedder):
    """Adding an article scores only top-k + entity candidates, however many stories there are."""
    rng = np.random.default_rng(0)
    c = StoryClusterer(ClusterConfig(top_k=5, story_threshold=0.999), embedder)
    arts = [
        Article(id=f"{i:016x}", source=str(i), paragraphs=[f"Topic{i} Name{i} word{i} filler{i % 7} text."])
        for i in range(300)
    ]
    emb = rng.normal(size=(300, c.dim)).astype(np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    c.partial_fit(arts, embeddings=emb)
    assert len(c.story_ids()) == 300
    calls = []
    orig = c.score
    c.score = lambda *a, **k: (calls.append(1), orig(*a, **k))[1]  # type: ignore[method-assign]
    c.partial_fit([Article(id="f" * 16, source="x", paragraphs=["Topic3 Name3 more text."])], embeddings=emb[3:4])
    assert len(calls) <= 5 + c.config.posting_entities * c.config.posting_per_entity + 5


def test_batch_recluster_matches_stream_and_cli(tmp_path):
    from typer.testing import CliRunner

    from storyline.cli import app

    db = tmp_path / "cli.db"
    store = open_store(db)
    report = Pipeline(store).ingest_paths([str(SEEDS)])
    stream_story = {r.article_id: r.story_id for r in report.stored}
    store.close()
    runner = CliRunner()
    res = runner.invoke(app, ["cluster", "--db", str(db), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["articles"] == 5 and summary["stories"] == 1 and summary["events"] == 3
    res = runner.invoke(app, ["stories", "--db", str(db), "--json"])
    listed = json.loads(res.stdout)
    assert len(listed) == 1 and listed[0]["articles"] == 5
    sid = listed[0]["id"]
    assert sid in set(stream_story.values())  # batch and stream agree on the seeds
    res = runner.invoke(app, ["story", sid[:8], "--db", str(db), "--json", "--articles"])
    data = json.loads(res.stdout)
    assert len(data["events"]) == 3 and len(data["articles"]) == 5
    res = runner.invoke(app, ["story", sid, "--db", str(db), "--articles"])
    assert res.exit_code == 0 and "2022-01-26" in res.stdout
    res = runner.invoke(app, ["story", "nope-nope", "--db", str(db)])
    assert res.exit_code == 2


# --------------------------------------------------------------------------- state saved as deltas


def _global_state(c: StoryClusterer):
    return (
        c.vocab.df.tobytes(),
        c.vocab.n_docs,
        dict(c.vocab.surface),
        {k: v for k, v in c.postings.items() if v},
        dict(c.aliases),
        c.n_events,
        [(g.id, g.alive) for g in c._groups],
    )


@pytest.mark.skipif(DUC is None, reason="needs ../shared/data/duc2004")
def test_state_saved_as_deltas_loads_back_exactly(tmp_path, embedder, seed_articles):
    """One article per chunk: the global part is saved as small deltas after a full write, and
    rewritten in full once they outweigh it; a fresh process loading full part + deltas has exactly
    the running clusterer's state and goes on placing articles the same way."""

    arts = list({a.id: a for a in list(seed_articles) + [a for c in _duc_clusters(3) for a in c[:7]]}.values())
    store = open_store(tmp_path / "d.db")
    stage = ClusterStage(ClusterConfig(), embedder)
    seen_deltas, rewrites, last_n = 0, 0, 0
    for i, art in enumerate(arts[:-4]):
        assert store.put_article(art)
        stage.process([art], store, {art.id: ArticleResult(article_id=art.id, source=art.source)})
        n, size = ClusterStage._deltas(store)
        seen_deltas = max(seen_deltas, n)
        rewrites += n < last_n
        last_n = n
        if i % 6 == 5:
            fresh = ClusterStage(ClusterConfig(), embedder)._ensure_loaded(store)
            assert _global_state(fresh) == _global_state(stage.clusterer)
            assert [dataclasses.asdict(s) for s in fresh.stories()] == [
                dataclasses.asdict(s) for s in stage.clusterer.stories()
            ]
    assert seen_deltas >= 2 and rewrites >= 1
    fresh_stage = ClusterStage(ClusterConfig(), embedder)
    fresh_stage._ensure_loaded(store)
    rest = arts[-4:]
    got = []
    for s in (stage, fresh_stage):
        out = []
        for art in rest:
            out += [(x.story_id, x.event_id) for x in s.clusterer.partial_fit([art])]
        got.append(out)
    assert got[0] == got[1]
    store.close()


def test_events_kept_encoded_between_saves_are_encoded_anew_when_they_change(embedder, seed_articles):
    """A story part re-encodes only its changed events (each event keeps its saved record): after every
    article -- new events, events that grow, copies, stories that merge -- the part is byte for byte the one
    encoded from scratch."""
    arts = list({a.id: a for a in list(seed_articles) + [a for c in _duc_clusters(3) for a in c[:6]]}.values())
    c = StoryClusterer(ClusterConfig(), embedder)
    copies = {}
    reused = 0
    for i, art in enumerate(arts):
        batch = [art]
        if i % 3 == 2:  # now and then a copy of an earlier article, which joins that article's event unscored
            first = arts[i - 2]
            twin = dataclasses.replace(first, id=first.id[:-3] + "cpy", source=first.source + "#copy")
            copies[twin.id] = first.id
            batch = [twin, art]
        c.partial_fit(batch, copies)
        c.stories_out()  # labels events, as the stage does before saving
        for sid in c.story_ids():
            events = c.by_id[sid].events
            reused += sum(e.saved is not None for e in events)
            cached = c.story_bytes(sid)
            for e in events:
                e.saved = None
            assert cached == c.story_bytes(sid), (i, sid)
            # encode once more: now from the kept records, which must still be current
            assert c.story_bytes(sid) == cached
    assert reused > 0
