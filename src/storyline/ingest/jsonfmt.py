"""JSON Lines and JSON files: one record per line, or one object / an array of objects per file.

Records are Storyline's own (``text`` or ``html``, metadata fields), news-please's or trafilatura's
(recognised by their keys, see :mod:`.records`). Lines and array items are read one at a time, never
more than ``max_bytes`` of one record in memory; a bad record is rejected naming ``file:line`` (JSONL)
or ``file:item`` (a JSON array), and the rest of the file is read.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import BinaryIO

from ..config import IngestConfig
from ..model import RawDocument, Rejection
from .decode import DecodeError, decode_bytes
from .inputs import STREAM_ERRORS, Input, describe_error
from .records import layout_for, parse_jsonl_record, record_to_doc

JSONL_EXT = {".jsonl", ".ndjson"}
JSON_EXT = {".json"}


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
    lineno = 0
    try:
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
            yield parse_jsonl_record(source, line, config.columns, config.max_bytes)
    except STREAM_ERRORS as exc:
        yield Rejection(f"{name}:{lineno + 1}", f"stopped reading the file here: {describe_error(exc)}")


def read_jsonl(inp: Input, config: IngestConfig) -> Iterator[RawDocument | Rejection]:
    with inp.open() as fh:
        yield from read_jsonl_stream(inp.name, fh, config)


def object_lines(head: bytes) -> int:
    """How many JSON objects open the head, one per line (0: the first line is not a whole object)."""
    lines = [ln for ln in (head.split(b"\n")[:-1] if b"\n" in head else [head]) if ln.strip()]
    n = 0
    for raw in lines[:2]:
        try:
            if not isinstance(json.loads(raw), dict):
                break
        except (ValueError, UnicodeDecodeError):
            break
        n += 1
    return n


def sniff_json_lines(inp: Input, head: bytes) -> bool:
    """JSON Lines: by extension; an extension-less input (stdin) whose first line is a JSON object; a .json
    file with one object on each of its first two lines."""
    if inp.suffix in JSONL_EXT:
        return True
    if inp.suffix not in ("", *JSON_EXT) or head.lstrip()[:1] != b"{":
        return False
    return object_lines(head) >= (2 if inp.suffix in JSON_EXT else 1)


def sniff_json(inp: Input, head: bytes) -> bool:
    return inp.suffix in JSON_EXT or (inp.suffix == "" and head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["))


class _Values:
    """Top-level JSON values of a text stream, one at a time (the items of a top-level array one by one)."""

    def __init__(self, text: io.TextIOBase, limit: int):
        self.text, self.limit = text, limit
        self.buf, self.pos, self.eof = "", 0, False
        self.decoder = json.JSONDecoder()

    def _fill(self) -> bool:
        if self.eof:
            return False
        if self.pos > 1 << 20:
            self.buf, self.pos = self.buf[self.pos :], 0
        more = self.text.read(max(1 << 20, len(self.buf) - self.pos))
        if not more:
            self.eof = True
            return False
        self.buf += more
        return True

    def peek(self) -> str:
        """The next non-blank character ('' at the end)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n\ufeff":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def value(self) -> object:
        """The JSON value at the cursor; ValueError (malformed, or larger than the limit)."""
        while True:
            try:
                obj, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if len(self.buf) - self.pos > self.limit:
                    raise ValueError(f"record too large (more than {self.limit:,} characters)") from None
                if self._fill():
                    continue
                raise ValueError(
                    f"malformed JSON ({exc.msg} at character {exc.pos - self.pos + 1:,} of the record)"
                ) from None
            # a value that ends exactly at the buffer's end may go on (a number): make sure
            if end == len(self.buf) and not self.eof and not isinstance(obj, (dict, list, str)) and self._fill():
                continue
            self.pos = end
            return obj


def read_json(inp: Input, config: IngestConfig) -> Iterator[RawDocument | Rejection]:
    """A .json file: one object (the file is the record), an array of objects or objects one after
    another (records ``file:1``, ``file:2``…)."""
    n, first = 0, ""
    with inp.open() as raw:
        values = _Values(io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict"), config.max_bytes)
        try:
            first = values.peek()
            if first == "":
                yield Rejection(inp.name, "empty file")
                return
            in_array = first == "["
            if in_array:
                values.pos += 1
            while True:
                c = values.peek()
                if in_array:
                    if c == "]":
                        values.pos += 1
                        in_array = False
                        continue
                    if n and c == ",":
                        values.pos += 1
                        c = values.peek()
                    elif n and c:
                        n += 1
                        raise ValueError(f"malformed JSON (',' or ']' expected before this item, found {c!r})")
                elif c == "":
                    return
                if c == "":
                    yield Rejection(f"{inp.name}:{n + 1}", "the file ends inside the JSON array (truncated?)")
                    return
                n += 1
                obj = values.value()
                single = n == 1 and not in_array and first != "[" and values.peek() == ""
                source = inp.name if single else f"{inp.name}:{n}"
                layout = layout_for(obj, config.columns)[1] if isinstance(obj, dict) else {}
                yield record_to_doc(source, obj, layout, config.max_bytes, "record")
        except (ValueError, UnicodeDecodeError) as exc:  # includes JSONDecodeError
            reason = f"not UTF-8 ({exc.reason})" if isinstance(exc, UnicodeDecodeError) else str(exc)
            source = f"{inp.name}:{max(n, 1)}" if first == "[" or n > 1 else inp.name
            yield Rejection(source, f"{reason}; the rest of the file is not read")
        except STREAM_ERRORS as exc:
            yield Rejection(f"{inp.name}:{n + 1}", f"stopped reading the file here: {describe_error(exc)}")
