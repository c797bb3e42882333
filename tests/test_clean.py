"""Cleaning: the seeds' "Cleaning" facts (../shared/seeds/README.md), the whole-page line
classifier, metadata from the text, and properties of ids and cleaning."""

from __future__ import annotations

import importlib.util
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyline.clean import Cleaner, clean, furniture_reason
from storyline.ingest import read_inputs
from storyline.model import Article, RawDocument, Rejection, content_id

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "examples" / "seeds"

FURNITURE = [
    "Most Visited in Other Media",
    "Top Other Media stories",
    "Top Stories",
    "fbpx",
    "Photo Reuters",
    "Go to home page",
    "Back to top",
    "About the author",
]


def _norm(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def seeds() -> dict[str, tuple[RawDocument, Article]]:
    docs = [d for d in read_inputs([SEEDS]) if isinstance(d, RawDocument)]
    assert len(docs) == 5
    cleaner = Cleaner().partial_fit(docs)  # corpus learning over the five, as ingest does
    out = {}
    for d in docs:
        a = cleaner.transform(d)
        assert isinstance(a, Article), a
        out[Path(d.source).name[:3]] = (d, a)
    return out


# ----------------------------------------------------------------------------- the seeds' facts


@pytest.mark.parametrize("phrase", FURNITURE)
def test_seed_furniture_is_gone_and_listed_as_removed(seeds, phrase):
    present = [k for k, (d, _) in seeds.items() if phrase in d.text]
    assert present, f"{phrase!r} should occur in some raw seed"
    for k in present:
        a = seeds[k][1]
        assert phrase.lower() not in a.text.lower(), f"{phrase!r} left in seed {k}"
        assert any(phrase in r.text for r in a.removed), f"{phrase!r} not among seed {k}'s removed lines"


def test_spelling_notice_and_what_follows_is_gone(seeds):
    raw, a = seeds["004"]
    lines = [ln.strip() for ln in raw.text.splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if "spelling error" in ln.lower())
    tail = lines[start:]
    assert len(tail) >= 3
    for ln in tail:
        assert ln not in a.text
        assert any(r.text == ln and r.reason.startswith("after:") for r in a.removed)
    assert "spelling" not in a.text.lower() and "editors" not in a.text.lower()


def test_seed_bodies_kept_whole(seeds):
    """Every prose line of every raw seed (12+ words) is in the clean text, in order."""
    for k, (raw, a) in seeds.items():
        text = _norm(a.text)
        pos = 0
        prose = [
            ln
            for ln in raw.text.splitlines()
            if len(ln.split()) >= 12 and _norm(ln) != _norm(a.title or "") and "spelling error" not in ln
        ]
        assert prose
        for ln in prose:
            i = text.find(_norm(ln), pos)
            assert i >= 0, f"seed {k} lost: {ln[:80]!r}"
            pos = i


def test_seed_metadata(seeds):
    a0, a1, a2, a3, a4 = (seeds[k][1] for k in ("000", "001", "002", "003", "004"))
    # outlets as the text shows them
    assert a0.outlet == "Tasnim" and a0.dateline == "Tehran"
    assert a1.outlet == "TASS" and a1.dateline == "Washington"
    assert a2.outlet == "The Frontier Post" and a2.author == "Ivan Zhukovsky"
    assert a3.outlet == "EIRNS"
    assert a4.outlet is None  # an unnamed site: nothing invented
    # dates where the text gives them, with their precision; none invented
    assert (a1.published, a1.date_precision) == (datetime(2022, 1, 22), "day")
    assert (a3.published, a3.date_precision) == (datetime(2022, 1, 26), "day")
    assert (a4.published, a4.date_precision) == (datetime(2022, 2, 2, 13, 29), "minute")
    assert a0.published is None and a0.date_precision is None
    assert a2.published is None and a2.date_precision is None
    # titles: the first real line, the repeat collapsed; the TASS text has none
    assert a0.title == "Washington Asks Russia to Keep US Response on Security Guarantees Secret"
    assert a0.paragraphs[0].startswith("TEHRAN (Tasnim)")
    assert [r.reason for r in a0.removed if r.text == a0.title] == ["meta:title", "repeated-title"]
    assert a2.title == "Song without words"
    assert a3.title.startswith("Washington Makes Written Response to Moscow Security Proposal")
    assert a4.title.startswith("Media revealed US and NATO responses")
    assert a1.title is None
    assert all(a.language == "en" for a in (a0, a1, a2, a3, a4))
    # the title is metadata, not body
    for a in (a0, a2, a3, a4):
        assert _norm(a.title) not in _norm(a.paragraphs[0])


def test_seeds_clean_without_corpus_learning():
    """The general rules alone already give the seeds' facts (learning only adds to them)."""
    for path in sorted(SEEDS.glob("*.txt")):
        a = clean(RawDocument(str(path), text=path.read_text(encoding="utf-8")))
        assert isinstance(a, Article)
        for phrase in FURNITURE:
            assert phrase.lower() not in a.text.lower()


def test_ids_are_content_hashes(seeds):
    ids = {a.id for _, a in seeds.values()}
    assert len(ids) == 5
    for _, a in seeds.values():
        assert a.id == content_id(a.paragraphs)


# ----------------------------------------------------------------------------- rules and learning


def test_furniture_reason_rules():
    assert furniture_reason("Back to top    Go to home page clear") == "rule:navigation"
    assert furniture_reason("Share on Facebook") == "rule:social"
    assert furniture_reason("This website uses cookies to improve your experience.") == "rule:cookie-notice"
    assert furniture_reason("The minister said the talks would resume in Geneva next week.") is None
    assert furniture_reason("Top officials met on Friday to discuss the top stories of the year in detail.") is None


def _article_text(i: int) -> str:
    return (
        f"Officials in the capital said on Monday that the reform number {i} would be debated by the parliament "
        f"before the end of the session, after months of negotiations between the parties in the coalition.\n\n"
        f"The opposition has criticised the plan {i}, arguing that it was drafted without consulting the regions "
        f"and that its cost had not been estimated by the finance ministry."
    )


def test_corpus_learning_removes_recurring_lines_of_an_outlet():
    docs = [
        RawDocument(
            f"d{i}",
            text=f"Daily Planet Weekend Edition\n\n{_article_text(i)}\n\nSubscribe to the Daily Planet print edition today",
        )
        for i in range(6)
    ]
    rules_only = Cleaner().transform(docs[0])
    assert "Daily Planet Weekend Edition" in (rules_only.title or "") + rules_only.text
    learnt = Cleaner().partial_fit(docs)
    for d in docs:
        a = learnt.transform(d)
        assert "Daily Planet" not in a.text and a.title != "Daily Planet Weekend Edition"
        assert any(r.reason == "learned:recurring-line" for r in a.removed)
        assert "reform number" in a.text
    # a recurring body sentence (long) is never learnt as furniture
    assert not learnt._learnt("officials in the capital said on monday that the reform would be debated", None)


def test_corpus_learning_never_learns_bare_numbers():
    docs = [RawDocument(f"d{i}", text=f"1\n2\n3\n{_article_text(i)}") for i in range(8)]
    cleaner = Cleaner().partial_fit(docs)
    assert not cleaner._learnt("1", None)


def test_dates_from_text_never_invented():
    base = _article_text(1)
    cases = {
        "Published: March 3, 1999": (datetime(1999, 3, 3), "day"),
        "date 2021-12-17": (datetime(2021, 12, 17), "day"),
        "09:15 17 Dec 2021": (datetime(2021, 12, 17, 9, 15), "minute"),
        "Updated 3 hours ago": (None, None),
        "January 22": (None, None),  # no year written: not a full date
    }
    for line, expected in cases.items():
        a = clean(RawDocument("x", text=f"A Headline About Reform\n{line}\n\n{base}"))
        assert (a.published, a.date_precision) == expected, line


def test_jsonl_metadata_wins_over_text():
    raw = RawDocument(
        "x", text="date 2021-12-17\n\n" + _article_text(2), meta={"date": "2020-05-01", "outlet": "Given", "title": "T"}
    )
    a = clean(raw)
    assert (a.published, a.outlet, a.title) == (datetime(2020, 5, 1), "Given", "T")


def test_too_short_and_empty_are_rejected():
    assert isinstance(clean(RawDocument("x", text="Back to top\nShare\n")), Rejection)
    r = clean(RawDocument("x", text="Hello there."))
    assert isinstance(r, Rejection) and "too short" in r.reason


# ----------------------------------------------------------------------------- whole pages


NAV = [
    "Home",
    "World",
    "Business",
    "Sport",
    "Culture",
    "Video",
    "Newsletters",
    "Log in",
    "Subscribe",
    "Search",
    "Politics",
    "Science",
    "Health",
    "Travel",
    "Opinion",
    "Podcasts",
]
TEASERS = [
    "Why The City Council Delayed Its Vote Again",
    "Storm Warnings Issued Along The Coast",
    "Ten Recipes For A Rainy Weekend",
    "The Best Phones Of The Year, Ranked",
]
PROSE = [
    "The council voted on Tuesday to approve the new budget, which increases spending on schools and public transport by a fifth over the next two years.",
    "Supporters of the plan said it would help families who had been struggling with rising costs, while critics warned that the city could not afford it.",
    "The mayor, who had campaigned on the issue, told reporters after the vote that the decision was the most important of her first term in office.",
    "A final reading is expected next month, after which the budget will be sent to the regional government for approval.",
]


def _page(body: list[str]) -> str:
    lines = (
        NAV
        + ["Local news"]
        + body
        + ["Related stories"]
        + TEASERS
        + ["© 2024 Example Media. All rights reserved"]
        + NAV[:8]
    )
    return "\n".join(lines)


def test_whole_page_keeps_the_article_and_drops_menus_and_teasers():
    a = clean(RawDocument("page", text=_page(PROSE)))
    assert isinstance(a, Article)
    assert [_norm(p) for p in a.paragraphs] == [_norm(p) for p in PROSE]
    assert not any(t in a.text for t in TEASERS + ["Newsletters", "Podcasts"])
    assert any(r.reason == "classifier:boilerplate" for r in a.removed)


def test_whole_page_keeps_a_subheading_and_a_numbered_list_inside_the_article():
    body = PROSE[:2] + [
        "What happens next",
        PROSE[2],
        "The plan has three parts:",
        "1. More buses",
        "2. New schools",
        "3. Lower fares",
        PROSE[3],
    ]
    a = clean(RawDocument("page", text=_page(body)))
    text = a.text
    for line in ("What happens next", "1. More buses", "2. New schools", "3. Lower fares"):
        assert line in text


def test_line_model_is_shipped_and_matches_the_features():
    from storyline import boilerplate

    m = boilerplate.line_model()
    assert m is not None, "storyline/data/clean_lines.json missing from the package"
    assert m["features"] == list(boilerplate.FEATURES)
    assert len(m["coef"]) == len(m["mean"]) == len(m["scale"]) == len(boilerplate.FEATURES)


def test_line_model_decides_and_drops_a_trailing_teaser_list():
    """The learnt model makes the final call on a page (switching it off changes the decision on
    some line), and a list of headline + one-paragraph teasers after the article is dropped."""
    from storyline import boilerplate
    from storyline.config import CleanConfig

    blurbs = [
        "Officials say the vote could come as soon as next week, after a long delay.",
        "Forecasters expect heavy rain and strong winds to reach the coast by the weekend.",
        "Simple dishes that use what is already in your kitchen cupboard.",
        "Our reviewers tested dozens of handsets over the past twelve months.",
    ]
    teasers = [x for pair in zip(TEASERS, blurbs, strict=True) for x in pair]
    lines = NAV + ["Local news"] + PROSE + ["Related stories"] + teasers + ["© 2024 Example Media. All rights reserved"]
    learnt = boilerplate.keep_mask(lines, CleanConfig(bp_learnt=True))
    assert [s for s, k in zip(lines, learnt, strict=True) if k] == PROSE
    model = boilerplate.line_model()
    feats_differ = False
    try:
        # a model that keeps everything it may: the mask must follow it (the model is really used)
        boilerplate.set_line_model(dict(model, coef=[0.0] * len(model["coef"]), intercept=5.0))
        everything = boilerplate.keep_mask(lines, CleanConfig(bp_learnt=True))
        feats_differ = everything != learnt
    finally:
        boilerplate.set_line_model(model)
    assert feats_differ
    rules = boilerplate.keep_mask(lines, CleanConfig(bp_learnt=False))
    assert [s for s, k in zip(lines, rules, strict=True) if k][: len(PROSE)] == PROSE


words_st = st.sampled_from(
    [
        "the",
        "a",
        "of",
        "to",
        "and",
        "in",
        "that",
        "said",
        "on",
        "for",
        "it",
        "with",
        "as",
        "was",
        "at",
        "by",
        "from",
        "officials",
        "government",
        "minister",
        "talks",
        "plan",
        "city",
        "people",
        "year",
        "week",
        "country",
        "agreement",
        "vote",
        "council",
        "report",
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.lists(st.lists(words_st, min_size=25, max_size=60), min_size=1, max_size=4),
    cut=st.integers(min_value=0, max_value=len(NAV)),
)
def test_property_prose_paragraphs_among_furniture_are_never_lost(body, cut):
    paras = [" ".join(w).capitalize() + "." for w in body]
    text = "\n".join(
        NAV[:cut] + ["Most Visited", "Share on Facebook"] + paras + ["Back to top", "Top Stories"] + NAV[cut:]
    )
    a = clean(RawDocument("p", text=text))
    assert isinstance(a, Article)
    got = _norm(a.text)
    for p in paras:
        assert _norm(p) in got


@settings(max_examples=60, deadline=None)
@given(
    paras=st.lists(
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=80),
        min_size=1,
        max_size=4,
    ),
    spaces=st.sampled_from([" ", "  ", "\t", " \u00a0"]),
)
def test_property_content_id_stable_under_whitespace_and_quotes(paras, spaces):
    variant = [p.replace(" ", spaces).replace("'", "\u2019").replace('"', "\u201c") + "  " for p in paras]
    assert content_id(paras) == content_id(variant)


# ----------------------------------------------------------------------------- the benchmark (../shared)


def _eval_module():
    spec = importlib.util.spec_from_file_location("eval_clean", ROOT / "eval" / "clean.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_plain_text_path_on_the_extraction_benchmark():
    ev = _eval_module()
    if not (ev.AEB / "ground-truth.json").exists():
        pytest.skip("../shared/data/aeb not present")
    ids, truth, html = ev.load_pages()
    tune, held = ev.split_halves(ids)
    pred = ev.run_text_path(ids, html)
    f1_all, _, recall = ev.score(ids, truth, pred)
    f1_held = ev.score(held, truth, pred)[0]
    naive = {i: ev.visible_text(html[i]) for i in ids}
    f1_naive = ev.score(ids, truth, naive)[0]
    assert f1_naive < 0.75  # the uncleaned page text, for reference
    assert f1_all >= 0.86 and f1_held >= 0.80 and recall >= 0.88, (f1_all, f1_held, recall)


def test_benchmark_metric_matches_its_definition():
    ev = _eval_module()
    assert ev.page_scores("a b c d e", "a b c d e") == (1.0, 0.0, 0.0)
    tp, fp, fn = ev.page_scores("a b c d e", "a b c d x")
    assert (tp, fp, fn) == (1 / 3, 1 / 3, 1 / 3)  # shingles (a b c d), (b c d e) vs (a b c d), (b c d x)
    f1, p, r = ev.aggregate([(1.0, 0.0, 0.0), (0.5, 0.5, 0.0)])
    assert (p, r) == (0.75, 1.0) and abs(f1 - 2 * 0.75 / 1.75) < 1e-12


def test_html_path_on_the_extraction_benchmark_held_out_half():
    ev = _eval_module()
    if not (ev.AEB / "ground-truth.json").exists():
        pytest.skip("../shared/data/aeb not present")
    ids, truth, html = ev.load_pages()
    _, held = ev.split_halves(ids)
    pred = ev.run_html_path(held, html)
    f1 = ev.score(held, truth, pred)[0]
    assert f1 >= 0.94, f1


# ----------------------------------------------------------------------------- hard-wrapped text


@settings(max_examples=30, deadline=None)
@given(
    body=st.lists(st.lists(words_st, min_size=30, max_size=90), min_size=1, max_size=5),
    width=st.integers(min_value=45, max_value=100),
    blank=st.booleans(),
)
def test_property_hard_wrapped_text_loses_nothing(body, width, blank):
    """Newswire/e-mail text wrapped at a fixed width: every word stays body (no line taken for a title
    or for furniture because wrapping made it short)."""
    import textwrap

    paras = [" ".join(w).capitalize() + "." for w in body]
    text = ("\n\n" if blank else "\n").join(textwrap.fill(p, width) for p in paras)
    a = clean(RawDocument("wire", text=text))
    assert isinstance(a, Article)
    assert a.title is None
    assert _norm(a.text) == _norm(" ".join(paras))


def test_duc_newswire_bodies_are_kept_whole():
    shared = ROOT.parent / "shared"
    if not shared.is_dir():
        shared = ROOT.parent.parent / "shared"
    files = sorted((shared / "data" / "duc2004" / "docs").glob("*/*.txt"))
    if not files:
        pytest.skip("../shared/data/duc2004 not present")
    for f in files:
        text = f.read_text(encoding="utf-8", errors="replace")
        a = clean(RawDocument(str(f), text=text))
        assert isinstance(a, Article) and _norm(a.text) == _norm(text), f


def test_whole_page_keeps_an_announced_list():
    items = ["Flour", "Two eggs", "A pinch of salt", "Milk", "Butter for the pan", "Sugar", "Lemon juice"]
    body = PROSE[:2] + ["You will need the following:"] + items + PROSE[2:]
    a = clean(RawDocument("page", text=_page(body)))
    for item in items:
        assert item in a.paragraphs or any(item in p for p in a.paragraphs)
    assert "Newsletters" not in a.text


def test_clean_article_with_many_short_lines_is_not_treated_as_a_page():
    """Many short lines but no sign of site furniture (an interview laid out line by line): all kept."""
    lines = []
    for i in range(14):
        lines += [
            f"Question {i}: what changed in week {i} for the team?",
            f"Answer: a lot changed in week {i}, honestly.",
            PROSE[i % 4],
        ]
    a = clean(RawDocument("qa", text="Interview With The Coach\n\n" + "\n".join(lines)))
    assert a.title == "Interview With The Coach"
    for ln in lines:
        assert ln in a.text
