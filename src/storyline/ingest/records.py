"""Records (a JSON object, a CSV or Parquet row) -> :class:`RawDocument`, through a field mapping.

Storyline's own fields are ``text`` or ``html`` (one is required) and ``title``, ``date``, ``url``, ``outlet``,
``author``, ``language``. A mapping names the key (column) that holds each field. Besides the user's
(``--map text=body,date=published``), two layouts are recognised by their keys: news-please's output
(``maintext``, ``date_publish``, ``authors``, ``source_domain``…) and ``trafilatura --json``'s (``raw_text``,
``fingerprint``, ``source-hostname``…).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ..model import RawDocument, Rejection

FIELDS = ("text", "html", "title", "date", "url", "outlet", "author", "language", "source")
META_FIELDS = ("url", "title", "date", "outlet", "author", "language", "source")

# a field -> the keys that may hold it, first present wins
Layout = Mapping[str, tuple[str, ...]]
STORYLINE: Layout = {f: (f,) for f in FIELDS}
NEWS_PLEASE: Layout = {
    "text": ("maintext",),
    "title": ("title", "title_page", "title_rss"),
    "date": ("date_publish",),
    "author": ("authors",),
    "outlet": ("source_domain",),
    "url": ("url",),
    "language": ("language",),
}
TRAFILATURA: Layout = {
    "text": ("text", "raw_text"),
    "title": ("title",),
    "date": ("date",),
    "author": ("author",),
    "outlet": ("source-hostname", "sitename", "hostname"),
    "url": ("source", "url"),
    "language": ("language",),
}


def parse_mapping(spec: str) -> dict[str, str]:
    """``"text=body,date=published,url=link"`` -> ``{"text": "body", ...}``; ValueError naming what is wrong."""
    out: dict[str, str] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        fld, sep, col = (x.strip() for x in part.partition("="))
        if not sep or not fld or not col:
            raise ValueError(f"bad mapping {part!r}: expected FIELD=COLUMN, e.g. text=body")
        if fld not in FIELDS:
            raise ValueError(f"unknown field {fld!r} in mapping {part!r}; fields are: {', '.join(FIELDS)}")
        if fld in out:
            raise ValueError(f"field {fld!r} mapped twice")
        out[fld] = col
    return out


def layout_for(keys: Mapping[str, Any] | list[str], mapping: Mapping[str, str] | None = None) -> tuple[str, Layout]:
    """The layout a record (or a table's columns) follows: the user's mapping over Storyline's names, else
    news-please's or trafilatura's when their keys are there."""
    if mapping:
        return "mapped", {**STORYLINE, **{f: (c,) for f, c in mapping.items()}}
    if "maintext" in keys or ("source_domain" in keys and "date_publish" in keys):
        return "news-please", NEWS_PLEASE
    if "text" in keys and ("raw_text" in keys or "fingerprint" in keys or "source-hostname" in keys):
        return "trafilatura", TRAFILATURA
    return "storyline", STORYLINE


def _value(v: Any) -> str | None:
    """A cell or JSON value as metadata text (lists of authors joined, dates in ISO form)."""
    if v is None:
        return None
    if isinstance(v, str):
        return v if v.strip() else None
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, (list, tuple)):
        parts = [_value(x) for x in v]
        joined = ", ".join(p for p in parts if p)
        return joined or None
    return None


def _get(obj: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    for k in keys:
        v = obj.get(k)
        if v is not None and v != "":
            return v
    return None


def record_to_doc(
    source: str, obj: Any, layout: Layout, max_bytes: int, what: str = "record"
) -> RawDocument | Rejection:
    """One record -> document; ``source`` names it (``file:line``) unless the record gives its URL."""
    if not isinstance(obj, Mapping):
        return Rejection(source, f"a JSON object was expected for each {what}")
    text, html = _get(obj, layout["text"]), _get(obj, layout["html"]) if "html" in layout else None
    if not isinstance(text, str) and not isinstance(html, str):
        names = [f"'{k}'" for k in (*layout["text"], *layout.get("html", ()))]
        has = f"no {names[0]}" if len(names) == 1 else "neither " + " nor ".join(names)
        return Rejection(source, f"the {what} has {has} (a non-empty string)")
    body = text if isinstance(text, str) else str(html)  # html is a str when text is not (checked above)
    if len(body) > max_bytes:
        return Rejection(source, f"{what} too large ({len(body):,} characters > limit {max_bytes:,})")
    meta: dict[str, str] = {}
    for f in META_FIELDS:
        if f in layout:
            v = _value(_get(obj, layout[f]))
            if v:
                meta[f] = v.strip()
    return RawDocument(
        source=meta.get("url") or source,
        text=text if isinstance(text, str) else None,
        html=html if isinstance(html, str) and not isinstance(text, str) else None,
        meta=meta,
    )


def parse_jsonl_record(
    source: str, line: str, mapping: Mapping[str, str] | None = None, max_bytes: int = 1 << 62
) -> RawDocument | Rejection:
    """One JSONL line -> document: ``text`` or ``html`` required; url/title/date/outlet/author optional
    (or news-please / trafilatura keys, or the keys a mapping names)."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return Rejection(source, f"malformed JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(obj, dict):
        return Rejection(source, "a JSON object was expected on each line")
    return record_to_doc(source, obj, layout_for(obj, mapping)[1], max_bytes)
