"""Bytes -> text: BOMs, UTF-8, a declared charset, or charset detection."""

from __future__ import annotations

import codecs
import re


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
    encoding = _detect(data)
    text = data.decode(encoding, errors="replace")
    controls = sum(1 for ch in text[:5000] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.05 * max(1, len(text[:5000])):
        raise DecodeError("binary data (control characters), not text")
    return text


def _detect(data: bytes) -> str:
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
    return encoding


def sniff_encoding(head: bytes) -> str:
    """The encoding of a stream from its first bytes (BOM, UTF-8, else detection), for line-by-line decoding."""
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)  # a cut multi-byte tail is fine
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in head[:8192]:
        raise DecodeError("binary data (NUL bytes), not text")
    return _detect(head)


_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)


def charset_of(content_type: str | None) -> str | None:
    """The charset named in a Content-Type header value, if it is one Python knows."""
    m = _CHARSET.search(content_type or "")
    if not m:
        return None
    try:
        return codecs.lookup(m.group(1)).name
    except LookupError:
        return None


def decode_declared(data: bytes, charset: str | None, max_error_share: float = 0.001) -> str:
    """Decode with the charset the server declared (HTTP Content-Type), else as :func:`decode_bytes`.

    A few stray bytes the declared charset cannot decode become U+FFFD (as in a browser); more than
    ``max_error_share`` of the bytes means the declaration is wrong: :class:`DecodeError` naming it.
    """
    if not charset:
        return decode_bytes(data)
    try:
        return data.decode(charset).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        first = exc
    text = data.decode(charset, errors="replace")
    bad = text.count("\ufffd") - data.decode(charset, errors="ignore").count("\ufffd")
    if bad <= max_error_share * len(data):
        return text.lstrip("\ufeff")
    raise DecodeError(
        f"the declared charset {charset} does not fit the page: {bad:,} undecodable bytes "
        f"(first: {first.object[first.start : first.start + 1]!r} at byte {first.start:,})"
    )


def looks_like_html(text: str) -> bool:
    head = text[:2000].lstrip().lower()
    return head.startswith(("<!doctype html", "<html")) or ("<body" in head and "</" in head)
