"""Feeds and sitemaps -> entries (link, title, date, summary, and full content when the feed carries it).

RSS (0.9x, 1.0/RDF, 2.0) and Atom go through ``feedparser`` (given bytes only: it never fetches);
XML sitemaps, sitemap indexes and gzipped sitemaps (``.xml.gz``) through lxml, with entities and
network access off. trafilatura's ``feeds``/``sitemaps`` modules only return links (and fetch
themselves), so they are not used here.

Broken XML is not fatal: the entries read before the break are used and the error names the feed
and the place (:attr:`ParsedFeed.error`). Nothing here does network I/O; ``follow`` fetches, and
:func:`read_feed_file` turns a feed given as a file to ``storyline ingest`` into documents.
"""

from __future__ import annotations

import gzip
import io
import re
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from .config import IngestConfig
from .model import RawDocument, Rejection, Skipped

FEED_ROOTS = {"rss": "rss", "feed": "atom", "rdf": "rdf"}
SITEMAP_ROOTS = {"urlset": "sitemap", "sitemapindex": "sitemapindex"}
NO_TEXT = "feed entry without article text; use storyline follow to fetch it"

_PROLOG = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>|\s+)*", re.DOTALL | re.IGNORECASE)
_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(item|entry)\s*>", re.IGNORECASE)


class FeedError(ValueError):
    """The input is not a feed or sitemap at all (or cannot be unpacked)."""


@dataclass
class FeedEntry:
    link: str
    title: str | None = None
    date: str | None = None  # ISO 8601 as the feed gives it (UTC for RSS/Atom dates), None when not given
    summary: str | None = None  # the entry's description / summary (HTML or text)
    content: str | None = None  # the full article (RSS content:encoded, Atom content), HTML


@dataclass
class ParsedFeed:
    source: str
    kind: str  # "rss", "atom", "rdf", "sitemap" or "sitemapindex"
    title: str | None = None
    entries: list[FeedEntry] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)  # a sitemap index's child sitemaps
    error: str | None = None  # broken XML: where and what (the entries before the break are still here)


def _unbom(data: bytes) -> bytes:
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def maybe_gunzip(data: bytes, max_bytes: int) -> bytes:
    """Gzipped bytes (a ``.xml.gz`` sitemap) unpacked, reading at most ``max_bytes``; others unchanged."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            out = fh.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise FeedError(f"not valid gzip data ({exc})") from exc
    if len(out) > max_bytes:
        raise FeedError(f"unpacks to more than the limit of {max_bytes:,} bytes")
    return out


def feed_kind(data: bytes) -> str | None:
    """ "rss", "atom", "rdf", "sitemap" or "sitemapindex" from the root element; None for anything else
    (an HTML or XHTML page, plain text). Gzipped data counts as a sitemap only once unpacked."""
    head = _unbom(data[:4096])
    prolog = _PROLOG.match(head)  # always matches (maybe nothing)
    m = _ROOT.match(head, prolog.end() if prolog else 0)
    if m is None:
        return None
    name = m.group(1).decode("ascii").lower()
    return FEED_ROOTS.get(name) or SITEMAP_ROOTS.get(name)


def _iso(parsed: time.struct_time | None) -> str | None:
    if not parsed:
        return None
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", parsed)
    except (TypeError, ValueError):
        return None


def _text(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _parse_syndication(data: bytes, source: str, kind: str, base_url: str | None) -> ParsedFeed:
    import xml.sax

    import feedparser

    headers = {"content-location": base_url} if base_url else None
    d = feedparser.parse(io.BytesIO(data), response_headers=headers)  # a stream: feedparser must never fetch
    out = ParsedFeed(source, kind, title=_text(d.feed.get("title")))
    entries = d.entries
    exc = d.get("bozo_exception")
    broken = bool(d.get("bozo")) and isinstance(exc, xml.sax.SAXException)
    if broken:  # feedparser re-read it leniently; an entry left unfinished (a cut-off file) is dropped
        entries = entries[: len(_ENTRY_END.findall(data))]
    for e in entries:
        link = _text(e.get("link"))
        if not link:
            continue
        content = next((c.get("value") for c in e.get("content") or [] if _text(c.get("value"))), None)
        out.entries.append(
            FeedEntry(
                link=link,
                title=_text(e.get("title")),
                summary=_text(e.get("summary")),
                content=content,
                date=_iso(e.get("published_parsed") or e.get("updated_parsed")),
            )
        )
    if broken:
        where = ""
        if isinstance(exc, xml.sax.SAXParseException):
            where = f" at line {exc.getLineNumber()}, column {exc.getColumnNumber()}"
        dropped = len(d.entries) - len(entries)
        out.error = f"broken XML{where} ({exc.getMessage()}); read leniently: {len(out.entries)} entries used"
        if dropped:
            out.error += f", {dropped} unfinished entr{'y' if dropped == 1 else 'ies'} dropped"
    return out


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child_text(el, name: str, parent: str | None = None) -> str | None:
    """Text of the first descendant with this local name (namespace ignored), under a ``parent`` element
    of that local name when given (news:news/news:title, not image:image/image:title)."""
    for sub in el.iter():
        if (
            _local(sub.tag) == name
            and sub.text
            and sub.text.strip()
            and (parent is None or _local(sub.getparent().tag) == parent)
        ):
            return sub.text.strip()
    return None


def _parse_sitemap(data: bytes, source: str, kind: str, base_url: str | None) -> ParsedFeed:
    from urllib.parse import urljoin

    from lxml import etree

    out = ParsedFeed(source, kind)
    want = "url" if kind == "sitemap" else "sitemap"
    ctx = etree.iterparse(
        io.BytesIO(data), events=("end",), resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False
    )
    try:
        for _, el in ctx:
            if _local(el.tag) != want:
                continue
            loc = _child_text(el, "loc")
            if loc:
                loc = urljoin(base_url, loc) if base_url else loc
                if kind == "sitemapindex":
                    out.sitemaps.append(loc)
                else:  # Google News sitemaps add news:title and news:publication_date
                    out.entries.append(
                        FeedEntry(
                            link=loc,
                            title=_child_text(el, "title", parent="news"),
                            date=_child_text(el, "publication_date", parent="news") or _child_text(el, "lastmod"),
                        )
                    )
            el.clear()
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (exc.lineno, 0)
        msg = re.sub(r"(, line \d+)?, line \d+, column \d+$", "", exc.msg or "").strip()
        n = len(out.entries) if kind == "sitemap" else len(out.sitemaps)
        out.error = f"broken XML at line {line}, column {col} ({msg}); the {n} entries before it used"
    return out


def parse_feed(data: bytes, source: str, base_url: str | None = None, max_bytes: int = 50_000_000) -> ParsedFeed:
    """Parse an RSS/Atom feed or an XML sitemap (index, maybe gzipped). ``source`` names it in errors;
    ``base_url`` resolves relative links. Raises :class:`FeedError` when the bytes are none of these."""
    data = maybe_gunzip(data, max_bytes)
    kind = feed_kind(data)
    if kind is None:
        raise FeedError("not an RSS or Atom feed or an XML sitemap")
    if kind in SITEMAP_ROOTS.values():
        return _parse_sitemap(_unbom(data), source, kind, base_url)
    return _parse_syndication(data, source, kind, base_url)


def is_feed(data: bytes) -> bool:
    """Whether these bytes (gzipped or not) are a feed or a sitemap (for the file reader)."""
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
                data = fh.read(4096)
        except (OSError, EOFError, zlib.error):
            return False
    return feed_kind(data) is not None


def entry_document(entry: FeedEntry, source: str | None = None, html: str | None = None) -> RawDocument:
    """A document for an entry: its page (``html``) or else its full content, with the entry's metadata."""
    body = html if html is not None else entry.content or ""
    if html is None and "<html" not in body[:2000].lower():  # a fragment: give the extractor a whole page
        from html import escape

        body = (
            f"<html><head><title>{escape(entry.title or '')}</title></head>"
            f"<body><article>{body}</article></body></html>"
        )
    meta = {"url": entry.link, "title": entry.title, "date": entry.date}
    return RawDocument(source=source or entry.link, html=body, meta={k: v for k, v in meta.items() if v})


def read_feed_file(name: str, data: bytes, config: IngestConfig) -> Iterator[RawDocument | Rejection]:
    """A feed or sitemap given as a file to ``storyline ingest``: an entry with full content becomes a
    document (with the entry's url, title and date); one without is :class:`Skipped` (``follow``
    fetches it); broken XML is a :class:`Rejection` naming the file, after the entries read before it."""
    try:
        feed = parse_feed(data, name, max_bytes=config.max_bytes)
    except FeedError as exc:
        yield Rejection(name, str(exc))
        return
    for url in feed.sitemaps:
        yield Skipped(url, f"sitemap listed in the sitemap index {name}; use storyline follow to fetch it")
    for entry in feed.entries:
        if entry.content:
            yield entry_document(entry)
        else:
            yield Skipped(entry.link, f"{NO_TEXT} (in {name})")
    if feed.error:
        yield Rejection(name, feed.error)
    elif not feed.entries and not feed.sitemaps:
        yield Skipped(name, f"{feed.kind} without entries")
