"""The batch pipeline on Spark (local[2]) against the single-machine pipeline on the same corpus.

One SparkSession and one Spark run for the whole module (the corpus: the example seeds, the
DUC 2004 dev documents from ../shared when present, and planted exact and near-duplicates).
"""

from __future__ import annotations

import json
import shutil
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]

if shutil.which("java") is None:
    pytest.skip("Spark needs Java (install openjdk-17-jre-headless)", allow_module_level=True)
pyspark = pytest.importorskip("pyspark")

sys.path.insert(0, str(Path(__file__).parent))
from spark_corpus import DUC, SEEDS, build_corpus  # noqa: E402

from storyline import Config, Pipeline, open_store  # noqa: E402
from storyline import spark as sl_spark  # noqa: E402
from storyline.reuse import duplicate_groups  # noqa: E402
from storyline.spark import (  # noqa: E402
    SparkOptions,
    candidate_pairs,
    cluster_window,
    import_output,
    link_windows,
    make_session,
    read_raw,
    run_pipeline,
)


def _ari(a: dict[str, str], b: dict[str, str]) -> float:
    from sklearn.metrics import adjusted_rand_score

    ids = sorted(set(a) & set(b))
    return float(adjusted_rand_score([a[i] for i in ids], [b[i] for i in ids]))


def _table(out: Path, name: str) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(str(out / name)).to_pylist()


@pytest.fixture(scope="module")
def spark():
    session = make_session(
        "local[2]",
        app_name="storyline-tests",
        conf={
            "spark.sql.shuffle.partitions": "2",
            "spark.default.parallelism": "2",
            "spark.ui.enabled": "false",
        },
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "stream.jsonl"
    info = build_corpus(path)
    return path, info


@pytest.fixture(scope="module")
def single(corpus, tmp_path_factory):
    """The single-machine pipeline on the same stream (whole corpus in one chunk: furniture learnt from it all)."""
    path, _ = corpus
    store = open_store(tmp_path_factory.mktemp("single") / "single.db")
    pipe = Pipeline(store, Config(), chunk_size=100_000)
    report = pipe.ingest_paths([str(path)])
    yield store, report
    store.close()


@pytest.fixture(scope="module")
def run(spark, corpus, tmp_path_factory):
    path, _ = corpus
    out = tmp_path_factory.mktemp("spark") / "out"
    report = run_pipeline(spark, str(path), str(out), Config(), SparkOptions(partitions=2, window_days=7.0))
    return out, report


def _reference_groups(store) -> set[frozenset[str]]:
    """Duplicate groups of the single-machine run: storyline.reuse's own over the edges the Pipeline stored."""
    return {frozenset(g) for g in duplicate_groups(store.all_edges()) if len(g) > 1}


# ----------------------------------------------------------------------------- cleaning


def test_cleaning_is_the_single_machine_cleaning(run, single):
    out, report = run
    store, _ = single
    spark_rows = {r["id"]: r for r in _table(out, "articles")}
    local = {a.id: a for a in store.iter_articles()}
    assert len(local) > (200 if DUC.exists() else 4)
    assert set(spark_rows) == set(local)  # same bodies after cleaning (ids are content hashes)
    for aid, a in local.items():
        r = spark_rows[aid]
        assert (r["title"], r["outlet"], r["author"]) == (a.title, a.outlet, a.author)
        assert r["published"] == (a.published.isoformat() if a.published else None)
        assert [x["reason"] for x in r["removed"]] == [x.reason for x in a.removed]
    assert report.counts["articles"] == len(local)


def test_exact_copies_collapse_like_the_single_machine(run, single):
    out, _ = run
    _, rep = single
    collapsed = sum(len(r["also_sources"] or []) for r in _table(out, "articles"))
    assert collapsed == len(rep.duplicates) > 0


# ----------------------------------------------------------------------------- copies


def test_duplicate_groups_same_as_single_machine(run, single, corpus):
    out, _ = run
    store, _ = single
    _, info = corpus
    got = {frozenset(r["article_ids"]) for r in _table(out, "duplicate_groups")}
    want = _reference_groups(store)
    assert got == want
    # every planted near-duplicate pair ends in one group (lines of the stream -> stored ids)
    line_of = {int(a.source.rsplit(":", 1)[1]) - 1: a.id for a in store.iter_articles()}
    order = info["order"]
    group_of = {aid: g for g in got for aid in g}
    planted = [(line_of.get(order.index(i)), line_of.get(order.index(j))) for i, j in info["near"]]
    planted = [(a, b) for a, b in planted if a and b]
    assert len(planted) >= 10
    for a, b in planted:
        assert a in group_of and group_of[a] == group_of.get(b)
    # articles name their group; edges point from the earlier article
    arts = {r["id"]: r for r in _table(out, "articles")}
    for g in got:
        assert len({arts[a]["group_id"] for a in g}) == 1
    for e in _table(out, "reuse_edges"):
        s, t = arts[e["source_id"]], arts[e["target_id"]]
        assert (s["published"] or "") <= (t["published"] or "~")


def test_lsh_buckets_pair_members_and_chain_big_buckets(spark):
    rows = [(f"a{i}", [b"big", b"own%d" % i]) for i in range(5)] + [("b0", [b"small"]), ("b1", [b"small"])]
    df = spark.createDataFrame(rows, "id string, band_keys array<binary>")
    pairs = {(r.a, r.b) for r in candidate_pairs(df, max_bucket=3).collect()}
    assert pairs == {("a0", "a1"), ("a1", "a2"), ("a2", "a3"), ("a3", "a4"), ("b0", "b1")}
    assert len({(r.a, r.b) for r in candidate_pairs(df).collect()}) == 10 + 1  # no cap: all pairs


# ----------------------------------------------------------------------------- stories


def test_story_tables_are_consistent(run):
    out, report = run
    stories = _table(out, "stories")
    members = _table(out, "story_articles")
    events = _table(out, "events")
    arts = {r["id"] for r in _table(out, "articles")}
    assert stories and len({s["id"] for s in stories}) == len(stories)
    assert sorted(m["article_id"] for m in members) == sorted(arts)  # every article in exactly one story
    by_story = defaultdict(set)
    for m in members:
        by_story[m["story_id"]].add(m["article_id"])
    for s in stories:
        assert set(s["article_ids"]) == by_story[s["id"]]
    for e in events:
        assert set(e["article_ids"]) <= by_story[e["story_id"]]
    assert report.counts["windows"] > 2  # the corpus spans several 7-day windows


def test_stories_agree_with_single_machine(run, single):
    out, _ = run
    store, _ = single
    arts = list(store.iter_articles())
    want = {a.id: store.story_of(a.id) for a in arts}
    got = {m["article_id"]: m["story_id"] for m in _table(out, "story_articles")}
    pieces = {r["article_id"]: r["piece_id"] for r in _table(out, "story_pieces") if r["kind"] == "a"}
    ari_linked, ari_pieces = _ari(want, got), _ari(want, pieces)
    print(f"ARI vs single machine: linked windows {ari_linked:.3f}, unlinked pieces {ari_pieces:.3f}")
    assert len(set(got.values())) < len(set(pieces.values()))  # stories spanning windows were joined
    assert ari_linked > ari_pieces
    assert ari_linked >= 0.95


def test_one_window_reproduces_the_stream(single):
    """The per-window function run over one window is exactly the single-machine stream."""
    store, _ = single
    arts = list(store.iter_articles())
    rows, pieces, _ = cluster_window(0, arts, {a.id: a.seq for a in arts}, {}, Config())
    got = {a: p for p, _, a in rows}
    c = sl_spark.default_clusterer(Config())
    c.partial_fit(sorted(arts, key=lambda a: (a.published is None, a.published or 0, a.seq)))
    want = {aid: s.id for s in c.stories() if not s.merged_into for aid in s.article_ids}
    assert _ari(want, got) == pytest.approx(1.0)
    assert all(p.startswith("w0-") for p, _, _ in rows)


def test_windows_run_largest_first_one_partition_each():
    sizes = {3: 10, -1: 2, 0: 500, 7: 40, 5: 40}
    part = sl_spark.window_partitions(sizes)
    assert sorted(part.values()) == list(range(len(sizes)))
    assert [w for w, _ in sorted(part.items(), key=lambda kv: kv[1])] == [0, 5, 7, 3, -1]


def test_prior_is_the_sum_of_the_earlier_windows():
    per = {w: (np.array([w, 100], dtype=np.int32), np.array([1, 2], dtype=np.int64), 10 + w) for w in (0, 1, 2)}
    per[-1] = (np.array([7], dtype=np.int32), np.array([5], dtype=np.int64), 1)
    assert sl_spark.prior_for(per, 0) is None
    ids, counts, n = sl_spark.prior_for(per, 2)
    assert dict(zip(ids.tolist(), counts.tolist(), strict=True)) == {0: 1, 1: 1, 100: 4} and n == 21
    ids, counts, n = sl_spark.prior_for(per, -1)  # undated: after every dated window, not itself
    assert dict(zip(ids.tolist(), counts.tolist(), strict=True)) == {0: 1, 1: 1, 2: 1, 100: 6} and n == 33


def test_link_windows_joins_neighbours_only():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=32), rng.normal(size=32)
    noise = lambda: rng.normal(scale=0.05, size=32)  # noqa: E731
    cent = {
        "w10-s0": (10, a + noise()),
        "w11-s0": (11, a + noise()),
        "w12-s3": (12, 2 * (a + noise())),  # one story, 3 windows
        "w11-s1": (11, b + noise()),  # another story
        "w20-s0": (20, a + noise()),  # same topic, but 8 windows later: beyond the span
        "w-1-s0": (-1, b + noise()),  # undated: joins the best story anywhere
    }
    m = link_windows(cent, threshold=0.9, span=2)
    assert m["w10-s0"] == m["w11-s0"] == m["w12-s3"] == "w10-s0"
    assert m["w11-s1"] == "w11-s1" == m["w-1-s0"]
    assert m["w20-s0"] == "w20-s0"


def test_window_df_seeding_and_scorer_linking(single):
    """Two windows in one process: the second, seeded with the first's document frequencies, scores with
    the stream's statistics and returns only its own counts; the pieces linked by the clusterer's scorer
    agree with the stream better than the unlinked pieces, and a window's pieces never link to each other."""
    from storyline.cluster import StoryClusterer

    store, _ = single
    arts = sorted(store.iter_articles(), key=lambda a: (a.published is None, a.published or 0, a.seq))
    ords = {a.id: a.seq for a in arts}
    halves = {0: arts[: len(arts) // 2], 1: arts[len(arts) // 2 :]}
    cfg = Config()
    prior = sl_spark.prior_frequencies({w: sl_spark.article_df(a, cfg) for w, a in halves.items()})
    assert prior[0] is None and prior[1][2] == len(halves[0])
    states, got = {}, {}
    for w, items in halves.items():
        rows, _, states[w] = cluster_window(w, items, ords, {}, cfg, prior[w])
        got.update({a: p for p, _, a in rows})
        own = StoryClusterer.from_bytes(states[w], cfg.cluster).vocab
        ids, counts, n = sl_spark.article_df(items, cfg)
        assert own.n_docs == n == len(items) and np.array_equal(own.df[ids], counts)  # the prior was taken out
    mapping = sl_spark.link_pieces(states, cfg)
    assert {mapping[p] for p in got.values() if p.startswith("w0-")} == {p for p in got.values() if p.startswith("w0-")}
    c = sl_spark.default_clusterer(cfg)
    c.partial_fit(arts)
    want = {aid: s.id for s in c.stories() if not s.merged_into for aid in s.article_ids}
    linked = {a: mapping[p] for a, p in got.items()}
    assert len(set(linked.values())) < len(set(got.values()))
    assert _ari(want, linked) > _ari(want, got)


# ----------------------------------------------------------------------------- readers


def test_readers_folder_and_parquet_use_the_single_machine_readers(spark, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from storyline.ingest import read_inputs

    cfg = Config()
    got = sorted(d.text for _, d in read_raw(spark, str(SEEDS), cfg).collect())
    want = sorted(d.text for d in read_inputs([SEEDS], cfg.ingest))
    assert len(got) == 5 and got == want
    recs = [{"text": t, "outlet": f"o{i}", "date": f"2022-01-2{i}"} for i, t in enumerate(want)]
    pq.write_table(pa.Table.from_pylist(recs), str(tmp_path / "in.parquet"))
    docs = [d for _, d in read_raw(spark, str(tmp_path / "in.parquet"), cfg).collect()]
    assert sorted(d.text for d in docs) == want and {d.meta["outlet"] for d in docs} == {f"o{i}" for i in range(5)}


def test_spark_reads_warc_and_feeds_with_the_single_machine_readers(spark, tmp_path):
    """spark-run reads a crawl (WARC.gz with a revisit and an image), a zipped JSONL and a feed with the same
    readers as ``storyline ingest``: the same documents, the same skipped records with the same reasons."""
    import gzip
    import zipfile

    from warcutil import Warc, _seed_html

    from storyline.ingest import read_inputs
    from storyline.model import Rejection, Skipped

    w = Warc()
    w.warcinfo()
    for i, seed in enumerate(sorted(SEEDS.glob("*.txt"))):
        w.response(f"https://news.example.org/seed/{i}", _seed_html(seed.read_text(encoding="utf-8")))
    w.revisit("https://news.example.org/seed/0")
    w.response("https://news.example.org/logo.jpg", b"\xff\xd8\xff\xe0JFIF", ctype="image/jpeg", request=False)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "crawl.warc.gz").write_bytes(w.data())
    body = "The council approved the budget on Monday after a long debate about schools and roads. " * 6
    with zipfile.ZipFile(folder / "dump.zip", "w") as zf:
        zf.writestr(
            "lines.jsonl",
            "\n".join(json.dumps({"text": body + str(i), "url": f"https://b.example/{i}"}) for i in range(3)),
        )
    feed = (
        "<?xml version='1.0'?><rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/'>"
        "<channel><title>F</title><item><title>Budget</title><link>https://c.example/1</link>"
        f"<content:encoded><![CDATA[<p>{body}</p>]]></content:encoded></item>"
        "<item><title>Link only</title><link>https://c.example/2</link></item></channel></rss>"
    )
    (folder / "feed.xml.gz").write_bytes(gzip.compress(feed.encode()))
    cfg = Config()

    def summary(outs):
        outs = list(outs)
        docs = sorted((d.source, d.text or d.html or "") for d in outs if not isinstance(d, Rejection))
        skipped = sorted((d.source, d.reason) for d in outs if isinstance(d, Skipped))
        rejected = sorted(d.source for d in outs if isinstance(d, Rejection) and not isinstance(d, Skipped))
        return docs, skipped, rejected

    got = summary(d for _, d in read_raw(spark, str(folder), cfg).collect())
    want = summary(read_inputs([folder], cfg.ingest))
    assert len(want[0]) == 5 + 3 + 1 and not want[2]
    assert {r for _, r in want[1]} >= {"revisit record (no payload: the page had not changed)", "not HTML (image/jpeg)"}
    assert got == want


# ----------------------------------------------------------------------------- import


def test_import_roundtrip(run, tmp_path):
    from typer.testing import CliRunner

    from storyline.cli import app

    out, _ = run
    db = tmp_path / "imported.db"
    res = CliRunner().invoke(app, ["import", str(out), "--db", str(db), "--json"])
    assert res.exit_code == 0, res.output
    counts = json.loads(res.stdout)
    arts = _table(out, "articles")
    stories = _table(out, "stories")
    assert counts["articles"] == len(arts) and counts["stories"] == len(stories)
    with open_store(db) as store:
        assert store.count_articles() == len(arts)
        assert store.count_stories() == len(stories)
        assert len(store.all_edges()) == len(_table(out, "reuse_edges"))
        for m in _table(out, "story_articles")[:50]:
            assert store.story_of(m["article_id"]) == m["story_id"]
        a = store.get_article(arts[0]["id"])
        assert a is not None and a.paragraphs == arts[0]["paragraphs"]
        s = store.get_story(stories[0]["id"])
        assert s is not None and sorted(s.article_ids) == sorted(stories[0]["article_ids"])
    again = import_output(out, open_store(db))  # importing twice adds nothing
    assert again["articles"] == 0


def test_cli_spark_run_passes_options_and_reports(spark, tmp_path, monkeypatch):
    """The CLI wiring (the pipeline itself ran in the module fixture): options reach run_pipeline, the
    session it did not create is left running, and the summary is printed."""
    from typer.testing import CliRunner

    from storyline.cli import app

    seen = {}

    def fake_run(session, inp, out, config, options):
        seen.update(session=session, inp=inp, out=out, options=options)
        return sl_spark.RunReport(output=out, counts={"articles": 5}, seconds={"total": 1.0}, backends={"reuse": "x"})

    monkeypatch.setattr(sl_spark, "run_pipeline", fake_run)
    out = tmp_path / "o"
    res = CliRunner().invoke(
        app,
        [
            "spark-run",
            str(SEEDS),
            str(out),
            "--master",
            "local[2]",
            "--format",
            "files",
            "--window-days",
            "3",
            "--link",
            "cosine",
            "--link-threshold",
            "0.8",
            "--partitions",
            "3",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["counts"] == {"articles": 5}
    assert seen["inp"] == str(SEEDS) and seen["session"] is spark
    o = seen["options"]
    assert (o.input_format, o.window_days, o.link, o.link_threshold, o.partitions) == ("files", 3.0, "cosine", 0.8, 3)
    assert spark.sparkContext._jsc is not None
