"""WARC crawls (``.warc``, ``.warc.gz``, read with warcio): the HTML pages a crawler fetched.

Only ``response`` records whose HTTP Content-Type is HTML (``text/html``, ``application/xhtml+xml``) with a
2xx status become documents: the ``WARC-Target-URI`` is the article's URL (and its source), the HTTP
charset decodes the page (else :func:`decode_bytes`), and ``WARC-Date`` is kept as the fallback date
(meta ``fallback_date``: used by the cleaner only when the page itself gives no date). Every other record
is skipped with its reason (``request record``, ``revisit record``, ``not HTML (image/jpeg)``,
``HTTP status 404``…), named ``FILE#N@OFFSET`` (the record's number in the file and its byte offset, as
``warcio extract FILE OFFSET`` takes it).

A broken record (corrupt or truncated gzip member, bad headers, a payload shorter than its
Content-Length) is rejected by that name, and reading goes on from the next record start found after
it (the next gzip member, or the next ``WARC/1.x`` line); everything before and after it is read. A
WARC gzipped as one stream (not one member per record) is read through ``gzip`` instead.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..config import IngestConfig
from ..model import RawDocument, Rejection, Skipped
from .decode import DecodeError, charset_of, decode_declared, looks_like_html
from .inputs import GZIP_MAGIC, STREAM_ERRORS, Input, describe_error, gunzipped

WARC_EXT = {".warc"}
HTML_TYPES = {"text/html", "application/xhtml+xml"}


def _warc_errors() -> tuple[type[BaseException], ...]:
    from warcio.exceptions import ArchiveLoadFailed
    from warcio.statusandheaders import StatusAndHeadersParserException

    return (ArchiveLoadFailed, StatusAndHeadersParserException, ValueError, KeyError, IndexError, *STREAM_ERRORS)


def _gz_head(head: bytes) -> bytes:
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 16)
    except zlib.error:
        return b""


def sniff_warc(inp: Input, head: bytes) -> bool:
    """A WARC by its first line (``WARC/1.0``), also inside a gzip member; or by the ``.warc`` extension."""
    if head.startswith(b"WARC/"):
        return True
    named = inp.inner_name.lower().endswith((".warc", ".warc.gz"))
    if head[:2] == GZIP_MAGIC:
        inner = _gz_head(head)
        return inner.startswith(b"WARC/") or named  # (a broken first member: the name tells)
    return named


class _Broken(Exception):
    """Reading stopped at a broken record (``counted``: it already has its number)."""

    def __init__(self, number: int, offset: int | None, exc: BaseException, counted: bool, reported: bool = False):
        super().__init__(str(exc))
        self.number, self.offset, self.exc, self.counted, self.reported = number, offset, exc, counted, reported


class _Framing(ValueError):
    """Where a record ends is not where its headers say."""


@dataclass
class _State:
    n: int = 0  # records numbered so far
    floor: int = -1  # start offset of the last record read (warcio's offsets are garbage after garbage)


def _describe(exc: BaseException) -> str:
    from warcio.exceptions import ArchiveLoadFailed

    if isinstance(exc, _Framing):
        return str(exc)
    if isinstance(exc, ArchiveLoadFailed):
        msg = "".join(ch if ch.isprintable() else "·" for ch in " ".join(str(exc).split()))
        return msg[:100] + ("…" if len(msg) > 100 else "")
    return describe_error(exc)


def _convert(rec, loc: str, config: IngestConfig) -> RawDocument | Rejection:
    """One record -> a document (an HTML response), or why it is skipped / rejected."""
    rtype = rec.rec_type
    if rtype == "revisit":
        return Skipped(loc, "revisit record (no payload: the page had not changed)")
    if rtype != "response":
        return Skipped(loc, f"{rtype} record")
    uri = (rec.rec_headers.get_header("WARC-Target-URI") or "").strip().strip("<>")
    http = rec.http_headers
    if http is None or not uri.lower().startswith(("http:", "https:")):
        return Skipped(loc, "not an HTTP response")
    status = http.get_statuscode()
    if not status.startswith("2"):
        return Skipped(loc, f"HTTP status {status}")
    ctype = http.get_header("Content-Type") or ""
    mime = ctype.split(";")[0].strip().lower()
    if mime and mime not in HTML_TYPES:
        return Skipped(loc, f"not HTML ({mime})")
    payload = rec.content_stream().read(config.max_bytes + 1)
    if len(payload) > config.max_bytes:
        return Rejection(loc, f"page too large (more than {config.max_bytes:,} bytes): {uri}")
    if not mime and not looks_like_html(payload[:2000].decode("latin-1")):
        return Skipped(loc, "not HTML (no Content-Type)")
    try:
        text = decode_declared(payload, charset_of(ctype), config.charset_error_share)
    except DecodeError as exc:
        return Rejection(loc, f"{exc}: {uri}")
    if not text.strip():
        return Rejection(loc, f"empty page: {uri}")
    meta = {"url": uri}
    warc_date = rec.rec_headers.get_header("WARC-Date")
    if warc_date:
        meta["fallback_date"] = warc_date.strip()
    return RawDocument(source=uri, html=text, meta=meta)


def _records(
    it, name: str, config: IngestConfig, state: _State, offsets: bool = True, skip: int = 0
) -> Iterator[RawDocument | Rejection]:
    """The records of one ArchiveIterator; raises :class:`_Broken` where the file cannot be read on."""
    errors: tuple[type[BaseException], ...] = _warc_errors()
    # warcio parsing a cut or garbled header block fails in many ways (e.g. AttributeError on a missing
    # WARC-Target-URI); only there, a broader set counts as "this record is broken"
    parse_errors: tuple[type[BaseException], ...] = (*errors, AttributeError, TypeError)
    while True:
        try:
            rec = next(it)
        except StopIteration:
            # warcio ends quietly when the file stops inside a record's headers: bytes read past the
            # last whole record are that record, cut short
            at = it.offset
            if it.fh.tell() > at > state.floor:
                raise _Broken(
                    state.n + 1,
                    at if offsets else None,
                    counted=False,
                    exc=_Framing("truncated or unreadable (no whole record from here on)"),
                ) from None
            return
        except parse_errors as exc:
            at = it.offset if offsets and it.offset > state.floor else None
            raise _Broken(state.n + 1, at, exc, counted=False) from None
        state.n += 1
        off = it.offset
        state.floor = max(state.floor, off)
        loc = f"{name}#{state.n}@{off}" if offsets else f"{name}#{state.n}"
        try:
            out = _convert(rec, loc, config)
            bad = False
        except errors as exc:  # the payload (transfer or content encoding, or the stream under it)
            out, bad = Rejection(loc, f"broken record: {_describe(exc)}"), True
        warnings = it.err_count
        try:
            it.read_to_end()
        except parse_errors as exc:
            if bad and state.n > skip:
                yield out
            raise _Broken(state.n, off if offsets else None, exc, counted=True, reported=bad) from None
        missing = getattr(rec.raw_stream, "limit", 0) or 0
        dec = getattr(it.reader, "decompressor", None)
        framing = None  # the record's end is not where its headers say: the next start is to be found
        if not (rec.rec_headers.get_header("Content-Length") or "").strip().isdigit():
            framing = "no Content-Length (its headers are cut short or malformed)"
        elif it.err_count > warnings:
            framing = "its Content-Length is wrong (no blank line where the record should end)"
        if framing and not bad:
            if state.n > skip:
                yield Rejection(loc, f"broken record: {framing}; reading on from the next record")
            raise _Broken(state.n, off if offsets else None, _Framing(framing), counted=True, reported=True)
        damaged = [
            p
            for p in (rec.digest_checker.problems if config.warc_verify_digests else [])
            if p.startswith("block digest")
        ]  # (payload digests: crawlers disagree on chunked bodies)
        if bad:
            pass
        elif missing > 0:
            out = Rejection(loc, f"truncated record: {missing:,} of its {rec.length:,} bytes are missing")
        elif dec is not None and not getattr(dec, "eof", True):  # the record's gzip member goes on
            if not it.next_line:
                out = Rejection(loc, "truncated record: its gzip member ends early (the file is cut short)")
            elif not it.next_line.startswith(b"WARC/"):  # (a next record in the same member: one-stream gzip)
                if state.n > skip:
                    yield Rejection(
                        loc, "broken record: its gzip member is cut short or corrupt; reading on from the next record"
                    )
                raise _Broken(
                    state.n, off if offsets else None, _Framing("corrupt gzip member"), counted=True, reported=True
                )
        if damaged and (isinstance(out, RawDocument) or type(out) is Skipped):  # (not when already rejected)
            out = Rejection(loc, "damaged record: its bytes do not match its WARC-Block-Digest")
        if state.n > skip:
            yield out


def _next_start(fh: BinaryIO, after: int) -> int | None:
    """Offset of the next possible record start after ``after``: a gzip member header, or a WARC/1.x line."""
    fh.seek(after)
    pos, tail = after, b""
    while True:
        block = fh.read(1 << 20)
        if not block:
            return None
        data = tail + block
        hits = [i for i in (data.find(b"\x1f\x8b\x08"), data.find(b"\nWARC/1.")) if i >= 0]
        if hits:
            i = min(hits)
            return pos - len(tail) + i + (1 if data[i : i + 1] == b"\n" else 0)
        tail = data[-7:]
        pos += len(block)


def read_warc(inp: Input, config: IngestConfig) -> Iterator[RawDocument | Rejection]:
    from warcio.archiveiterator import ArchiveIterator

    name, state = inp.name, _State()
    with inp.open() as fh:
        try:
            seekable = fh.seekable()
        except (AttributeError, ValueError):
            seekable = False
        start, resyncing = 0, False
        while True:
            if start:
                fh.seek(start)
            n0 = state.n
            try:
                it = ArchiveIterator(fh, check_digests=config.warc_verify_digests)
                yield from _records(it, name, config, state)
                return
            except _Broken as broken:
                if "non-chunked gzip" in str(broken.exc) and not resyncing:
                    yield from _read_single_gzip(inp, config, state.n)
                    return
                quiet = resyncing and state.n == n0  # the candidate start was no record start
                if not quiet and not broken.reported:
                    if not broken.counted:
                        state.n += 1
                    where = f"{name}#{broken.number}" + (f"@{broken.offset}" if broken.offset is not None else "")
                    then = "reading on from the next record" if seekable else "the rest of the file is not read"
                    yield Rejection(where, f"broken WARC record: {_describe(broken.exc)}; {then}")
                if not seekable:
                    return
                at = broken.offset if broken.offset is not None else state.floor
                nxt = _next_start(fh, max(at, start, state.floor) + 1)
                if nxt is None:
                    return
                start, resyncing = nxt, True


def _read_single_gzip(inp: Input, config: IngestConfig, done: int) -> Iterator[RawDocument | Rejection]:
    """A WARC gzipped as one stream: read again through gzip (no offsets), skipping the records already read."""
    from warcio.archiveiterator import ArchiveIterator

    state = _State()
    with gunzipped(inp, config.max_decompressed_bytes).open() as fh:
        try:
            yield from _records(
                ArchiveIterator(fh, check_digests=config.warc_verify_digests),
                inp.name,
                config,
                state,
                offsets=False,
                skip=done,
            )
        except _Broken as broken:
            if not broken.reported:
                yield Rejection(
                    f"{inp.name}#{broken.number}",
                    f"broken WARC record: {_describe(broken.exc)}; the rest of the file is not read",
                )
