"""The clustering measures of eval/cluster.py (pairwise P/R/F1, B-cubed, ARI) on small hand-made cases, against
brute-force pair counting and sklearn's adjusted_rand_score; and its dated-stream reader and split."""

from __future__ import annotations

import importlib.util
import json
import random
import sys
from itertools import combinations
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ev():
    spec = importlib.util.spec_from_file_location("eval_cluster", ROOT / "eval" / "cluster.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["eval_cluster"] = mod
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def _brute(pred, gold):
    ids = sorted(gold)
    tp = fp = fn = 0
    for a, b in combinations(ids, 2):
        sp, sg = pred[a] == pred[b], gold[a] == gold[b]
        tp += sp and sg
        fp += sp and not sg
        fn += sg and not sp
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    bp = sum(
        sum(pred[j] == pred[i] and gold[j] == gold[i] for j in ids) / sum(pred[j] == pred[i] for j in ids) for i in ids
    ) / len(ids)
    br = sum(
        sum(pred[j] == pred[i] and gold[j] == gold[i] for j in ids) / sum(gold[j] == gold[i] for j in ids) for i in ids
    ) / len(ids)
    return p, r, bp, br


def test_hand_worked_case(ev):
    # gold {a,b,c} {d,e}; predicted {a,b} {c,d,e}
    gold = dict(a="x", b="x", c="x", d="y", e="y")
    pred = dict(a="1", b="1", c="2", d="2", e="2")
    s = ev.scores(pred, gold)
    # pairs: predicted ab, cd, ce, de (4); gold ab, ac, bc, de (4); shared ab, de (2)
    assert (
        s["pair_p"] == pytest.approx(0.5) and s["pair_r"] == pytest.approx(0.5) and s["pair_f1"] == pytest.approx(0.5)
    )
    # B3 precision: a,b 2/2; c 1/3; d,e 2/3 -> (1+1+1/3+2/3+2/3)/5 ; recall: a,b 2/3; c 1/3; d,e 2/2
    assert s["b3_p"] == pytest.approx((2 + 1 / 3 + 4 / 3) / 5)
    assert s["b3_r"] == pytest.approx((4 / 3 + 1 / 3 + 2) / 5)
    assert s["clusters"] == 2


def test_perfect_and_degenerate(ev):
    gold = dict(a="x", b="x", c="y")
    s = ev.scores(dict(gold), gold)
    assert s["pair_f1"] == 1.0 and s["b3_f1"] == 1.0 and s["ari"] == 1.0
    singletons = ev.scores({k: k for k in gold}, gold)
    assert singletons["pair_p"] == 1.0 and singletons["pair_r"] == 0.0 and singletons["b3_p"] == 1.0
    one = ev.scores({k: "all" for k in gold}, gold)
    assert one["pair_r"] == 1.0 and one["pair_p"] == pytest.approx(1 / 3) and one["b3_r"] == 1.0


def test_against_brute_force_and_sklearn(ev):
    from sklearn.metrics import adjusted_rand_score

    rng = random.Random(7)
    for _ in range(40):
        n = rng.randint(2, 30)
        ids = [f"i{k}" for k in range(n)]
        gold = {i: f"g{rng.randint(0, rng.randint(0, 5))}" for i in ids}
        pred = {i: f"p{rng.randint(0, rng.randint(0, 6))}" for i in ids}
        s = ev.scores(pred, gold)
        p, r, bp, br = _brute(pred, gold)
        assert s["pair_p"] == pytest.approx(p) and s["pair_r"] == pytest.approx(r)
        assert s["b3_p"] == pytest.approx(bp) and s["b3_r"] == pytest.approx(br)
        assert s["ari"] == pytest.approx(adjusted_rand_score([gold[i] for i in ids], [pred[i] for i in ids]), abs=1e-12)


def test_stream_reader_and_split(ev, tmp_path):
    rows = [
        {"id": "b1", "time": "2020-03-02", "text": "Storm hits the coast.\nPower is out.", "story": "storm"},
        {
            "id": "a1",
            "time": "2020-03-01",
            "text": "Election called for May.",
            "story": "election",
            "outlet": "Gazette",
        },
        {"id": "a2", "time": "2020-03-03T08:00:00", "text": "Candidates register.", "story": "election"},
        {"id": "a2", "time": "2020-03-03", "text": "a repeated id is read once", "story": "election"},
        {"id": "e", "time": "2020-03-04", "text": "", "story": "storm"},
    ]
    f = tmp_path / "stream.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    arts, gold = ev.load_stream(f)
    assert [a.id for a in arts] == ["a1", "b1", "a2"]  # date order; the empty article is dropped
    assert arts[1].paragraphs == ["Storm hits the coast.", "Power is out."] and arts[0].outlet == "Gazette"
    assert gold == {"a1": "election", "b1": "storm", "a2": "election"}
    assert ev.split_stories(gold) == (["election"], ["storm"])
    # the folder layout (Timeline17 as rebuilt): the story is the folder
    for story in ("beta", "alpha"):
        (tmp_path / "t" / story).mkdir(parents=True)
        (tmp_path / "t" / story / "articles.jsonl").write_text(
            json.dumps({"id": f"{story}/1", "time": "2011-01-2" + str(len(story)), "text": "Protest in the capital ."})
            + "\n"
        )
    arts, gold = ev.load_stream(tmp_path / "t")
    assert gold == {"alpha/1": "alpha", "beta/1": "beta"} and arts[0].paragraphs == ["Protest in the capital."]


def test_run_dated_keeps_separate_stories_apart(ev):
    """Two unrelated stories, three articles each, in date order: the clusterer finds them (static embeddings)."""
    from datetime import datetime

    from storyline.config import EmbedConfig
    from storyline.embed import get_embedder
    from storyline.model import Article

    texts = {
        "q": [
            "An earthquake of magnitude 6.1 struck near Izmir on Monday, damaging buildings in the old town.",
            "Rescuers in Izmir searched collapsed buildings after Monday's magnitude 6.1 earthquake.",
            "The Izmir earthquake death toll rose to twelve as rescuers cleared the collapsed buildings.",
        ],
        "f": [
            "The central bank of Norway raised its interest rate to 4.5 percent to fight inflation.",
            "Norway's central bank rate rise to 4.5 percent lifted the krone against the euro.",
            "Economists expect Norway's central bank to hold its 4.5 percent interest rate in spring.",
        ],
    }
    arts, gold = [], {}
    for k, ts in texts.items():
        for j, t in enumerate(ts):
            arts.append(Article(id=f"{k}{j}", source=f"{k}{j}", paragraphs=[t], published=datetime(2021, 3, 1 + j)))
            gold[f"{k}{j}"] = k
    arts.sort(key=lambda a: (a.published, a.id))
    emb = get_embedder(EmbedConfig(backend="static"))
    vecs = emb.encode([a.text for a in arts])
    from storyline.cluster import StoryClusterer
    from storyline.config import ClusterConfig

    w = StoryClusterer(ClusterConfig(), emb).weights
    s = ev.run_dated(arts, vecs, gold, ClusterConfig(), w)
    assert s["pair_p"] == 1.0 and s["ari"] > 0.5
    # the same stream through the Pipeline (clean, store, copy check, stories), as a user runs it; a repeated
    # text is a duplicate and scores with the article it repeats
    again = Article(id="q0-again", source="q0-again", paragraphs=list(arts[0].paragraphs), published=arts[0].published)
    gold["q0-again"] = gold[arts[0].id]
    p = ev.run_pipeline([*arts, again], gold)
    assert p["pair_p"] == 1.0 and p["pair_r"] >= s["pair_r"] - 1e-9 and p["clusters"] <= 4
