"""The shared vocabulary of Storyline: plain dataclasses, no I/O.

Every stage takes and returns these objects; the store persists them; the CLI,
HTTP API and Spark job serialise them with :func:`to_dict` / ``from_dict``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Date = date  # for fields named `date`, whose name hides the type inside their class

DatePrecision = Literal["year", "month", "day", "minute"]


def normalise_for_hash(text: str) -> str:
    """Unicode-normalise, lowercase and collapse whitespace/punctuation variants.

    Two copies of the same body that differ only in quote style, spacing or
    case get the same article id.
    """
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = re.sub(r"\s+", " ", text).strip().lower()
    return text


def content_id(paragraphs: list[str]) -> str:
    """Stable article id: first 16 hex digits of SHA-256 over the normalised body."""
    norm = normalise_for_hash("\n".join(paragraphs))
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16]


@dataclass
class RawDocument:
    """What a reader yields: one unparsed input, before cleaning."""

    source: str  # path, URL or "<stdin>", plus ":LINE" for JSONL lines
    text: str | None = None  # plain text as scraped
    html: str | None = None  # raw HTML
    meta: dict[str, Any] = field(default_factory=dict)  # url/title/date/outlet/author given by the input


@dataclass
class Rejection:
    """An input that could not be read or cleaned, and why (shown to the user)."""

    source: str
    reason: str


@dataclass
class Skipped(Rejection):
    """A record a reader passed over on purpose, and why: not an error (a WARC request or revisit record,
    an image in a crawl, a file of an unsupported kind inside a zip). It is a :class:`Rejection` so that a
    consumer that does not know it still counts it (never loses it silently); the pipeline reports it apart."""


@dataclass
class RemovedLine:
    """A line dropped as boilerplate, kept so a user can see what went and why."""

    text: str
    reason: str  # e.g. "rule:navigation", "learned:outlet", "repeated-title", "after:spelling-notice"
    position: int  # line index in the raw input


@dataclass
class Article:
    """A cleaned article."""

    id: str
    source: str
    paragraphs: list[str]
    title: str | None = None
    outlet: str | None = None
    author: str | None = None
    dateline: str | None = None  # place named in the dateline, e.g. "WASHINGTON"
    published: datetime | None = None
    date_precision: DatePrecision | None = None
    language: str | None = None  # ISO 639-1 code detected from the body (storyline.language)
    url: str | None = None  # canonical URL (storyline.urls); the address it was fetched from stays in ``source``
    removed: list[RemovedLine] = field(default_factory=list)
    seq: int | None = None  # ingest order, set by the store
    ingested_at: datetime | None = None
    language_score: float | None = None  # the language detector's probability for ``language``
    # where ``outlet`` came from: "input" (given with the document), "page" (the page's site name), "text" (a
    # dateline or byline credit), "domain" (the URL's registered domain), "table" (the store's outlet table)
    outlet_from: str | None = None
    notes: list[str] = field(default_factory=list)  # what a stage could not do for this article, and why

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def word_count(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)

    def chronological_key(self) -> tuple:
        """Sort key: dated articles first, by publication date, then ingest order, then id."""
        return (
            self.published is None,
            self.published or datetime.min,
            self.seq if self.seq is not None else 0,
            self.id,
        )


@dataclass
class Outlet:
    """A row of the store's outlet table: one publisher and the registered domains it publishes under."""

    name: str
    domains: list[str] = field(default_factory=list)
    language: str | None = None  # ISO 639-1
    country: str | None = None  # ISO 3166-1 alpha-2
    id: int | None = None  # set by the store


@dataclass
class Sentence:
    """A sentence of an article, addressed by (article_id, index)."""

    article_id: str
    index: int  # sentence number within the article
    paragraph: int
    text: str


@dataclass
class AlignedPassage:
    """One aligned sentence pair between two articles."""

    source_index: int  # sentence index in the original (earlier) article
    target_index: int  # sentence index in the copy
    source_text: str
    target_text: str
    score: float  # similarity in [0, 1]
    kind: Literal["identical", "edited", "paraphrase"]


ReuseRelation = Literal["exact-duplicate", "near-duplicate", "rewrite", "partial-reuse", "independent"]

# The one definition of which relations mean what, for every stage:
# duplicates are the same text (one is kept per duplicate group; stories treat them as one article);
# copies are articles whose text comes from another one as a whole (duplicates and rewrites): the
# provenance of every claim, quote and summary sentence follows a copy back to its original.
DUPLICATE_RELATIONS: tuple[str, ...] = ("exact-duplicate", "near-duplicate")
COPY_RELATIONS: tuple[str, ...] = DUPLICATE_RELATIONS + ("rewrite",)


@dataclass
class ReuseEdge:
    """source -> target: target reuses text of source (source published first)."""

    source_id: str
    target_id: str
    relation: ReuseRelation
    confidence: float
    source_coverage: float  # share of the source's sentences found in the target
    target_coverage: float  # share of the target's sentences taken from the source
    direction_rule: str  # "date", "citation", "ingest-order"
    direction_confidence: float
    passages: list[AlignedPassage] = field(default_factory=list)


@dataclass
class Event:
    id: str
    story_id: str
    article_ids: list[str] = field(default_factory=list)
    title: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    entities: list[str] = field(default_factory=list)


@dataclass
class Story:
    id: str
    article_ids: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    title: str | None = None
    entities: list[str] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)
    first_date: datetime | None = None
    last_date: datetime | None = None
    merged_into: str | None = None  # set when this story was merged into another


@dataclass
class Citation:
    """A pointer to a sentence of an article."""

    article_id: str
    sentence_index: int | None = None
    outlet: str | None = None
    text: str | None = None
    copy_of: str | None = None  # set when the cited article is a copy of another (copies count as one source)


@dataclass
class TimelineEntry:
    """One date of a story's timeline.

    ``date`` is the date of the event, resolved from the text ("on Friday" against the article's
    publication date); ``reported`` is the date of the report (the earliest publication date among the
    sources), kept apart. An article's publication date is an event date only when its text says the
    event happened that day ("today", "this morning", a weekday or date naming that day); an undated lead
    may stand as ``kind="report"``, dated by its report (``date == reported``), never as an event.
    A ranked timeline (:func:`storyline.timeline.rank_timeline`) also sets ``rank`` (1 = the most
    important date), ``score`` and ``sentences`` (the K sentences chosen for the date; ``text`` joins them).
    """

    date: Date
    precision: Literal["day", "month", "year", "range"]
    text: str  # the sentence (or clause) describing what happened
    expression: str  # the temporal expression as written, e.g. "on Friday"
    sources: list[Citation] = field(default_factory=list)
    end_date: Date | None = None  # for ranges
    resolved_from: Literal["article", "story"] = "article"  # which date anchored relative expressions
    kind: Literal["event", "report"] = "event"  # report: an undated lead, dated by its publication only
    reported: Date | None = None  # the report's date: the earliest publication date of the sources
    sentences: list[str] = field(default_factory=list)  # ranked timelines: the sentences chosen for the date
    rank: int | None = None  # ranked timelines: 1 = the most important date
    score: float | None = None  # ranked timelines: the date's importance


@dataclass
class Quote:
    text: str
    speaker: str | None  # normalised speaker name, or the unnamed source as written
    speaker_kind: Literal["person", "organization", "unnamed", "unknown"]
    kind: Literal["direct", "indirect"]
    article_id: str
    sentence_index: int | None = None
    speaker_as_written: str | None = None


@dataclass
class ClaimGroup:
    id: int
    claims: list[Citation]
    outlets: list[str]
    kind: Literal["consensus", "partial", "unique"]
    label: str  # the most central claim's text
    differences: list[str] = field(default_factory=list)  # e.g. "number: 100,000 vs 120,000"


@dataclass
class SummarySentence:
    text: str
    citations: list[Citation] = field(default_factory=list)


@dataclass
class StoryAnalysis:
    story_id: str
    timeline: list[TimelineEntry] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    claims: list[ClaimGroup] = field(default_factory=list)
    summary: list[SummarySentence] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # analyses skipped for some articles, and why


# --------------------------------------------------------------------------- serialisation


_PLAIN = (str, int, float, type(None))
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # dataclass -> its field names (fields() is slow to call per object)


def to_dict(obj: Any) -> Any:
    """Dataclass (nested) -> JSON-ready dict; datetimes/dates as ISO strings."""
    if isinstance(obj, _PLAIN):
        return obj
    names = _FIELD_NAMES.get(type(obj))
    if names is None and dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = _FIELD_NAMES[type(obj)] = tuple(f.name for f in dataclasses.fields(obj))
    if names is not None:
        return {n: to_dict(getattr(obj, n)) for n in names}
    if isinstance(obj, (list, tuple)):
        return [x if isinstance(x, _PLAIN) else to_dict(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, (datetime, date)):
        return obj.isoformat()
    return obj


def _parse_dt(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def _parse_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def article_from_dict(d: dict[str, Any]) -> Article:
    d = dict(d)
    d.pop("text", None)
    d.pop("word_count", None)
    d["removed"] = [RemovedLine(**r) for r in d.get("removed") or []]
    d["published"] = _parse_dt(d.get("published"))
    d["ingested_at"] = _parse_dt(d.get("ingested_at"))
    d["notes"] = list(d.get("notes") or [])
    return Article(**d)


def reuse_edge_from_dict(d: dict[str, Any]) -> ReuseEdge:
    d = dict(d)
    d["passages"] = [AlignedPassage(**p) for p in d.get("passages") or []]
    return ReuseEdge(**d)


def event_from_dict(d: dict[str, Any]) -> Event:
    d = dict(d)
    d["start"] = _parse_dt(d.get("start"))
    d["end"] = _parse_dt(d.get("end"))
    return Event(**d)


def story_from_dict(d: dict[str, Any]) -> Story:
    d = dict(d)
    d["events"] = [event_from_dict(e) for e in d.get("events") or []]
    d["first_date"] = _parse_dt(d.get("first_date"))
    d["last_date"] = _parse_dt(d.get("last_date"))
    return Story(**d)


def analysis_from_dict(d: dict[str, Any]) -> StoryAnalysis:
    def cits(xs: list[dict[str, Any]]) -> list[Citation]:
        return [Citation(**c) for c in xs]

    timeline = []
    for t in d.get("timeline") or []:
        t = dict(t)
        t["date"] = _parse_date(t["date"])
        t["end_date"] = _parse_date(t.get("end_date"))
        t["reported"] = _parse_date(t.get("reported"))
        t["sources"] = cits(t.get("sources") or [])
        timeline.append(TimelineEntry(**t))
    claims = []
    for c in d.get("claims") or []:
        c = dict(c)
        c["claims"] = cits(c.get("claims") or [])
        claims.append(ClaimGroup(**c))
    summary = []
    for s in d.get("summary") or []:
        summary.append(SummarySentence(text=s["text"], citations=cits(s.get("citations") or [])))
    return StoryAnalysis(
        story_id=d["story_id"],
        timeline=timeline,
        quotes=[Quote(**q) for q in d.get("quotes") or []],
        claims=claims,
        summary=summary,
        notes=list(d.get("notes") or []),
    )
