"""Temporal expressions -> calendar dates (the resolver under the timeline).

For every sentence we pick candidate temporal expressions with regular expressions (so that
the classic false hits of a free search, "may", "now", "second", bare numbers, never reach the
resolver), and resolve them with ``dateparser`` against an anchor date: the article's own
publication date (``Article.published``), never today's. Weekdays are resolved here (the nearest
such day not after the anchor; the next one when the clause speaks of the future), the rest is
dateparser's work. Year-less dates ("January 10", "Jan. 26") take the year that puts them
nearest the anchor. :func:`clause_for` cuts a sentence holding several dates into the clause of each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal

from ..model import Date

Precision = Literal["day", "month", "year", "range"]

_MONTH_FULL = "January|February|March|April|May|June|July|August|September|October|November|December"
# "Mar", "Jun", "Jul" without a dot only before a number ("Mar 2, 2009"): "mar" and "jun" are words too
_MONTH_ABBR = r"Jan\.?|Feb\.?|Mar\.|Mar(?=\s+\d)|Apr\.?|Jun\.|Jun(?=\s+\d)|Jul\.|Jul(?=\s+\d)|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?"
_MONTH = rf"(?:{_MONTH_FULL}|{_MONTH_ABBR})"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_ORD = r"(?:st|nd|rd|th)?"
_NUMWORD = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few|several|a couple of)"

# Each pattern: (kind, regex). Matched in this order; overlapping later matches are dropped.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(?:19|20)\d{2}-[01]\d-[0-3]\d\b")),
    ("numeric", re.compile(r"\b[0-3]?\d[/.][01]?\d[/.](?:19|20)\d{2}\b")),
    # January 10, 2022 / Jan. 26, 2022 / January 10th 2022
    ("day_year", re.compile(rf"\b{_MONTH}\s+[0-3]?\d{_ORD},?\s+(?:19|20)\d{{2}}\b")),
    # 10 January 2022 / 10th of January, 2022
    ("day_year", re.compile(rf"\b[0-3]?\d{_ORD}\s+(?:of\s+)?{_MONTH},?\s+(?:19|20)\d{{2}}\b")),
    # January 10 / Jan. 26 / January 30th
    ("day", re.compile(rf"\b{_MONTH}\s+[0-3]?\d{_ORD}\b(?![\d,.]*\d)")),
    # 13 January / 13th of January
    ("day", re.compile(rf"\b[0-3]?\d{_ORD}\s+(?:of\s+)?{_MONTH}(?![a-z])")),
    # December 2021
    ("month_year", re.compile(rf"\b{_MONTH},?\s+(?:19|20)\d{{2}}\b")),
    # in December / since last March / early February / mid-January
    (
        "month",
        re.compile(
            rf"\b(?:(?:in|since|until|till|by|during|from|through|throughout|before|after)\s+(?:early\s+|late\s+|mid-?)?"
            rf"|(?:early|late|mid-?|last|this|next|end of|beginning of|the end of|the beginning of)\s*)"
            rf"(?:{_MONTH_FULL})\b(?!\s+[0-3]?\d)"
        ),
    ),
    (
        "weekday",
        re.compile(
            rf"\b(?:(?:last|this|next|this past|this coming|on|early|late|until|by|since)\s+)?{_WEEKDAY}"
            r"(?:['’]s)?(?:\s+(?:morning|afternoon|evening|night))?\b"
        ),
    ),
    (
        "relday",
        re.compile(
            r"\b(?:the day before yesterday|the day after tomorrow|yesterday|today|tomorrow|tonight"
            r"|this (?:morning|afternoon|evening)|last night|earlier today|later today)\b",
            re.I,
        ),
    ),
    (
        "relperiod",
        re.compile(
            r"\b(?:last|this|next|past|coming)\s+(?:week|month|year)\b"
            r"|\b(?:earlier|later)\s+this\s+(?:week|month|year)\b",
            re.I,
        ),
    ),
    ("ago", re.compile(rf"\b{_NUMWORD}\s+(?:days?|weeks?|months?|years?)\s+ago\b", re.I)),
    # in 2010 / its 2010 summit / since 1991 (a bare number is not a year)
    (
        "year",
        re.compile(
            r"\b(?:in|since|until|till|by|from|during|before|after|early|late|mid-?|the|its|their|his|her|this|last)"
            r"\s+((?:19|20)\d{2})\b(?![\d,.]\d|\s*(?:%|percent|per|troops|people|soldiers|km|miles|tons|dollars))"
        ),
    ),
]

_FUTURE = re.compile(
    r"\b(?:will|shall|'ll|is to|are to|is due|are due|is set to|are set to|scheduled|plans? to|planned"
    r"|is expected to|are expected to|next|coming|upcoming)\b",
    re.I,
)
_CONNECTOR = re.compile(r",?\s+(?:followed by|and then|and|while|whereas|but|then|before|after)\s+|;\s+|,\s+")
_LEADING_CONNECTOR = re.compile(r"^(?:followed by|and then|and|while|whereas|but|then)\s+", re.I)
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

Origin = Literal["article", "story"]  # which date anchored an article's relative expressions


@dataclass
class Mention:
    """One resolved temporal expression in one sentence."""

    expression: str
    start: int
    end: int
    date: Date
    precision: Precision
    end_date: Date | None = None
    relative: bool = False  # needed an anchor date


# --------------------------------------------------------------------------- dateparser, cached


@lru_cache(maxsize=1)
def _parser_cls():
    from dateparser.date import DateDataParser

    return DateDataParser


@lru_cache(maxsize=65536)
def _dp(expr: str, base: date | None, prefer: str = "past") -> tuple[date, str] | None:
    """dateparser on one expression -> (date, period) or None. Cached."""
    settings = {"PREFER_DATES_FROM": prefer, "PREFER_DAY_OF_MONTH": "first", "RETURN_TIME_AS_PERIOD": True}
    if base is not None:
        settings["RELATIVE_BASE"] = datetime(base.year, base.month, base.day, 12, 0)
    try:
        data = _parser_cls()(languages=["en"], settings=settings).get_date_data(expr)
    except (ValueError, TypeError, OverflowError):  # dateparser raises on odd inputs (e.g. day out of range)
        return None
    if data is None or data.date_obj is None:
        return None
    return data.date_obj.date(), data.period or "day"


def _nearest_year(d: date, base: date) -> date:
    """The same month/day in the year that puts it nearest ``base`` (past preferred on ties)."""
    best = None
    for y in (base.year - 1, base.year, base.year + 1):
        try:
            cand = d.replace(year=y)
        except ValueError:  # 29 February
            continue
        delta = (cand - base).days
        score = abs(delta) * (1.5 if delta > 0 else 1.0)
        if best is None or score < best[0]:
            best = (score, cand)
    return best[1] if best else d


def _week_range(d: date) -> tuple[date, date]:
    start = d - timedelta(days=d.weekday())
    return start, start + timedelta(days=6)


def resolve_weekday(name: str, base: date, modifier: str = "", future: bool = False) -> date:
    """A weekday relative to ``base``: the latest such day on or before base (past, the default),
    the previous week's for "last", the next one for "next"/"this coming" or future clauses."""
    w = _WEEKDAYS.index(name.lower())
    modifier = modifier.lower()
    if modifier in ("next", "this coming") or (future and modifier not in ("last", "this past")):
        delta = (w - base.weekday()) % 7 or 7
        return base + timedelta(days=delta)
    delta = (base.weekday() - w) % 7
    if modifier in ("last", "this past") and delta == 0:
        delta = 7
    return base - timedelta(days=delta)


_ANY = re.compile(
    r"\d|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|day|night|morning|afternoon|evening"
    r"|week|month|year",
    re.I,
)


def find_expressions(sentence: str) -> list[tuple[str, int, int, str]]:
    """Candidate temporal expressions in a sentence: (kind, start, end, text), non-overlapping."""
    found: list[tuple[str, int, int, str]] = []
    if not _ANY.search(sentence):
        return found
    taken: list[tuple[int, int]] = []
    for kind, rx in _PATTERNS:
        for m in rx.finditer(sentence):
            s, e = (m.start(1), m.end(1)) if kind == "year" else (m.start(), m.end())
            if any(s < te and ts < e for ts, te in taken):
                continue
            taken.append((s, e))
            found.append((kind, s, e, sentence[s:e]))
    found.sort(key=lambda x: x[1])
    return found


def resolve_expression(kind: str, expr: str, base: date | None, future: bool = False) -> Mention | None:
    """Resolve one candidate expression against an anchor date (None: only absolute dates resolve)."""
    text = expr.strip()
    if kind in ("iso", "numeric", "day_year", "month_year"):
        clean = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", text).replace(" of ", " ")
        r = _dp(clean, None)
        if r is None:
            return None
        d, _ = r
        if kind == "month_year":
            return Mention(text, 0, 0, d.replace(day=1), "month")
        return Mention(text, 0, 0, d, "day")
    if kind == "year":
        return Mention(text, 0, 0, date(int(text), 1, 1), "year")
    if base is None:
        return None
    if kind == "day":
        clean = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", text).replace(" of ", " ")
        r = _dp(clean, date(base.year, 7, 1), "current_period")
        if r is None:
            return None
        return Mention(text, 0, 0, _nearest_year(r[0], base), "day", relative=True)
    if kind == "month":
        m = re.search(_MONTH_FULL, text)
        if not m:
            return None
        month = _MONTH_FULL.split("|").index(m.group(0)) + 1
        low = text.lower()
        cand = _nearest_year(date(base.year, month, 1), base.replace(day=1))
        if low.startswith("last ") and cand >= base.replace(day=1):
            cand = cand.replace(year=cand.year - 1)
        if low.startswith("next ") and cand <= base:
            cand = cand.replace(year=cand.year + 1)
        return Mention(text, 0, 0, cand, "month", relative=True)
    if kind == "weekday":
        m = re.search(_WEEKDAY, text)
        assert m is not None
        modifier = text[: m.start()].strip().lower()
        return Mention(text, 0, 0, resolve_weekday(m.group(0), base, modifier, future), "day", relative=True)
    if kind == "relday":
        low = text.lower()
        if low in (
            "today",
            "tonight",
            "this morning",
            "this afternoon",
            "this evening",
            "earlier today",
            "later today",
        ):
            return Mention(text, 0, 0, base, "day", relative=True)
        if low == "last night":
            return Mention(text, 0, 0, base - timedelta(days=1), "day", relative=True)
        r = _dp(low.replace("the day", "day"), base)
        return Mention(text, 0, 0, r[0], "day", relative=True) if r else None
    if kind in ("relperiod", "ago"):
        low = re.sub(r"^(?:earlier|later)\s+", "", text.lower())
        low = low.replace("past ", "last ").replace("coming ", "next ")
        low = re.sub(r"\b(a few|several|a couple of)\b", "3" if "few" in low or "several" in low else "2", low)
        r = _dp(low, base, "future" if low.startswith("next") else "past")
        if r is None:
            return None
        d, period = r
        if period == "week" or low.endswith("week"):
            s, e = _week_range(d)
            return Mention(text, 0, 0, s, "range", end_date=e, relative=True)
        if period == "month" or low.endswith("month"):
            return Mention(text, 0, 0, d.replace(day=1), "month", relative=True)
        if period == "year" or low.endswith("year"):
            return Mention(text, 0, 0, date(d.year, 1, 1), "year", relative=True)
        return Mention(text, 0, 0, d, "day", relative=True)
    return None


def _clause_future(sentence: str, start: int, end: int) -> bool:
    lo = max(0, start - 80)
    return bool(_FUTURE.search(sentence[lo:start]) or _FUTURE.search(sentence[end : end + 40]))


# --------------------------------------------------------------------------- report stamps

# A clock time: "16:00", "4:23 pm", "23.24" (with a dot only when a zone or am/pm follows: "$ 5.60" is no time)
_CLOCK = (
    r"(?:(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?:\s*[ap]\.?m\.?)?"
    r"|(?:[01]?\d|2[0-3])\.[0-5]\d(?=\s*(?:[ap]\.?m\b|[A-Z]{2,4}\b)))"
)
_ZONE = r"(?:GMT|BST|UTC|CET|CEST|EST|EDT|ET|PST|PDT|PT|CST|CDT|MST|MDT|IST|HKT|AEST|local(?:\s+time)?|UK\s+time)"
_WEEKDAY_ANY = r"(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)(?:day|nesday|sday|urday|rsday)?\.?"
# what may stand between a date and the clock time of a stamp ("Mon Mar 2, 2009 4:23 pm EST",
# "18:00 UK time, Saturday, 25 April", "24 April 2011 Last updated at 17:55 GMT"): separators, zones,
# weekdays and the words of a stamp. Not a bare "at": "on Monday at 10:30" is the time of an event.
_GAP_TOKEN = (
    rf"[\s,;|/()\-–—]|{_ZONE}\b|{_WEEKDAY_ANY}(?![a-z])|(?:last\s+)?updated(?:\s+at)?\b|posted(?:\s+at)?\b"
    r"|published(?:\s+at)?\b|aired\b"
)
_STAMP_GAP = re.compile(rf"(?:{_GAP_TOKEN})*", re.I)
_CLOCK_AFTER = re.compile(_CLOCK, re.I)
_STAMP_BEFORE = re.compile(
    rf"(?:{_CLOCK}(?:\s*{_ZONE})?|\b(?:updated|posted|published|aired)(?:\s+(?:at|on))?)\s*:?(?:{_GAP_TOKEN})*$", re.I
)
# a dateline: the date opens the sentence (after a place name) and a dash, maybe after "(Agency)", follows
_RUNNING = re.compile(r"(?:on|by|since|until|till|last|next|this|early|late|in|from|before|after|during)\s", re.I)
_AGENCY_DATELINE = re.compile(r"\s*\([A-Z][A-Za-z .&-]{1,24}\)\s*(?:—|–|--|-\s)")
_DATELINE_AFTER = re.compile(r"\s*(?:\([A-Z][A-Za-z .&-]{1,24}\))?\s*(?:—|–|--|-\s)")


def is_report_stamp(sentence: str, start: int, end: int) -> bool:
    """True when the expression at ``sentence[start:end]`` is the report's own time stamp or dateline.

    A stamp dates the report, not an event the text tells of: a date next to a clock time with only
    separators, a zone or a weekday between ("Tuesday 12 May 2009 16.36 BST", "Mon Mar 2, 2009 4:23 pm
    EST", "Last updated at 08:58 GMT, Thursday, 24 June 2010"), one after "Updated"/"Posted"/"Published",
    or a dateline opening the text ("Jan. 26, 2022 (EIRNS)—", "WASHINGTON, Jan. 26 (Reuters) - ").
    An expression of running text ("on Friday, 10:00 GMT") is never a stamp."""
    if _RUNNING.match(sentence, start):
        return False
    gap = _STAMP_GAP.match(sentence, end)
    if gap and _CLOCK_AFTER.match(sentence, gap.end()):
        return True
    if _STAMP_BEFORE.search(sentence, max(0, start - 60), start):
        return True
    if _AGENCY_DATELINE.match(sentence, end):  # "HONG KONG, May 2 (Reuters) - ", wherever it stands
        return True
    if start <= 40 and _DATELINE_AFTER.match(sentence, end):
        head = sentence[:start]
        if not re.search(r"[a-z]{3,}", head.replace("on ", "")):  # only a place name (capitals) before it
            return True
    return False


def _stamped(sentence: str, found: list[tuple[str, int, int, str]]) -> set[int]:
    """Indices (into ``found``, in text order) of the expressions that are part of a report stamp: those
    :func:`is_report_stamp` says so of, and their neighbours joined to them by stamp material only
    ("Tuesday" in "Tuesday 12 May 2009 16.36 BST")."""
    out = {i for i, (_, s, e, _) in enumerate(found) if is_report_stamp(sentence, s, e)}
    grew = bool(out)
    while grew:
        grew = False
        for i in range(len(found)):
            if i in out or _RUNNING.match(sentence, found[i][1]):
                continue
            for j in (i - 1, i + 1):
                if j in out and 0 <= j < len(found):
                    lo, hi = (found[j][2], found[i][1]) if j < i else (found[i][2], found[j][1])
                    if lo <= hi and _STAMP_GAP.fullmatch(sentence, lo, hi):
                        out.add(i)
                        grew = True
                        break
    return out


_AFTER_STAMP = re.compile(rf"(?:{_GAP_TOKEN})*{_CLOCK}(?:\s*{_ZONE})?", re.I)
_LEADING_DATELINE = re.compile(
    r"^(?:[A-Z][A-Z.'’/\\-]*(?:[ ,]+[A-Z][A-Z.'’/\\-]*)*,?\s*)?(?:\([A-Za-z .&]{1,24}\))?\s*(?:—|–|--|-)\s*"
)


def strip_report_stamp(sentence: str) -> str:
    """The sentence without what precedes the report's time stamp (headline, byline) and without the
    stamp itself and a dateline after it: "Flu spreads By J. Doe | Mon Mar 2, 2009 4:23 pm EST
    WASHINGTON (Reuters) - Cases rose." -> "Cases rose."; a sentence with no stamp is returned as is."""
    found = find_expressions(sentence)
    stamped = _stamped(sentence, found) if found else set()
    if not stamped:
        return sentence
    last = found[max(stamped)]
    m = _AFTER_STAMP.match(sentence, last[2])
    rest = sentence[m.end() if m else last[2] :].lstrip(" ,;|-–—")
    rest = _LEADING_DATELINE.sub("", rest, count=1)
    return rest if len(rest.split()) >= 3 else sentence


def sentence_mentions(sentence: str, base: date | None, stamps: bool = False) -> list[Mention]:
    """All resolvable temporal expressions of a sentence, resolved against ``base``.

    The report's own time stamps and datelines (:func:`is_report_stamp`) are left out unless ``stamps``:
    they date the report, not an event."""
    out: list[Mention] = []
    found = find_expressions(sentence)
    skip = _stamped(sentence, found) if found and not stamps else set()
    for i, (kind, s, e, expr) in enumerate(found):
        if i in skip:
            continue
        future = kind == "weekday" and _clause_future(sentence, s, e)
        m = resolve_expression(kind, expr, base, future=future)
        if m is None:
            continue
        m.start, m.end = s, e
        m.relative = m.relative or kind not in ("iso", "numeric", "day_year", "month_year", "year")
        out.append(m)
    return out


def clause_for(sentence: str, mentions: list[Mention], i: int) -> str:
    """The part of the sentence that belongs to mention ``i`` when the sentence holds several dates."""
    distinct = {(m.date, m.precision) for m in mentions}
    if len(distinct) <= 1:
        return sentence.strip()
    ordered = sorted(mentions, key=lambda m: m.start)
    me = mentions[i]
    k = ordered.index(me)

    def split_in(lo: int, hi: int, near_left: int | None, near_right: int | None) -> int | None:
        for b in _CONNECTOR.finditer(sentence, lo, hi):
            bare = b.group(0).strip() in (",", ";")
            if bare and near_left is not None and b.start() - near_left <= 1:
                continue  # the comma right after a date ("On January 10, ...") does not end its clause
            if bare and near_right is not None and near_right - b.end() <= 1:
                continue
            return b.start() if not bare else b.start()
        return None

    start, end = 0, len(sentence)
    if k > 0:
        prev = ordered[k - 1]
        if (prev.date, prev.precision) != (me.date, me.precision):
            cut = split_in(prev.end, me.start, prev.end, None)
            if cut is not None:
                m = _CONNECTOR.match(sentence, cut)
                start = m.end() if m else cut
    if k + 1 < len(ordered):
        nxt = ordered[k + 1]
        if (nxt.date, nxt.precision) != (me.date, me.precision):
            cut = split_in(me.end, nxt.start, me.end, None)
            if cut is not None:
                end = cut
    clause = sentence[start:end].strip(" ,;")
    clause = _LEADING_CONNECTOR.sub("", clause)
    return clause[:1].upper() + clause[1:] if clause else sentence.strip()
