"""Metadata from the text: the header lines above the body (title, date, byline, "Written by"), the dateline
and outlet cues at the start of the body ("LONDON, May 3 (Reuters) -", "/TASS/"), the input's own fields,
and the URL, outlet and language once the text is known."""

from __future__ import annotations

import re
from typing import Any

from ..language import detect_language, header_field, language_notes
from ..model import Article, RawDocument, RemovedLine
from ..urls import choose_url, registered_domain
from .dates import _DATE_LINE, _parse_date, _parse_iso
from .rules import _norm_line

# Datelines and outlet cues at the start of the body.
_DATELINE_PAREN = re.compile(r"^([A-Z][A-Z .'-]{1,40}?)\s*\(([^()]{2,40})\)\s*[-–—:]")  # TEHRAN (Tasnim) –
_DATELINE_SLASH = re.compile(
    r"^([A-Z][A-Z .'-]{1,40}?),\s*([A-Z][a-z]+\.? \d{1,2}(?:,? \d{4})?)\.?\s*/([A-Za-z][\w .-]{1,30})/\.?"
)  # WASHINGTON, January 22. /TASS/.
_DATE_PAREN_OUTLET = re.compile(
    r"^([A-Z][a-z]{2,8}\.? \d{1,2},? \d{4})\s*\(([A-Z][\w .&-]{1,30})\)\s*[-–—:]"
)  # Jan. 26, 2022 (EIRNS)—
_DATELINE_PLAIN = re.compile(
    r"^([A-Z][A-Z .'-]{2,40}),\s*([A-Z][a-z]+\.? \d{1,2}(?:,? \d{4})?)?\s*[(-–—,]"
)  # LONDON, May 3 (Reuters) -
_DATELINE_AGENCY = re.compile(
    r"^([A-Z][A-Z .'-]{2,40})(?:,\s*[A-Z][a-z]+\.? \d{1,2}(?:,? \d{4})?)?\s*\(([A-Z][\w .&-]{1,30})\)"
)
_WRITTEN_BY = re.compile(r"^\W*(?:written|posted|published)\s+by\s*:?\s+(.{2,80}?)\W*$", re.I)
_BY_LINE = re.compile(r"^\W*by\s+([A-Z][\w.'’-]+(?:\s+(?:[A-Z][\w.'’-]+|de|van|von|al|bin|and|&)){0,5})\W*$")
_PERSON_NAME = re.compile(r"^[A-Z][a-zà-ÿ'’-]+(?:\s+[A-Z]\.)?(?:\s+[A-Z][a-zà-ÿ'’-]+){1,2}$")
_ORG_WORDS = re.compile(
    r"\b(the|post|times|news|agency|press|tribune|herald|journal|gazette|daily|weekly|telegraph|guardian|media|tv|radio|"
    r"network|service|group|review|observer|chronicle|mail|wire|reuters|afp|ap|tass|xinhua|bbc|cnn)\b",
    re.I,
)


def read_header(
    article: Article,
    page_header: list[tuple[int, str]],
    header: list[tuple[int, str]],
    other: str | None,
    removed: list[RemovedLine],
) -> tuple[str | None, set[int]]:
    """Title, date and byline from the header lines (and a page's lines just above its main text) into
    ``article``; the lines used go to ``removed``. Returns (the title's normal form, positions removed)."""
    title_norm = None
    header_removed_positions = set()
    if page_header:
        # the lines just above the main text of a page: title (the longest), date and byline
        titled = [
            (i, s)
            for i, s in page_header
            if 3 <= len(s.split()) <= 30
            and not _DATE_LINE.match(s)
            and not _WRITTEN_BY.match(s)
            and not _BY_LINE.match(s)
        ]
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
            parsed = _parse_date(
                m_date.group(3) + (" " + m_date.group(2) if m_date.group(2) else "") + (m_date.group(4) or "")
            )
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
    return title_norm, header_removed_positions


def apply_meta(article: Article, meta: dict[str, Any]) -> None:
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


def finish(article: Article, raw: RawDocument, declared_url: str | None = None) -> None:
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


def text_metadata(article: Article, header: list[str]) -> None:
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
