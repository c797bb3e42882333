"""Readers: files, folders, JSONL and standard input -> :class:`RawDocument` (or :class:`Rejection`).

Readers only read and decode; they never judge content (that is ``clean``). Every
problem becomes a Rejection naming the input (and the line, for JSONL), so one bad
file never stops a batch.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from .config import IngestConfig
from .model import RawDocument, Rejection

JSONL_EXT = {".jsonl", ".ndjson"}
HTML_EXT = {".html", ".htm", ".xhtml"}
_JSON_FIELDS = ("url", "title", "date", "outlet", "author", "source")


class DecodeError(ValueError):
    pass


def decode_bytes(data: bytes) -> str:
    """Decode bytes whose encoding is unknown: BOMs, then UTF-8, then charset detection.

    Raises :class:`DecodeError` for binary data or bytes no text encoding explains.
    """
    if not data:
        return ""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(enc, errors="replace").lstrip("\ufeff")
    head = data[:8192]
    if b"\x00" in head:
        raise DecodeError("binary data (NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = from_bytes(data[:200_000])
    best = matches.best()
    if best is None or best.encoding is None:
        raise DecodeError("undecodable bytes: no text encoding fits")
    encoding = best.encoding
    # Single-byte Latin text is ambiguous (cp1257 and cp1252 read French equally "well"); as browsers
    # do, prefer windows-1252 when it is among the plausible candidates and the text is Latin script.
    if encoding != "cp1252" and any(m.encoding == "cp1252" and m.chaos <= best.chaos + 0.2 for m in matches):
        letters = [ch for ch in str(best)[:5000] if ord(ch) > 127 and ch.isalpha()]
        if letters and all(ord(ch) < 0x250 for ch in letters):
            encoding = "cp1252"
    text = data.decode(encoding, errors="replace")
    controls = sum(1 for ch in text[:5000] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.05 * max(1, len(text[:5000])):
        raise DecodeError("binary data (control characters), not text")
    return text


def looks_like_html(text: str) -> bool:
    head = text[:2000].lstrip().lower()
    return head.startswith("<!doctype html") or head.startswith("<html") or ("<body" in head and "</" in head)


def doc_from_text(source: str, text: str, is_html: bool | None = None) -> RawDocument:
    if is_html is None:
        is_html = looks_like_html(text)
    return RawDocument(source=source, html=text) if is_html else RawDocument(source=source, text=text)


def parse_jsonl_record(source: str, line: str) -> RawDocument | Rejection:
    """One JSONL line -> document: ``text`` or ``html`` required; url/title/date/outlet/author optional."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return Rejection(source, f"malformed JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(obj, dict):
        return Rejection(source, "a JSON object was expected on each line")
    text, html = obj.get("text"), obj.get("html")
    if not isinstance(text, str) and not isinstance(html, str):
        return Rejection(source, "the record has neither a 'text' nor an 'html' string")
    meta = {k: obj[k] for k in _JSON_FIELDS if isinstance(obj.get(k), str) and obj.get(k)}
    return RawDocument(
        source=meta.get("url") or source,
        text=text if isinstance(text, str) else None,
        html=html if isinstance(html, str) and not isinstance(text, str) else None,
        meta=meta,
    )


def _bounded_lines(stream: BinaryIO, limit: int) -> Iterator[tuple[bytes, int]]:
    """Lines of a binary stream, never holding more than ``limit`` bytes of one line:
    yields (line, size) where an over-long line comes back empty with its true size."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line.endswith(b"\n"):
            yield line, len(line)
            continue
        size = len(line)
        while True:  # skip the rest of the over-long line without keeping it
            more = stream.readline(1 << 20)
            size += len(more)
            if not more or more.endswith(b"\n"):
                break
        yield b"", size


def read_jsonl_stream(name: str, stream: BinaryIO, config: IngestConfig) -> Iterator[RawDocument | Rejection]:
    for lineno, (raw, size) in enumerate(_bounded_lines(stream, config.max_bytes), start=1):
        source = f"{name}:{lineno}"
        if size > config.max_bytes:
            yield Rejection(source, f"line too large ({size:,} bytes > limit {config.max_bytes:,})")
            continue
        if not raw.strip():
            continue
        try:
            line = decode_bytes(raw)
        except DecodeError as exc:
            yield Rejection(source, str(exc))
            continue
        yield parse_jsonl_record(source, line)


def read_file(path: Path, config: IngestConfig) -> Iterator[RawDocument | Rejection]:
    name = str(path)
    try:
        size = path.stat().st_size
        suffix = path.suffix.lower()
        if suffix in JSONL_EXT:
            with path.open("rb") as fh:
                yield from read_jsonl_stream(name, fh, config)
            return
        if size == 0:
            yield Rejection(name, "empty file")
            return
        if size > config.max_bytes:
            yield Rejection(name, f"file too large ({size / 1e6:,.1f} MB > limit {config.max_bytes / 1e6:,.1f} MB)")
            return
        data = path.read_bytes()
    except OSError as exc:
        yield Rejection(name, f"cannot read: {exc.strerror or exc}")
        return
    # --- feeds (RSS/Atom) and sitemaps: entries via storyline.feeds (minimal hook; see feeds.read_feed_file)
    from . import feeds

    if feeds.is_feed(data):
        yield from feeds.read_feed_file(name, data, config)
        return
    # --- end of the feeds hook
    try:
        text = decode_bytes(data)
    except DecodeError as exc:
        yield Rejection(name, str(exc))
        return
    if not text.strip():
        yield Rejection(name, "empty file (only whitespace)")
        return
    yield doc_from_text(name, text, True if suffix in HTML_EXT else None)


def iter_folder(folder: Path, config: IngestConfig) -> Iterator[Path]:
    """Files below a folder, recursively, in a stable order; hidden files and folders skipped."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            if f.startswith("."):
                continue
            p = Path(root) / f
            if p.suffix.lower() in config.extensions or p.suffix == "":
                yield p


def read_stdin(config: IngestConfig, stream: BinaryIO | None = None) -> Iterator[RawDocument | Rejection]:
    stream = stream or sys.stdin.buffer
    data = stream.read(config.max_bytes + 1)
    if len(data) > config.max_bytes:
        yield Rejection("<stdin>", f"input too large (> {config.max_bytes:,} bytes)")
        return
    if not data.strip():
        yield Rejection("<stdin>", "empty input")
        return
    if data.lstrip()[:1] == b"{":
        import io

        yield from read_jsonl_stream("<stdin>", io.BytesIO(data), config)
        return
    try:
        text = decode_bytes(data)
    except DecodeError as exc:
        yield Rejection("<stdin>", str(exc))
        return
    yield doc_from_text("<stdin>", text)


def read_inputs(paths: Iterable[str | os.PathLike[str]], config: IngestConfig | None = None) -> Iterator[RawDocument | Rejection]:
    """Everything the user named: files, folders (recursive), ``-`` for standard input."""
    config = config or IngestConfig()
    for p in paths:
        if str(p) == "-":
            yield from read_stdin(config)
            continue
        path = Path(p)
        if path.is_dir():
            for f in iter_folder(path, config):
                yield from read_file(f, config)
        elif path.exists():
            yield from read_file(path, config)
        else:
            yield Rejection(str(path), "no such file or folder")


def count_inputs(paths: Iterable[str | os.PathLike[str]], config: IngestConfig | None = None) -> int | None:
    """Number of files to read (for a progress bar); None when unknown (stdin)."""
    config = config or IngestConfig()
    n = 0
    for p in paths:
        if str(p) == "-":
            return None
        path = Path(p)
        n += sum(1 for _ in iter_folder(path, config)) if path.is_dir() else 1
    return n
