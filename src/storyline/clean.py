"""Cleaning: raw document -> :class:`Article` (body paragraphs, metadata, removed lines).

HTML goes through trafilatura (text and metadata). Plain scraped text goes through
Storyline's own cleaner:

1. general furniture rules (navigation, "Most Visited", "Back to top", photo credits,
   tracking tokens, author boxes, the spelling-error notice and everything after it);
2. furniture learnt from the corpus itself: short lines that recur across several
   documents (:meth:`Cleaner.fit` / :meth:`Cleaner.partial_fit`);
3. a title repeated at the top is collapsed;
4. header lines (date, byline, "Written by") become metadata.

The body is never cut: rules only drop short lines that match furniture patterns,
and trailing blocks only after an explicit end-of-article marker.
"""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from lxml.etree import LxmlError

from .config import CleanConfig
from .language import (
    SENTENCE_END,
    detect_language,
    header_field,
    is_prose_line,
    language_notes,
    other_language,
)
from .model import Article, RawDocument, Rejection, RemovedLine, content_id, normalise_for_hash
from .text import stopwords, words
from .urls import canonical_link, choose_url, registered_domain

# Failures that belong to one document and are reported on it as a rejection: text no encoding explains,
# markup the parser gives up on, markup nested too deep to walk. Every other exception (a missing dependency,
# memory, a bug) is not the input's fault: it propagates and stops the command, which names it.
DOCUMENT_ERRORS: tuple[type[BaseException], ...] = (UnicodeError, LxmlError, RecursionError)


def _document_error_reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeError):
        return "undecodable text"
    if isinstance(exc, RecursionError):
        return "markup nested too deeply"
    return "unparsable markup"


# ----------------------------------------------------------------------------- furniture rules

# Whole-line furniture: the line is nothing but one of these.
_FURNITURE_LINE = [
    (r"most (visited|viewed|read|popular|shared)( in [\w\s]+| stories| articles| news)?", "navigation"),
    (r"top( [\w\s]+)? (stories|news|headlines|articles)", "navigation"),
    (r"(trending|latest|related|recommended|popular|more)( now| news| stories| articles| posts| videos| from [\w\s]+)?:?", "navigation"),
    (r"(read|see) (more|also|next)( on| about| from)?[\w\s:]*", "navigation"),
    (r"go to (the )?home ?page|home|menu|search|skip to (main )?content|main menu|navigation", "navigation"),
    (r"back to top|scroll to top|to top", "navigation"),
    (r"fbpx|adsbygoogle.*|googletag.*|window\.\w+.*|var \w+ ?=.*", "tracking"),
    (r"(photo|image|picture|video|credit|source|file photo)s?(\s*(:|by|/|©|-|–)\s*[\w .,/&'’-]{0,60}|(\s+[\w.&'’-]+){1,4})?", "photo-credit"),
    (r"about the author|author bio(graphy)?|about us|contact us|privacy policy|terms (of use|and conditions)|cookie (policy|settings)", "author-box"),
    (r"(share|tweet|email|print|comment)s?( (this|on|via) [\w\s]+)?|share on (facebook|twitter|x|whatsapp|telegram|linkedin)", "social"),
    (r"(follow|like|join) us( on [\w\s,]+)?|subscribe( now| to [\w\s]+)?|sign (up|in)( for [\w\s]+)?|log ?in|register|newsletter", "social"),
    (r"advertisement|advertising|sponsored( content)?|ad|ads|promoted", "advertising"),
    (r"(all rights reserved|copyright|©).{0,120}", "copyright"),
    (r"tags?:.{0,200}|topics?:.{0,200}|filed under:?.{0,120}", "tags"),
    (r"(click|tap) here.{0,80}|loading\.*|please wait\.*|comments?( \(\d+\))?|\d+ comments?|leave a (comment|reply)", "navigation"),
    (r"clear|close|x|×|•|\||›|»|«|…", "navigation"),
]
_FURNITURE_RE = [(re.compile(r"^\W*(?:" + p + r")\W*$", re.I), reason) for p, reason in _FURNITURE_LINE]
_FURNITURE_ANY = re.compile(r"^\W*(?:" + "|".join(f"(?:{p})" for p, _ in _FURNITURE_LINE) + r")\W*$", re.I)

# A line that is only furniture phrases glued together ("Back to top    Go to home page clear").
_FURNITURE_PHRASES = re.compile(
    r"back to top|go to (the )?home ?page|scroll to top|skip to content|\bclear\b|\bshare\b|\bprint\b|\bemail\b|\bmenu\b|\bhome\b",
    re.I,
)

# End-of-article markers: the marker line and everything after it is furniture.
_END_MARKERS = [
    (re.compile(r"(found|notice[d]?|see|spot(ted)?) an? (spelling|typo|grammar|grammatical)? ?(error|mistake|typo)", re.I), "after:spelling-notice"),
    (re.compile(r"^\W*spelling error report\W*$", re.I), "after:spelling-notice"),
    (re.compile(r"^\W*about the author\W*$", re.I), "after:author-box"),
    (re.compile(r"^\W*(related (articles|stories|news|posts)|read also|you may also like|more (stories|from)[\w\s]*|recommended for you)\W*$", re.I), "after:related"),
]
# End markers that only count near the end (in the last third of the lines), since the words can appear in a body.
_LATE_ONLY = {"after:related", "after:author-box"}

_DATE_LINE = re.compile(
    r"^\W*(date|published|posted|updated|last updated)?\s*:?\s*"
    r"(\d{1,2}:\d{2}\s+)?"
    r"(\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?|\d{1,2}[ ./-]\w{3,9}[ ./-]\d{4}|\w{3,9}\.? \d{1,2},? \d{4}|\d{1,2} \w{3,9},? \d{4})"
    r"(\s+\d{1,2}:\d{2}(\s*[ap]\.?m\.?)?)?\s*(\w{2,4})?\W*$",
    re.I,
)
_TIME_RE = re.compile(r"\b\d{1,2}:\d{2}\b")

# Datelines and outlet cues at the start of the body.
_DATELINE_PAREN = re.compile(r"^([A-Z][A-Z .'-]{1,40}?)\s*\(([^()]{2,40})\)\s*[-–—:]")  # TEHRAN (Tasnim) –
_DATELINE_SLASH = re.compile(r"^([A-Z][A-Z .'-]{1,40}?),\s*([A-Z][a-z]+\.? \d{1,2}(?:,? \d{4})?)\.?\s*/([A-Za-z][\w .-]{1,30})/\.?")  # WASHINGTON, January 22. /TASS/.
_DATE_PAREN_OUTLET = re.compile(r"^([A-Z][a-z]{2,8}\.? \d{1,2},? \d{4})\s*\(([A-Z][\w .&-]{1,30})\)\s*[-–—:]")  # Jan. 26, 2022 (EIRNS)—
_DATELINE_PLAIN = re.compile(r"^([A-Z][A-Z .'-]{2,40}),\s*([A-Z][a-z]+\.? \d{1,2}(?:,? \d{4})?)?\s*[(-–—,]")  # LONDON, May 3 (Reuters) -
_DATELINE_AGENCY = re.compile(r"^([A-Z][A-Z .'-]{2,40})(?:,\s*[A-Z][a-z]+\.? \d{1,2}(?:,? \d{4})?)?\s*\(([A-Z][\w .&-]{1,30})\)")
_WRITTEN_BY = re.compile(r"^\W*(?:written|posted|published)\s+by\s*:?\s+(.{2,80}?)\W*$", re.I)
_BY_LINE = re.compile(r"^\W*by\s+([A-Z][\w.'’-]+(?:\s+(?:[A-Z][\w.'’-]+|de|van|von|al|bin|and|&)){0,5})\W*$")
_PERSON_NAME = re.compile(r"^[A-Z][a-zà-ÿ'’-]+(?:\s+[A-Z]\.)?(?:\s+[A-Z][a-zà-ÿ'’-]+){1,2}$")
_ORG_WORDS = re.compile(
    r"\b(the|post|times|news|agency|press|tribune|herald|journal|gazette|daily|weekly|telegraph|guardian|media|tv|radio|"
    r"network|service|group|review|observer|chronicle|mail|wire|reuters|afp|ap|tass|xinhua|bbc|cnn)\b",
    re.I,
)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_NAMED_DATE = re.compile(
    rf"^(?:\d{{1,2}}:\d{{2}}\s+)?(?:\d{{1,2}}\s+{_MONTHS},?\s+\d{{4}}|{_MONTHS}\s+\d{{1,2}},?\s+\d{{4}})(?:\s+\d{{1,2}}:\d{{2}})?$",
    re.I,
)
_NO_DATE = datetime(1, 1, 1)


@lru_cache(maxsize=1)
def _date_parser() -> Any:
    """One dateparser instance (English, absolute dates only: "2 days ago" is not a publication date)."""
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=["en"],
        settings={
            "REQUIRE_PARTS": ["day", "month", "year"],
            "PREFER_DATES_FROM": "past",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "PARSERS": ["timestamp", "absolute-time"],
        },
    )


@lru_cache(maxsize=8192)
def _parse_date(text: str) -> tuple[datetime, str] | None:
    """A full calendar date (day, month and year all written) via dateparser, else None."""
    text = text.strip()
    dt = None
    if _ISO_DATE.match(text):  # the common machine format needs no language model
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            dt = None
    if dt is None and _NAMED_DATE.search(text):
        # day, English month name and year all written: unambiguous, and dateutil reads it ~30x faster
        from dateutil import parser as du

        try:
            dt = du.parse(text, default=_NO_DATE)
        except (ValueError, OverflowError):
            dt = None
        if dt is not None and dt.year == 1:
            dt = None
    if dt is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                dt = _date_parser().get_date_data(text).date_obj
            except (ValueError, TypeError, OverflowError):  # dateparser's answers to odd input: no date
                dt = None
    if dt is None or not (1900 <= dt.year <= 2100):
        return None
    precision = "minute" if _TIME_RE.search(text) else "day"
    if precision == "day":
        dt = dt.replace(hour=0, minute=0, second=0, microsecond=0)
    return dt, precision


_HAS_LETTERS = re.compile(r"[^\W\d_]{2}")  # lines of bare numbers (list items, table cells) are never learnt


@lru_cache(maxsize=65536)
def _norm_line(line: str) -> str:
    return re.sub(r"\W+", " ", normalise_for_hash(line)).strip()


# Cookie and consent banners (any length: they are often long sentences).
_CONSENT = re.compile(
    r"\b(this|our) (web ?site|site|page) uses cookies\b|\bwe use cookies\b|\bnecessary cookies\b|"
    r"\baccept (all )?cookies\b|\bcookie (policy|settings|preferences|consent)\b|\buse of cookies\b",
    re.I,
)


def furniture_reason(line: str) -> str | None:
    """Why a single line is site furniture, or None if it may be content."""
    s = line.strip()
    if not s:
        return None
    if "ookie" in s and _CONSENT.search(s) and len(s) < 1500:
        return "rule:cookie-notice"
    if len(s) > 160:
        return None
    if not _FURNITURE_ANY.match(s):
        if len(s) > 80:
            return None
        residue = _FURNITURE_PHRASES.sub(" ", s)
        if residue != s and not re.sub(r"\W+", "", residue):
            return "rule:navigation"
        return None
    for rx, reason in _FURNITURE_RE:
        if rx.match(s):
            return "rule:" + reason
    residue = _FURNITURE_PHRASES.sub(" ", s)
    if residue != s and not re.sub(r"\W+", "", residue):
        return "rule:navigation"
    return None


_END_ANY = re.compile(r"spelling|typo|grammar|mistake|error|author|related|read also|may also like|more |recommended", re.I)


def _end_marker(line: str) -> str | None:
    if len(line) >= 200 or not _END_ANY.search(line):
        return None
    for rx, reason in _END_MARKERS:
        if rx.search(line) and len(line) < 200:
            return reason
    return None


# ----------------------------------------------------------------------------- learnt furniture


@dataclass
class FurnitureModel:
    """Counts of short normalised lines over documents, overall and per outlet."""

    docs: int = 0
    line_docs: Counter = field(default_factory=Counter)
    outlet_line_docs: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    def to_bytes(self) -> bytes:
        return json.dumps(
            {"docs": self.docs, "lines": dict(self.line_docs), "outlets": {k: dict(v) for k, v in self.outlet_line_docs.items()}}
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> "FurnitureModel":
        d = json.loads(data)
        m = cls(docs=d["docs"], line_docs=Counter(d["lines"]))
        for k, v in d["outlets"].items():
            m.outlet_line_docs[k] = Counter(v)
        return m


# ----------------------------------------------------------------------------- the cleaner


class Cleaner:
    """Turns raw documents into articles. ``fit``/``partial_fit`` learn recurring furniture."""

    def __init__(
        self, config: CleanConfig | None = None, furniture: FurnitureModel | None = None, learnt: set[str] | None = None
    ):
        self.config = config or CleanConfig()
        self.furniture = furniture or FurnitureModel()
        # a precomputed set of learnt furniture lines (see :meth:`learnt_lines`) replaces the model's counts;
        # worker processes clean with it instead of a copy of the whole model
        self.learnt = learnt

    # -- learning -------------------------------------------------------------------------
    def candidate_lines(self, raw: RawDocument) -> set[str]:
        if raw.text is None:
            return set()
        out = set()
        limit = self.config.learn_max_words
        for line in raw.text.splitlines():
            if not line or line.count(" ") > 3 * limit or len(line) > 20 * limit:  # long lines are never learnt
                continue
            n = _norm_line(line.strip())
            if n and len(n.split()) <= self.config.learn_max_words and _HAS_LETTERS.search(n):
                out.add(n)
        return out

    def partial_fit(self, raws: list[RawDocument]) -> "Cleaner":
        self._recent = {}  # candidate lines of this batch, reused by learnt_lines()
        for raw in raws:
            lines = self.candidate_lines(raw)
            self._recent[id(raw)] = (raw, lines)
            if not lines:
                continue
            self.furniture.docs += 1
            self.furniture.line_docs.update(lines)
            outlet = raw.meta.get("outlet")
            if outlet:
                self.furniture.outlet_line_docs[outlet].update(lines)
        return self

    def fit(self, raws: list[RawDocument]) -> "Cleaner":
        self.furniture = FurnitureModel()
        return self.partial_fit(raws)

    def learnt_lines(self, raws: list[RawDocument]) -> set[str]:
        """The normalised lines of these documents that the model now counts as furniture."""
        out = set()
        recent = getattr(self, "_recent", {})
        for raw in raws:
            outlet = raw.meta.get("outlet")
            hit = recent.get(id(raw))
            lines = hit[1] if hit is not None and hit[0] is raw else self.candidate_lines(raw)
            out.update(n for n in lines if self._learnt(n, outlet))
        return out

    def _learnt(self, norm: str, outlet: str | None) -> bool:
        if self.learnt is not None:
            return norm in self.learnt
        k = self.config.learn_min_docs
        if not norm or len(norm.split()) > self.config.learn_max_words:
            return False
        if outlet and self.furniture.outlet_line_docs.get(outlet, {}).get(norm, 0) >= k:
            return True
        return self.furniture.line_docs.get(norm, 0) >= max(k, 0.05 * self.furniture.docs) if self.furniture.docs >= 2 * k else False

    # -- transform ------------------------------------------------------------------------
    def transform(self, raw: RawDocument) -> Article | Rejection:
        try:
            if raw.html is not None and raw.text is None:
                article = self._from_html(raw)
            else:
                article = self._from_text(raw)
        except DOCUMENT_ERRORS as exc:  # this document's own bytes or markup; anything else is a bug and stops
            return Rejection(raw.source, f"{_document_error_reason(exc)}: {type(exc).__name__}: {exc}")
        if article is None:
            return Rejection(raw.source, "no article text found (nothing left after removing page furniture)")
        if article.word_count < self.config.min_body_words:
            return Rejection(raw.source, f"too short: {article.word_count} words of body after cleaning")
        return article

    def __call__(self, raw: RawDocument) -> Article | Rejection:
        return self.transform(raw)

    def _apply_meta(self, article: Article, meta: dict[str, Any]) -> None:
        """Metadata given by the input (JSONL fields) wins over what the text suggests; ``fallback_date``
        (a WARC record's crawl date) is used only when neither the input nor the page gave a date."""
        for key in ("title", "outlet", "author"):
            if meta.get(key):
                setattr(article, key, meta[key].strip())
        if meta.get("outlet") and meta["outlet"].strip():
            article.outlet_from = "input"
        if meta.get("date"):
            parsed = _parse_date(meta["date"]) or _parse_iso(meta["date"])
            if parsed:
                article.published, article.date_precision = parsed
        if article.published is None and meta.get("fallback_date"):
            parsed = _parse_iso(meta["fallback_date"]) or _parse_date(meta["fallback_date"])
            if parsed:
                article.published, article.date_precision = parsed

    def _finish(self, article: Article, raw: RawDocument, declared_url: str | None = None) -> None:
        """URL, outlet and language, once the text and its metadata are known.

        The URL is the canonical form of the page's declared canonical address (same registered domain)
        or of the address the input gives (:func:`storyline.urls.choose_url`); the fetched address stays in
        ``source``. The outlet is the input's, else the page's site name, else the text's credit line, else
        the URL's registered domain. The language is detected from the body; English-only stages are noted."""
        fetched = raw.meta.get("url")
        article.url = choose_url(fetched if isinstance(fetched, str) and fetched.strip() else None, declared_url)
        if article.outlet and article.outlet_from is None:
            article.outlet_from = "text"
        if not article.outlet:
            domain = registered_domain(article.url)
            if domain:
                article.outlet, article.outlet_from = domain, "domain"
        article.language, article.language_score = detect_language(article.text)
        article.notes = language_notes(article.language)

    def _from_html(self, raw: RawDocument) -> Article | None:
        import trafilatura

        assert raw.html is not None
        def extract(precision: bool) -> Any:
            return trafilatura.bare_extraction(
                raw.html, url=raw.meta.get("url"), with_metadata=True, include_comments=False, include_tables=True,
                favor_precision=precision,
            )

        doc = extract(self.config.html_favor_precision)
        if (doc is None or not (doc.text or "").strip()) and self.config.html_favor_precision:
            doc = extract(False)  # the precise pass found nothing: fall back to the default one
        if doc is None or not (doc.text or "").strip():
            return None
        paragraphs = [p.strip() for p in doc.text.split("\n") if p.strip()]
        article = Article(id=content_id(paragraphs), source=raw.source, paragraphs=paragraphs)
        article.title = doc.title or None
        article.author = doc.author or None
        if doc.sitename:
            article.outlet, article.outlet_from = doc.sitename, "page"
        if doc.date:
            parsed = _parse_iso(doc.date)
            if parsed:
                article.published, article.date_precision = parsed
        self._text_metadata(article, header=[])
        self._apply_meta(article, raw.meta)
        # the page's own canonical link, else what trafilatura read as its address (og:url, canonical, base)
        self._finish(article, raw, canonical_link(raw.html) or doc.url or None)
        return article

    def _from_text(self, raw: RawDocument) -> Article | None:
        assert raw.text is not None
        outlet_hint = raw.meta.get("outlet")
        lines = raw.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        # the header and paragraph rules below lean on English; a text surely in another language gets
        # language-neutral ones instead (furniture rules and learnt lines apply to every text)
        other = other_language(lines)
        removed: list[RemovedLine] = []
        keep: list[tuple[int, str]] = []

        # 1. end markers: cut the marker and what follows
        n = len(lines)
        cut_at = n
        for i, line in enumerate(lines):
            reason = _end_marker(line)
            if reason and (reason not in _LATE_ONLY or i >= n * 0.6):
                cut_at = i
                for j in range(i, n):
                    if lines[j].strip():
                        removed.append(RemovedLine(lines[j].strip(), reason, j))
                break

        # 2. line rules and learnt furniture
        wrapped = hard_wrapped([x for x in (ln.strip() for ln in lines) if x])
        prev = ""
        for i, line in enumerate(lines[:cut_at]):
            s = line.strip()
            if not s:
                keep.append((i, ""))
                prev = ""
                continue
            if _continues(prev, s, wrapped):  # the rest of a sentence wrapped onto this line is never furniture
                keep.append((i, s))
                prev = s
                continue
            prev = s
            reason = furniture_reason(s)
            if reason is None and len(s) <= 20 * self.config.learn_max_words and self._learnt(_norm_line(s), outlet_hint):
                reason = "learned:recurring-line"
            if reason:
                removed.append(RemovedLine(s, reason, i))
            else:
                keep.append((i, s))

        # 2b. a whole web page (menus, teasers, footers around the article): keep its main text only
        page_header: list[tuple[int, str]] = []
        if self._looks_like_page(lines):
            keep, page_header = self._main_text(lines[:cut_at], keep, removed)

        # 3. header: title, date, byline lines before the body
        header: list[tuple[int, str]] = []
        body_start = 0
        content = [(i, s) for i, s in keep if s]
        for k, (i, s) in enumerate(content):
            nxt = content[k + 1][1] if k + 1 < len(content) and content[k + 1][0] == i + 1 else ""
            prose = is_prose_line(s) if other else _is_body_line(s)
            if prose or _continues(s, nxt, wrapped):  # a sentence wrapped onto the next line is body
                body_start = k
                break
            header.append((i, s))
            body_start = k + 1
        if body_start >= len(content):  # no line looked like prose: treat all as body
            header, body_start = [], 0

        article = Article(id="", source=raw.source, paragraphs=[])
        title_norm = None
        header_removed_positions = set()
        if page_header:
            # the lines just above the main text of a page: title (the longest), date and byline
            titled = [(i, s) for i, s in page_header if 3 <= len(s.split()) <= 30 and not _DATE_LINE.match(s)
                      and not _WRITTEN_BY.match(s) and not _BY_LINE.match(s)]
            if titled:
                ti, ts = max(titled, key=lambda x: len(x[1].split()))
                article.title = ts
                title_norm = _norm_line(ts)
        for i, s in page_header + header:
            from_page = i in {p for p, _ in page_header}
            found = header_field(s, other) if other else None
            if found and getattr(article, found[0]) is None:  # a date or byline written in another language
                if found[0] == "published":
                    article.published, article.date_precision = found[1], found[2]
                else:
                    article.author = found[1]
                removed.append(RemovedLine(s, "meta:date" if found[0] == "published" else "meta:byline", i))
                header_removed_positions.add(i)
                continue
            m_date = _DATE_LINE.match(s)
            if m_date and article.published is None:
                parsed = _parse_date(m_date.group(3) + (" " + m_date.group(2) if m_date.group(2) else "") + (m_date.group(4) or ""))
                if parsed:
                    article.published, article.date_precision = parsed
                    removed.append(RemovedLine(s, "meta:date", i))
                    header_removed_positions.add(i)
                    continue
            m_by = _WRITTEN_BY.match(s)
            if m_by:
                who = m_by.group(1).strip()
                if re.match(r"the\b", who, re.I) or (_ORG_WORDS.search(who) and not _PERSON_NAME.match(who)):
                    article.outlet = article.outlet or who
                else:
                    article.author = article.author or who
                removed.append(RemovedLine(s, "meta:byline", i))
                header_removed_positions.add(i)
                continue
            m_by = _BY_LINE.match(s)
            if m_by:
                article.author = article.author or m_by.group(1).strip()
                removed.append(RemovedLine(s, "meta:byline", i))
                header_removed_positions.add(i)
                continue
            if article.title is None and not _PERSON_NAME.match(s):
                article.title = s
                title_norm = _norm_line(s)
                removed.append(RemovedLine(s, "meta:title", i))
                header_removed_positions.add(i)
                continue
            if title_norm and _norm_line(s) == title_norm:
                removed.append(RemovedLine(s, "meta:title" if from_page else "repeated-title", i))
                header_removed_positions.add(i)
                continue
            if _PERSON_NAME.match(s) and article.author is None and (len(header) > 1 or from_page):
                article.author = s
                removed.append(RemovedLine(s, "meta:byline", i))
                header_removed_positions.add(i)
                continue
            if from_page:
                removed.append(RemovedLine(s, "classifier:boilerplate", i))
                continue
            # an unrecognised header line is kept as body (never lose text)

        # 4. paragraphs: blank lines or one line per paragraph, whichever the text uses
        header_at = {i for i, _ in header}
        paragraphs: list[str] = []
        buf: list[str] = []
        for i, s in keep:
            if i in header_removed_positions:
                continue
            if not s:
                if buf:
                    paragraphs.append(" ".join(buf))
                    buf = []
                continue
            if title_norm and not paragraphs and not buf and _norm_line(s) == title_norm:
                removed.append(RemovedLine(s, "repeated-title", i))
                continue
            buf.append(s)
            # scraped text often has one paragraph per line; a line ending a sentence closes a paragraph
            # (in another language: a sentence end of any script; a header line left in the body stands alone)
            ends = re.search(r"[.!?\"”’)]\s*$", s) or len(s) > 300
            if ends or (other and (SENTENCE_END.search(s) or i in header_at)):
                paragraphs.append(" ".join(buf))
                buf = []
        if buf:
            paragraphs.append(" ".join(buf))
        paragraphs = [" ".join(p.split()) for p in paragraphs if p.strip()]
        if not paragraphs:
            return None
        article.paragraphs = paragraphs
        article.id = content_id(paragraphs)
        article.removed = sorted(removed, key=lambda r: r.position)
        self._text_metadata(article, header=[s for _, s in header])
        self._apply_meta(article, raw.meta)
        self._finish(article, raw)
        return article

    def _looks_like_page(self, lines: list[str]) -> bool:
        """A whole web page's text (many lines, many of them short), not an article already clean
        (nor a hard-wrapped one, whose lines are all short because of the wrapping)."""
        content = [s for s in (ln.strip() for ln in lines) if s]
        if len(content) < self.config.page_min_lines or hard_wrapped(content):
            return False
        short = sum(1 for s in content if len(s.split()) < self.config.bp_good_words)
        if short < self.config.page_min_short_share * len(content):
            return False
        # and some sign of site furniture: menus (many lines of 1-3 words) or lines the rules know
        tiny = sum(1 for s in content if len(s.split()) <= 3)
        if tiny >= self.config.page_min_tiny_share * len(content):
            return True
        return sum(1 for s in content if furniture_reason(s)) >= self.config.page_min_furniture

    def _main_text(
        self, lines: list[str], keep: list[tuple[int, str]], removed: list[RemovedLine]
    ) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
        """Run the line classifier over a page; returns (kept lines, the lines just above the main text)."""
        from .boilerplate import keep_mask

        kept_pos = {i for i, s in keep if s}
        seq = [(i, ln.strip()) for i, ln in enumerate(lines) if ln.strip()]
        mask = keep_mask([s for _, s in seq], self.config, forced_bad=[i not in kept_pos for i, _ in seq])
        keep_now = {i for (i, _), m in zip(seq, mask) if m and i in kept_pos}
        if not keep_now:  # nothing looked like prose: keep what the rules kept (never lose everything)
            return keep, []
        first = min(keep_now)
        above = [(i, s) for i, s in seq if i < first and i in kept_pos][-self.config.page_header_lines :]
        above_pos = {i for i, _ in above}
        for i, s in keep:
            if s and i not in keep_now and i not in above_pos:
                removed.append(RemovedLine(s, "classifier:boilerplate", i))
        new_keep = [(i, s) for i, s in keep if not s or i in keep_now]
        return new_keep, above

    def _text_metadata(self, article: Article, header: list[str]) -> None:
        """Outlet, dateline place and date from the first lines of the body."""
        if not article.paragraphs:
            return
        first = article.paragraphs[0][:300]
        m = _DATELINE_SLASH.match(first)
        if m:
            article.dateline = article.dateline or m.group(1).strip().title()
            article.outlet = article.outlet or m.group(3).strip()
            if article.published is None:
                parsed = _parse_date(m.group(2))
                if parsed:
                    article.published, article.date_precision = parsed
            return
        m = _DATE_PAREN_OUTLET.match(first)
        if m:
            article.outlet = article.outlet or m.group(2).strip()
            if article.published is None:
                parsed = _parse_date(m.group(1))
                if parsed:
                    article.published, article.date_precision = parsed
            return
        m = _DATELINE_PAREN.match(first) or _DATELINE_AGENCY.match(first)
        if m:
            article.dateline = article.dateline or m.group(1).strip().title()
            article.outlet = article.outlet or m.group(2).strip()
            return
        m = _DATELINE_PLAIN.match(first)
        if m and m.group(1).isupper():
            article.dateline = article.dateline or m.group(1).strip().title()
            if article.published is None and m.group(2):
                parsed = _parse_date(m.group(2))
                if parsed:
                    article.published, article.date_precision = parsed


def hard_wrapped(content: list[str]) -> bool:
    """Text wrapped at a fixed width (newswire, e-mail): most lines nearly as long as the longest ones."""
    if len(content) < 4:
        return False
    lengths = sorted(len(s) for s in content)
    width = lengths[int(0.9 * (len(lengths) - 1))]
    if not 40 <= width <= 110 or lengths[-1] > 1.3 * width + 10:
        return False
    near = sum(1 for n in lengths if n >= 0.6 * width)
    return near >= 0.7 * len(lengths)


def _parse_iso(value: str) -> tuple[datetime, str] | None:
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    precision = "minute" if ("T" in value or " " in value.strip()) and _TIME_RE.search(value) else "day"
    return dt.replace(tzinfo=None), precision


_OPEN_END = re.compile(r"[\w,;’'\"”)\-–]$")


def _continues(prev: str, line: str, wrapped: bool = False) -> bool:
    """``line`` carries on a sentence that ``prev`` (the line just above) left open: prev is a run of
    words without a final stop and line starts in lower case (or, in hard-wrapped text, any way)."""
    return (
        bool(prev) and bool(line) and (wrapped or line[:1].islower()) and len(prev.split()) >= 6
        and bool(_OPEN_END.search(prev)) and not _SENT_END_RE.search(prev)
    )


_SENT_END_RE = re.compile(r"[.!?…:][\"'”’»)\]]*$")


def _is_body_line(s: str) -> bool:
    """Prose: a long line, or a sentence with several stopwords."""
    toks = words(s)
    if len(toks) >= 25:
        return True
    sw = sum(1 for t in toks if t in stopwords())
    return len(toks) >= 12 and sw >= 3 and bool(re.search(r"[.!?…][\"'”’»)]*\s*$", s))


def guess_language(text: str) -> str | None:
    """The ISO 639-1 code of the text's language (:func:`storyline.language.detect_language`), or None."""
    return detect_language(text)[0]


def clean(raw: RawDocument, config: CleanConfig | None = None) -> Article | Rejection:
    """Clean one document with the general rules only (no corpus learning)."""
    return Cleaner(config).transform(raw)
