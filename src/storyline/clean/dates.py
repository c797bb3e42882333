"""Dates: a header line that is only a date, and the parsing of written dates (ISO, "3 May 2021",
"May 3, 2021", then dateparser for the rest) into a datetime and its precision (day or minute)."""

from __future__ import annotations

import re
import warnings
from datetime import datetime
from functools import lru_cache
from typing import Any

from ..model import DatePrecision

_DATE_LINE = re.compile(
    r"^\W*(date|published|posted|updated|last updated)?\s*:?\s*"
    r"(\d{1,2}:\d{2}\s+)?"
    r"(\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?|\d{1,2}[ ./-]\w{3,9}[ ./-]\d{4}|\w{3,9}\.? \d{1,2},? \d{4}|\d{1,2} \w{3,9},? \d{4})"
    r"(\s+\d{1,2}:\d{2}(\s*[ap]\.?m\.?)?)?\s*(\w{2,4})?\W*$",
    re.I,
)
_TIME_RE = re.compile(r"\b\d{1,2}:\d{2}\b")

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
def _parse_date(text: str) -> tuple[datetime, DatePrecision] | None:
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
    precision: DatePrecision = "minute" if _TIME_RE.search(text) else "day"
    if precision == "day":
        dt = dt.replace(hour=0, minute=0, second=0, microsecond=0)
    return dt, precision


def _parse_iso(value: str) -> tuple[datetime, DatePrecision] | None:
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    precision: DatePrecision = "minute" if ("T" in value or " " in value.strip()) and _TIME_RE.search(value) else "day"
    return dt.replace(tzinfo=None), precision
