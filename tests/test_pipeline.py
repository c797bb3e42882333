"""The pipeline's two-core overlap (workers clean chunk k+1 and compute its per-article stage parts
while this process places chunk k) must give exactly what one process gives, chunk by chunk."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from conftest import SEEDS, SHARED

from storyline.cluster import ClusterStage, featurize
from storyline.config import Config
from storyline.embed import get_embedder
from storyline.ingest import read_inputs
from storyline.model import RawDocument
from storyline.pipeline import Pipeline
from storyline.reuse import ReuseStage
from storyline.store import SQLiteStore

DUC = SHARED / "data" / "duc2004" / "docs"


def _corpus() -> list[RawDocument]:
    docs = [d for d in read_inputs([SEEDS]) if isinstance(d, RawDocument)]
    if DUC.is_dir():
        for c in sorted(DUC.iterdir())[:5]:
            for f in sorted(c.glob("*.txt"))[:8]:
                text = " ".join(f.read_text(encoding="utf-8", errors="replace").split())
                docs.append(RawDocument(f"{c.name}/{f.name}", text=text))
    # copies of some articles (furniture added, or cut short) so that the copy check finds edges
    copies = []
    for d in docs[: len(docs) : 4]:
        paras = d.text.split("\n\n")
        copies.append(RawDocument(d.source + "#copy", text="Share this story\n\n" + d.text + "\n\nRead more"))
        if len(paras) > 3:
            copies.append(RawDocument(d.source + "#cut", text="\n\n".join(paras[: len(paras) * 2 // 3])))
    return docs + copies


def _run(tmp_path, name: str, workers: int, monkeypatch=None, candidates=None):
    used = []
    candidates = [] if candidates is None else candidates
    if monkeypatch is not None:  # record whether the stages got the workers' prepared parts
        for cls in (ReuseStage, ClusterStage):
            orig = cls.process

            def process(self, articles, store, results, prepared=None, *rest, _orig=orig, _cls=cls):
                used.append(
                    (
                        _cls.__name__,
                        prepared is not None and {p.article_id for p in prepared} >= {a.id for a in articles},
                    )
                )
                if _cls is ReuseStage and prepared:  # comparisons with stored articles, done ahead by the workers
                    candidates.append(sum(len(p.compared or {}) for p in prepared))
                return _orig(self, articles, store, results, prepared, *rest)

            monkeypatch.setattr(cls, "process", process)
    cfg = Config()
    cfg.ingest.parallel_min_docs = 4  # small chunks still go through the workers
    store = SQLiteStore(tmp_path / f"{name}.db")
    report = Pipeline(store, cfg, chunk_size=12, workers=workers).ingest(_corpus())
    got = {
        "results": [
            (r.article_id, r.story_id, r.event_id, sorted((c["source_id"], c["relation"]) for c in r.copies_of))
            for r in report.stored
        ],
        "edges": sorted(
            (e.source_id, e.target_id, e.relation, round(e.confidence, 4), len(e.passages)) for e in store.all_edges()
        ),
        "stories": sorted(
            (s.id, tuple(sorted(s.article_ids)), tuple(ev.id for ev in s.events))
            for s in store.list_stories(limit=10_000)
        ),
        "duplicates": report.duplicates,
    }
    store.close()
    return got, used


def test_overlapped_chunks_give_what_one_process_gives(tmp_path, monkeypatch):
    one, _ = _run(tmp_path, "one", workers=1)
    candidates: list[int] = []
    two, used = _run(tmp_path, "two", workers=2, monkeypatch=monkeypatch, candidates=candidates)
    assert used and all(ok for _, ok in used), used  # every chunk came prepared by the workers
    # the copies come after their originals' chunks: the workers compared them with the originals in the store
    assert sum(candidates) > 0, candidates
    assert len(one["results"]) >= 5
    assert one["edges"], "the corpus has copies: the copy check must find edges"
    assert two == one


def test_prepared_parts_equal_what_the_stages_compute_themselves(seeds, embedder):
    articles, _ = seeds
    cfg = Config()
    reuse = ReuseStage(cfg.reuse, embedder)
    prepared = reuse.prepare(articles)
    for a, p in zip(articles, prepared, strict=True):
        sig, keys = reuse.detector.signature_and_keys(a)
        assert p.article_id == a.id and np.array_equal(p.signature, sig) and p.keys == keys
        fresh = ReuseStage(cfg.reuse, embedder).detector.article_vector(a)
        assert p.vector is not None and np.allclose(p.vector, fresh, atol=1e-5)
    # the profiles built ahead compare exactly as those built on demand
    det = ReuseStage(cfg.reuse, embedder).detector
    ahead = {p.article_id: p.profile for p in prepared}
    for a, b in itertools.pairwise(articles):
        p1, f1 = det.similarity(ahead[a.id], ahead[b.id])
        p2, f2 = det.similarity(det.profile(a), det.profile(b))  # sentence embeddings computed on demand
        assert f1.keys() == f2.keys() and all(np.allclose(f1[k], f2[k], atol=1e-4) for k in f1)
        assert np.allclose(p1, p2, atol=1e-4)
    stage = ClusterStage(cfg.cluster, embedder)
    bits = cfg.cluster.hash_bits
    for a, f in zip(articles, stage.prepare(articles), strict=True):
        plain = featurize(a, cfg.cluster)
        # sent as vocabulary ids, without the words: the same ids as hashing the words here
        assert not f.terms and f.label == plain.label and f.ids is not None
        want = plain.terms_for(bits)
        for name in ("t_ids", "t_cnt", "e_ids", "e_cnt", "label_ids"):
            assert np.array_equal(getattr(f.ids, name), getattr(want, name)), name
        assert (f.ids.e_raw, f.ids.e_surfaces) == (want.e_raw, want.e_surfaces) and len(want.t_ids)
        assert f.terms_for(bits + 1) is None  # no words left to hash for another vocabulary
        assert f.embedding is not None and f.embedding.shape == (embedder.dim,)
        # placing with them gives the article's document exactly as from the words
        from storyline.cluster import StoryClusterer

        d1 = StoryClusterer(cfg.cluster, embedder)._doc(a, f.embedding, features=f)
        d2 = StoryClusterer(cfg.cluster, embedder)._doc(a, f.embedding, features=plain)
        assert all(np.array_equal(getattr(d1, k), getattr(d2, k)) for k in ("t_ids", "t_vals", "e_ids", "label_ids"))
        other = StoryClusterer(dataclasses.replace(cfg.cluster, hash_bits=bits - 1), embedder)
        d3 = other._doc(a, f.embedding, features=f)  # another vocabulary size: featurized again from the article
        assert len(d3.t_ids) and int(d3.t_ids.max()) < 1 << (bits - 1)


@pytest.mark.parametrize(
    "texts", [["One sentence here.", "", "Two: words, and more words!"], ["a\x0bb c", "naïve café"]]
)
def test_static_encoder_matches_model2vec(texts):
    """The word-cached static encoder gives model2vec's own vectors."""
    emb = get_embedder()
    if emb.config.backend != "static":
        pytest.skip("static backend only")
    ref = np.asarray(emb._model.encode(texts), dtype=np.float32)
    ref /= np.maximum(np.linalg.norm(ref, axis=1, keepdims=True), 1e-12)
    got = emb.encode(texts)
    assert np.allclose(got, ref, atol=2e-3)


def test_stopwords_are_scikit_learns_and_reading_them_imports_no_scikit_learn():
    import subprocess
    import sys

    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from storyline.text import stopwords

    assert stopwords() == frozenset(ENGLISH_STOP_WORDS)
    # a worker process reads them at start: importing scikit-learn for them cost seconds per process
    code = "import sys; from storyline.text import stopwords; stopwords(); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_workers_get_chunks_ahead_and_inline_cleaning_does_not_read_ahead(tmp_path, monkeypatch):
    from storyline import pipeline as pl

    for workers, ahead in ((2, pl.CHUNKS_AHEAD), (1, 1)):
        events: list[str] = []
        for name in ("_start_chunk", "_finish_chunk"):
            orig = getattr(Pipeline, name)

            def wrapped(self, *a, _orig=orig, _name=name, _events=events, **k):
                _events.append(_name)
                return _orig(self, *a, **k)

            monkeypatch.setattr(Pipeline, name, wrapped)
        cfg = Config()
        cfg.ingest.parallel_min_docs = 2
        store = SQLiteStore(tmp_path / f"w{workers}.db")
        report = Pipeline(store, cfg, chunk_size=3, workers=workers, reuse=False, cluster=False).ingest(_corpus())
        assert report.stored and events.count("_finish_chunk") == events.count("_start_chunk") >= 4
        # chunks started before the first is committed: the one committed and those being cleaned meanwhile
        assert events.index("_finish_chunk") == ahead + 1, (workers, events)
        store.close()
        monkeypatch.undo()
