"""Score Storyline's cleaning on the article-extraction benchmark (../shared/data/aeb).

Two paths, scored with the benchmark's own metric (tokens by ``\\w+``, 4-word shingles as
multisets, per-page TP/FP/FN normalised to sum to 1, precision and recall averaged over pages,
F1 = harmonic mean of the two averages):

* HTML path: the raw page through Storyline's HTML cleaner (trafilatura + metadata);
* plain-text path: the page turned into its whole visible text as a naive scraper leaves it
  (lxml.html, script/style/noscript dropped, one line per block element), then cleaned by
  Storyline's own plain-text cleaner, learning recurring furniture from the pages themselves.

The plain-text cleaner's line classifier (its rules, and the learnt line model fitted by
``eval/train_clean.py``) was designed and fitted on the pages at even positions of the sorted ids
("tune" half); the odd positions are the held-out half. Run: ``python eval/clean.py``.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


from storyline.datasets import shared_dir as _shared  # noqa: E402

AEB = _shared() / "data" / "aeb"

# Published F1 on all 181 pages (scrapinghub/article-extraction-benchmark README, as quoted in
# ../shared/README.md and ../shared/data/aeb/RESULTS.md).
PUBLISHED = {
    "trafilatura 2.0.0": 0.958,
    "newspaper4k": 0.949,
    "news-please": 0.948,
    "readability.js": 0.947,
    "readability-lxml": 0.922,
    "boilerpipe": 0.860,
    "justext": 0.804,
    "whole-page text": 0.665,
}

# ----------------------------------------------------------------------------- the metric

_TOKEN = re.compile(r"\w+", re.UNICODE)


def _shingles(text: str, n: int = 4) -> Counter:
    toks = _TOKEN.findall(text or "")
    return Counter(tuple(toks[i : i + n]) for i in range(max(1, len(toks) - n + 1)) if toks[i : i + n])


def page_scores(truth: str, pred: str) -> tuple[float, float, float]:
    """Normalised (tp, fp, fn) of one page."""
    t, p = _shingles(truth), _shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def aggregate(scores: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """(F1, precision, recall) over pages, as the benchmark computes them."""
    ps = [_precision(*s) for s in scores if s[0] + s[1] > 0]
    rs = [_recall(*s) for s in scores if s[0] + s[2] > 0]
    p = sum(ps) / len(ps) if ps else 0.0
    r = sum(rs) / len(rs) if rs else 0.0
    return (2 * p * r / (p + r) if p + r else 0.0), p, r


# ----------------------------------------------------------------------------- the naive scraper

BLOCK_TAGS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tr",
    "td",
    "th",
    "ul",
    "option",
    "caption",
    "tbody",
    "thead",
    "tfoot",
    "menu",
    "title",
}
DROP_TAGS = {"script", "style", "noscript", "template", "svg", "iframe"}


def visible_text(html: str) -> str:
    """The page's whole visible text, one line per block element (what a naive scraper keeps)."""
    import lxml.etree
    import lxml.html

    try:
        doc = lxml.html.document_fromstring(html)
    except (lxml.etree.LxmlError, ValueError):  # nothing a parser can read
        return ""
    body = doc.find("body")
    root = body if body is not None else doc
    parts: list[str] = []

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag.lower() in DROP_TAGS or not isinstance(el.tag, str):
            if el.tail:
                parts.append(el.tail)
            return
        block = tag.lower() in BLOCK_TAGS
        if block:
            parts.append("\n")
        if el.text:
            parts.append(el.text)
        for child in el:
            walk(child)
        if block:
            parts.append("\n")
        if el.tail:
            parts.append(el.tail)

    walk(root)
    text = "".join(parts)
    lines = [re.sub(r"[ \t\r\f\v\u00a0]+", " ", ln).strip() for ln in text.split("\n")]
    return "\n".join(ln for ln in lines if ln)


# ----------------------------------------------------------------------------- runs


def load_pages() -> tuple[list[str], dict[str, str], dict[str, str]]:
    truth = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))
    ids = sorted(truth)
    html = {i: (AEB / "html" / f"{i}.html").read_text(encoding="utf-8", errors="replace") for i in ids}
    return ids, {i: truth[i].get("articleBody", "") for i in ids}, html


def split_halves(ids: list[str]) -> tuple[list[str], list[str]]:
    """Tune half = even positions of the sorted ids; held-out half = odd positions."""
    return ids[0::2], ids[1::2]


def run_text_path(ids: list[str], html: dict[str, str]) -> dict[str, str]:
    from storyline.clean import Cleaner
    from storyline.model import Article, RawDocument

    docs = [RawDocument(source=i, text=visible_text(html[i])) for i in ids]
    cleaner = Cleaner()
    cleaner.partial_fit(docs)  # corpus learning over all the pages, as ingest does
    out = {}
    for d in docs:
        a = cleaner.transform(d)
        out[d.source] = "\n\n".join(a.paragraphs) if isinstance(a, Article) else ""
    return out


def run_html_path(ids: list[str], html: dict[str, str]) -> dict[str, str]:
    from storyline.clean import Cleaner
    from storyline.model import Article, RawDocument

    cleaner = Cleaner()
    out = {}
    for i in ids:
        a = cleaner.transform(RawDocument(source=i, html=html[i]))
        out[i] = "\n\n".join(a.paragraphs) if isinstance(a, Article) else ""
    return out


def score(ids: list[str], truth: dict[str, str], pred: dict[str, str]) -> tuple[float, float, float]:
    return aggregate([page_scores(truth[i], pred[i]) for i in ids])


def main() -> int:
    if not (AEB / "ground-truth.json").exists():
        print(f"skipped: benchmark data not found at {AEB} (needs ../shared/data/aeb beside the repository)")
        return 0
    ids, truth, html = load_pages()
    tune, held = split_halves(ids)
    t0 = time.perf_counter()
    naive = {i: visible_text(html[i]) for i in ids}
    text_pred = run_text_path(ids, html)
    t_text = time.perf_counter() - t0
    t0 = time.perf_counter()
    html_pred = run_html_path(ids, html)
    t_html = time.perf_counter() - t0

    import trafilatura

    t0 = time.perf_counter()
    plain_traf = {i: trafilatura.extract(html[i]) or "" for i in ids}  # the published system, defaults, same pages
    t_traf = time.perf_counter() - t0

    rows = []
    for name, pred in (
        ("HTML path (Storyline, via trafilatura)", html_pred),
        ("plain-text path (Storyline cleaner)", text_pred),
        ("trafilatura.extract, defaults", plain_traf),
        ("whole visible text (no cleaning)", naive),
    ):
        for part, sel in (("tune half", tune), ("held-out half", held), ("all", ids)):
            rows.append((name, part, len(sel), *score(sel, truth, pred)))

    print(f"Article-extraction benchmark, {len(ids)} pages in {AEB}")
    print(f"tune half = even positions of sorted ids ({len(tune)}), held-out = odd positions ({len(held)})\n")
    print(f"{'system':<40} {'pages':<20} {'F1':>6} {'P':>6} {'R':>6}")
    for name, part, n, f1, p, r in rows:
        print(f"{name:<40} {part + f' ({n})':<20} {f1:6.3f} {p:6.3f} {r:6.3f}")
    print("\nPublished F1 (all 181 pages; scrapinghub/article-extraction-benchmark README):")
    for name, f1 in PUBLISHED.items():
        print(f"  {name:<20} {f1:.3f}")
    print(f"\ntime: plain-text path {t_text:.1f}s, HTML path {t_html:.1f}s, trafilatura defaults {t_traf:.1f}s")
    print(
        "Note: the published figures are on all 181 pages; ours on the 92 pages in ../shared (the same half for every row)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
