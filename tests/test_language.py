"""Languages: detection, the cleaner on non-English texts, English-only analyses skipped with a note."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from language_samples import (
    ARABIC,
    ENGLISH,
    FRENCH,
    PERSIAN,
    RUSSIAN,
    RUSSIAN_SEED_STORY,
    SAMPLES,
)
from typer.testing import CliRunner

from storyline import analyze as analyze_mod
from storyline import language
from storyline.analyze import StoryAnalyzer, language_neutral_timeline, skipped_notes
from storyline.clean import Cleaner, clean
from storyline.cli import app
from storyline.config import Config
from storyline.language import (
    detect_language,
    header_field,
    is_english,
    is_prose_line,
    language_notes,
    other_language,
)
from storyline.model import Article, Citation, RawDocument, Story, TimelineEntry
from storyline.pipeline import Pipeline
from storyline.store import SQLiteStore


def _body(text: str) -> str:
    """The sample's prose lines (its title and furniture dropped)."""
    return "\n".join(ln for ln in text.splitlines() if len(ln.split()) > 12)


@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_detects_each_sample_language(code):
    lang, score = detect_language(_body(SAMPLES[code]))
    assert lang == code and score is not None and score > 0.7


def test_persian_and_arabic_are_told_apart():
    assert detect_language(_body(PERSIAN))[0] == "fa"
    assert detect_language(_body(ARABIC))[0] == "ar"


def test_no_answer_without_letters():
    assert detect_language("12 345 678 -- 2024-03-12 ... 90%") == (None, None)
    assert detect_language("") == (None, None)


def test_labels_are_iso_639_1(monkeypatch):
    class Fake:
        def __init__(self, label):
            self.label = label

        def classify(self, text):
            return self.label, 0.93

    for label, code in (("arz", "ar"), ("ary", "ar"), ("yue", "zh"), ("ru", "ru"), ("zxx", None)):
        monkeypatch.setattr(language, "_identifier", lambda label=label: Fake(label))
        assert detect_language("some words of text that are long enough to classify")[0] == code


def test_english_only_notes():
    assert language_notes("en") == [] and language_notes(None) == []
    notes = language_notes("ru")
    assert any(n.startswith("quotes: English only, skipped") and n.endswith("(language ru)") for n in notes)
    assert any(n.startswith("timeline:") for n in notes)
    assert is_english(None) and is_english("en") and not is_english("fa")


def test_language_neutral_rules():
    assert is_prose_line("По словам министра финансов, дефицит бюджета не превысит двух процентов валового продукта.")
    assert is_prose_line("وقال وزير الزراعة إن الخطة تشمل قروضا ميسرة وتوزيع بذور محسنة على أكثر من مليون مزارع.")
    assert not is_prose_line("Правительство одобрило новый бюджет на следующий год")  # a title: no sentence end
    assert not is_prose_line("Читайте также")
    assert header_field("12 марта 2024, 14:35", "ru") == ("published", datetime(2024, 3, 12, 14, 35), "minute")
    assert header_field("mercredi 12 mars 2024", "fr") == ("published", datetime(2024, 3, 12), "day")
    assert header_field("Автор: Анна Смирнова", "ru") == ("author", "Анна Смирнова", None)
    assert header_field("Читайте также: новости экономики", "ru") is None  # not capitalised names
    assert header_field("Правительство одобрило новый бюджет", "ru") is None
    assert other_language(RUSSIAN.splitlines()) == "ru"
    assert other_language(ENGLISH.splitlines()) is None


# ----------------------------------------------------------------------------- the cleaner on other languages


def test_cleaner_on_russian_reads_header_in_russian_and_keeps_body_apart():
    a = clean(RawDocument(source="ru.txt", text=RUSSIAN))
    assert isinstance(a, Article)
    assert a.language == "ru" and a.language_score > 0.9
    assert a.title == "Правительство одобрило новый бюджет на следующий год"
    assert a.published == datetime(2024, 3, 12, 14, 35) and a.date_precision == "minute"
    assert a.author == "Анна Смирнова"
    assert a.paragraphs[0].startswith("МОСКВА, 12 марта. Правительство России")  # no header line glued to the lead
    assert not any("Автор" in p or "14:35" in p for p in a.paragraphs)
    assert {r.reason for r in a.removed} >= {"meta:title", "meta:date", "meta:byline"}
    assert any("quotes: English only" in n for n in a.notes)


@pytest.mark.parametrize("text,code", [(ARABIC, "ar"), (PERSIAN, "fa"), (FRENCH, "fr")])
def test_cleaner_on_other_languages_finds_title_and_paragraphs(text, code):
    a = clean(RawDocument(source=f"{code}.txt", text=text))
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert isinstance(a, Article) and a.language == code
    assert a.title == lines[0]
    assert a.paragraphs == lines[1:]  # one paragraph per line, the title not glued to the lead
    assert a.notes == language_notes(code)


def test_cleaner_on_english_is_unchanged_by_language_rules():
    a = clean(RawDocument(source="en.txt", text=ENGLISH))
    assert a.language == "en" and a.notes == []
    assert a.title == "Council approves new budget for city schools" and a.published == datetime(2024, 3, 12)
    assert a.paragraphs[0].startswith("The city council on Thursday")


def test_html_path_detects_language():
    paras = "".join(f"<p>{ln}</p>" for ln in RUSSIAN.splitlines()[3:6])
    html = f"<html><head><title>Бюджет</title></head><body><article><h1>Бюджет</h1>{paras}</article></body></html>"
    a = Cleaner().transform(RawDocument(source="ru.html", html=html))
    assert isinstance(a, Article) and a.language == "ru" and a.notes == language_notes("ru")


def test_language_and_notes_are_stored_and_exported(tmp_path):
    db = tmp_path / "lang.db"
    feed = tmp_path / "feed.jsonl"
    rows = [json.dumps({"text": t, "url": f"https://news.example.com/{c}/1"}) for c, t in SAMPLES.items()]
    feed.write_text("\n".join(rows), encoding="utf-8")
    r = CliRunner().invoke(app, ["ingest", str(feed), "--db", str(db), "--no-stories"])
    assert r.exit_code == 0, r.output
    with SQLiteStore(db) as store:
        got = {a.language: a for a in store.iter_articles()}
    assert set(got) == set(SAMPLES)
    assert got["ru"].notes == language_notes("ru") and got["en"].notes == [] and got["fa"].language_score > 0.5
    out = CliRunner().invoke(app, ["export", "--db", str(db)])
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert {row["language"] for row in rows} == set(SAMPLES)
    assert all("language_score" in row and "notes" in row for row in rows)
    shown = CliRunner().invoke(app, ["show", got["ar"].id, "--db", str(db)])
    assert "quotes: English only, skipped (language ar)" in shown.output


# ----------------------------------------------------------------------------- English-only analyses


def _art(text: str, source: str, day: int) -> Article:
    a = clean(RawDocument(source=source, text=text, meta={"date": f"2022-01-{day:02d}"}))
    assert isinstance(a, Article)
    return a


def test_story_analysis_leaves_non_english_articles_out_of_english_only_stages(monkeypatch, embedder):
    from storyline import quotes as quotes_mod

    english = _art(ENGLISH, "en", 21)
    russian = _art(RUSSIAN_SEED_STORY, "ru", 22)
    given: list[list[str]] = []
    real = quotes_mod.extract_quotes

    def spy(articles):
        given.append([a.id for a in articles])
        return real(articles)

    monkeypatch.setattr(quotes_mod, "extract_quotes", spy)
    story = Story("s1", [english.id, russian.id])
    analysis = StoryAnalyzer(Config(), embedder).analyze(story, [english, russian])
    assert given == [[english.id]]  # quotes read the English article only
    assert all(q.article_id == english.id for q in analysis.quotes) and analysis.quotes
    # what the timeline takes from the Russian article needs no reading: its publication-date lead (or an ISO date)
    from_russian = [e for e in analysis.timeline if any(c.article_id == russian.id for c in e.sources)]
    assert all(e.expression == "(publication date)" or e.expression[:4].isdigit() for e in from_russian)
    assert any(c.article_id == english.id for e in analysis.timeline for c in e.sources)
    assert any(n.startswith("quotes: English only") and russian.id in n and "(ru)" in n for n in analysis.notes)
    assert any(n.startswith("timeline:") and russian.id in n for n in analysis.notes)
    assert {c.article_id for g in analysis.claims for c in g.claims} == {english.id, russian.id}  # claims: all


def test_timeline_keeps_only_what_needs_no_reading_from_other_languages():
    def entry(expr, *ids):
        return TimelineEntry(
            date=date(2022, 1, 22),
            precision="day",
            text="x",
            expression=expr,
            sources=[Citation(article_id=i) for i in ids],
        )

    entries = [
        entry("(publication date)", "ru1"),
        entry("2022-01-20", "ru1"),
        entry("on Friday", "ru1"),
        entry("on Friday", "en1", "ru1"),
        entry("yesterday", "en1"),
    ]
    kept = language_neutral_timeline(entries, {"ru1"})
    assert [(e.expression, [c.article_id for c in e.sources]) for e in kept] == [
        ("(publication date)", ["ru1"]),
        ("2022-01-20", ["ru1"]),
        ("on Friday", ["en1"]),
        ("yesterday", ["en1"]),
    ]
    assert language_neutral_timeline(entries, set()) == entries
    assert skipped_notes({}) == []


def test_analysis_notes_survive_the_store(tmp_path, embedder, monkeypatch):
    store = SQLiteStore(tmp_path / "a.db")
    ru, fa = _art(RUSSIAN, "ru", 2), _art(PERSIAN, "fa", 3)
    for a in (ru, fa):
        store.put_article(a)
    store.save_story(Story("s1", [ru.id, fa.id]))
    monkeypatch.setattr(analyze_mod, "StoryAnalyzer", lambda config, _=None: StoryAnalyzer(config, embedder))
    first = analyze_mod.analysis_for(store, "s1")
    assert first.quotes == [] and len(first.notes) == 2 and "(fa)" in first.notes[0]
    assert store.get_analysis("s1")[1].notes == first.notes
    store.close()


@pytest.mark.slow
@pytest.mark.parametrize("russian_first", [False, True])
def test_non_english_articles_join_the_story_of_the_same_event(tmp_path, russian_first):
    """Across languages (cluster/crosslingual.py): the Russian report of the seeds' event joins the English
    story whichever comes first; the Russian report of another event, and the Arabic and Persian ones, each
    start a story of their own (the English scorer does not lump them together)."""
    from pathlib import Path

    from storyline.ingest import read_inputs

    store = SQLiteStore(tmp_path / "c.db")
    seeds = Path(__file__).resolve().parents[1] / "examples" / "seeds"
    english_docs = list(read_inputs([seeds]))
    other_docs = [
        RawDocument(source=f"{c}.txt", text=t, meta={"date": "2022-01-22"})
        for c, t in (("ru", RUSSIAN_SEED_STORY), ("ar", ARABIC), ("fa", PERSIAN), ("ru-budget", RUSSIAN))
    ]
    docs = other_docs + english_docs if russian_first else english_docs + other_docs
    report = Pipeline(store, workers=1).ingest(docs)
    assert len(report.stored) == 9 and not report.rejected
    by_source = {r.source: r.article_id for r in report.stored}
    english = {by_source[d.source] for d in english_docs}

    def check() -> None:
        stories = store.list_stories(limit=100)
        seed_story = [s for s in stories if set(s.article_ids) >= english]
        assert len(seed_story) == 1
        assert set(seed_story[0].article_ids) == english | {by_source["ru.txt"]}
        for source in ("ar.txt", "fa.txt", "ru-budget.txt"):
            assert [s.article_ids for s in stories if by_source[source] in s.article_ids] == [[by_source[source]]]

    check()
    from storyline.cluster import ClusterStage
    from storyline.embed import get_embedder

    config = Config()
    ClusterStage(config.cluster, get_embedder(config.embed)).recluster(store)  # `storyline recluster`: the same
    check()
    assert {a.language for a in store.iter_articles()} == {"en", "ru", "ar", "fa"}
    store.close()
