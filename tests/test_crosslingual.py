"""Stories across languages (cluster/crosslingual.py): who is compared with whom, the time window, the threshold,
the store's cache of vectors, and what the cluster stage does with a match (including a full recluster)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from language_samples import RUSSIAN, RUSSIAN_SEED_STORY

from storyline.cluster.crosslingual import KIND, CrossLingualLinker, lead_text, load_encoder
from storyline.config import ClusterConfig
from storyline.model import Article
from storyline.store import SQLiteStore

DAY = datetime(2022, 1, 22, 12, 0)


class CountingEncoder:
    """Unit vectors by the first word of the headline (the same word: the same story), counting its calls."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.slots: dict[str, int] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        self.texts += texts
        out = np.zeros((len(texts), 8), np.float32)
        for i, t in enumerate(texts):
            out[i, self.slots.setdefault(t.split()[0], len(self.slots))] = 1.0
        return out


def _article(aid: str, title: str, language: str, when: datetime | None = DAY) -> Article:
    return Article(
        id=aid,
        source=aid,
        paragraphs=[f"{title} body text of the report."],
        title=title,
        published=when,
        language=language,
    )


@pytest.fixture
def store(tmp_path):
    s = SQLiteStore(tmp_path / "x.db")
    yield s
    s.close()


def _linker(enc: CountingEncoder, **kw) -> CrossLingualLinker:
    return CrossLingualLinker(ClusterConfig(**kw), encoder=enc)


def test_english_only_stream_never_runs_the_encoder(store):
    enc = CountingEncoder()
    arts = [_article(f"e{i}", f"Story{i % 2} headline", "en") for i in range(6)]
    for a in arts:
        store.put_article(a)
    assert _linker(enc).match(arts, store) == {}
    assert enc.texts == []


def test_match_within_window_and_threshold_and_vectors_are_kept(store):
    enc = CountingEncoder()
    en = _article("en1", "Alpha talks", "en")
    far = _article("en2", "Alpha talks", "en", DAY - timedelta(days=10))
    ru = _article("ru1", "Alpha переговоры", "ru", DAY + timedelta(days=1))
    other = _article("ru2", "Beta бюджет", "ru", DAY + timedelta(days=1))
    for a in (en, far, ru, other):
        store.put_article(a)
    links = _linker(enc).match([ru, other], store)
    assert links == {"ru1": ("en1", 1.0)}  # the one 10 days away is outside the 3-day window; Beta matches nothing
    assert len(enc.texts) == 3  # ru1, ru2 and en1; not en2
    found, _ = store.get_embeddings(KIND, ["en1", "ru1", "ru2"])
    assert sorted(found) == ["en1", "ru1", "ru2"]
    n = len(enc.texts)
    assert _linker(enc).match([ru], store) == {"ru1": ("en1", 1.0)}
    assert len(enc.texts) == n  # vectors come from the store the second time
    assert _linker(enc, cross_language=False).match([ru], store) == {}
    assert _linker(enc, cross_language_days=20).match([far], store) == {"en2": ("ru1", 1.0)}


def test_an_english_article_is_compared_with_other_languages_only(store):
    enc = CountingEncoder()
    en1, en2 = _article("en1", "Gamma vote", "en"), _article("en2", "Gamma vote", "en")
    store.put_article(en1)
    store.put_article(en2)
    assert _linker(enc).match([en2], store) == {}
    ru = _article("ru1", "Gamma голосование", "ru")
    store.put_article(ru)
    assert _linker(enc).match([en2], store) == {"en2": ("ru1", 1.0)}


@pytest.mark.slow
def test_multilingual_encoder_tells_the_same_event_from_another():
    """The shipped encoder, offline: the Russian report of the seeds' event is closer to an English report of
    it than the threshold, and a Russian report of another event is not."""
    from pathlib import Path

    from storyline.clean import clean
    from storyline.ingest import read_inputs
    from storyline.model import RawDocument

    seeds = Path(__file__).resolve().parents[1] / "examples" / "seeds"
    english = [clean(d) for d in read_inputs([seeds])]
    ru_same = clean(RawDocument(source="ru.txt", text=RUSSIAN_SEED_STORY))
    ru_other = clean(RawDocument(source="ru2.txt", text=RUSSIAN))
    enc = load_encoder()
    vecs = enc.encode([lead_text(a) for a in [ru_same, ru_other, *english]])
    sims = vecs[2:] @ vecs[:2].T
    threshold = ClusterConfig().cross_language_threshold
    assert sims[:, 0].max() >= threshold
    assert sims[:, 1].max() < threshold


def test_join_merges_two_stories_into_the_older(store):
    from storyline.cluster import StoryClusterer

    c = StoryClusterer(ClusterConfig())
    a = _article("a", "Delta storm hits coast", "en")
    b = _article("b", "Unrelated football final result", "en", DAY + timedelta(hours=1))
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(2, c.dim)).astype(np.float32)
    first = c.partial_fit([a, b], embeddings=emb / np.linalg.norm(emb, axis=1, keepdims=True))
    assert first[0].story_id != first[1].story_id
    assert c.join("a", "b") == (first[1].story_id, first[0].story_id)
    assert c.resolve(first[1].story_id) == first[0].story_id
    assert c.join("a", "b") is None
    assert c.join("a", "missing") is None


def test_store_default_and_sqlite_agree_on_articles_near(store):
    from storyline.store.defaults import StoreDefaults

    for i, lang in enumerate(["en", "ru", "fa", "en", None, "ru"]):
        store.put_article(_article(f"a{i}", f"T{i} title", lang, DAY + timedelta(days=i)))
    store.put_article(_article("undated", "Undated title", "ru", None))
    lo, hi = DAY + timedelta(days=1), DAY + timedelta(days=4)
    for args in ((lo, hi, 10), (lo, hi, 2), (lo, hi, 10, "en"), (None, None, 3), (None, None, 10, "en")):
        assert store.article_languages_near(*args) == StoreDefaults.article_languages_near(store, *args), args
    assert [r[0] for r in store.article_languages_near(lo, hi, 10, "en")] == ["a2", "a1"]
    assert [r[0] for r in store.article_languages_near(None, None, 2)] == ["undated", "a5"]


@pytest.mark.slow
def test_a_spark_window_joins_across_languages_too():
    """spark-run's per-window clusterer runs the same step over the window's articles held in memory."""
    from pathlib import Path

    from storyline.clean import clean
    from storyline.config import Config
    from storyline.ingest import read_inputs
    from storyline.model import RawDocument
    from storyline.spark.stories import cluster_window

    seeds = Path(__file__).resolve().parents[1] / "examples" / "seeds"
    english = [clean(d) for d in read_inputs([seeds])]
    others = [
        clean(RawDocument(source=f"{name}.txt", text=text, meta={"date": "2022-01-22"}))
        for name, text in (("ru", RUSSIAN_SEED_STORY), ("ru-budget", RUSSIAN))
    ]
    arts = others + english
    for config in (Config(), Config.from_json('{"cluster": {"cross_language": false}}')):
        rows, _, _ = cluster_window(0, arts, {a.id: i for i, a in enumerate(arts)}, {}, config)
        story = {aid: piece for piece, _, aid in rows}
        seed_story = {story[a.id] for a in english}
        assert len(seed_story) == 1
        joined = story[others[0].id] in seed_story
        assert joined == config.cluster.cross_language
        assert story[others[1].id] not in seed_story


def test_a_language_detected_with_low_probability_is_placed_as_english(store):
    """English text with odd words can be detected as an English creole at 0.3-0.55: it is placed by the English
    signals, not started alone and matched across languages."""
    from storyline.cluster.crosslingual import plan_links

    enc = CountingEncoder()
    unsure = _article("p1", "Talks headline", "pcm")
    unsure.language_score = 0.55
    sure = _article("r1", "Talks headline", "ru")
    sure.language_score = 0.99
    for a in (unsure, sure):
        store.put_article(a)
    # as English: placed by the scorer (not alone, not put in its match's story unscored as a copy is); its
    # match in another language then joins the two stories, as for any English article
    copies: dict[str, str] = {}
    links, alone = plan_links(_linker(enc), [unsure], store, copies)
    assert "p1" not in alone and "p1" not in copies and links["p1"][0] == "r1"
    copies = {}
    links, alone = plan_links(_linker(enc, cross_language_min_score=0.5), [unsure], store, copies)
    assert copies == {"p1": "r1"}  # with the bar lowered it is taken as Pidgin: it joins its match unscored
    copies = {}
    links, alone = plan_links(_linker(enc), [sure], store, copies)
    assert copies == {"r1": "p1"}
