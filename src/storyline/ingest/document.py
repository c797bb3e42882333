"""One document per input: a plain-text or HTML file (HTML by extension, else by its first markup)."""

from __future__ import annotations

from collections.abc import Iterator

from ..config import IngestConfig
from ..model import RawDocument, Rejection
from .decode import DecodeError, decode_bytes, looks_like_html
from .inputs import STREAM_ERRORS, Input, describe_error

HTML_EXT = {".html", ".htm", ".xhtml"}
TEXT_EXT = {".txt", ".text", ".md"}


def doc_from_text(source: str, text: str, is_html: bool | None = None) -> RawDocument:
    if is_html is None:
        is_html = looks_like_html(text)
    return RawDocument(source=source, html=text) if is_html else RawDocument(source=source, text=text)


def read_document(inp: Input, config: IngestConfig) -> Iterator[RawDocument | Rejection]:
    name, limit = inp.name, config.max_bytes
    if inp.size == 0:
        yield Rejection(name, "empty file")
        return
    if inp.size is not None and inp.size > limit:
        yield Rejection(name, f"file too large ({inp.size / 1e6:,.1f} MB > limit {limit / 1e6:,.1f} MB)")
        return
    try:
        data = inp.read_all(limit)
    except STREAM_ERRORS as exc:
        yield Rejection(name, describe_error(exc))
        return
    if len(data) > limit:
        yield Rejection(name, f"larger than the limit of {limit / 1e6:,.1f} MB once decompressed; stopped reading it")
        return
    if not data:
        yield Rejection(name, "empty file")
        return
    try:
        text = decode_bytes(data)
    except DecodeError as exc:
        yield Rejection(name, str(exc))
        return
    if not text.strip():
        yield Rejection(name, "empty file (only whitespace)")
        return
    yield doc_from_text(name, text, True if inp.suffix in HTML_EXT else None)
