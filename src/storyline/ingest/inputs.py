"""What a reader reads: one named input (a file, a member of a zip, a decompressed .gz, stdin bytes).

An :class:`Input` can be opened more than once (a reader may look at the head, then read); decompressed
streams are capped (:class:`CappedStream`) so a zip or gzip bomb stops with an error instead of filling
memory or disk. Stream-level failures (truncated gzip, corrupt zip, I/O errors) are turned into one
readable sentence by :func:`describe_error`.
"""

from __future__ import annotations

import gzip
import io
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO, cast

HEAD_BYTES = 65_536
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


class InputTooLarge(ValueError):
    """A decompressed stream grew past its cap."""


# what reading a (compressed) stream can raise besides the readers' own parse errors
STREAM_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error, zipfile.BadZipFile, InputTooLarge)


def describe_error(exc: BaseException) -> str:
    """A stream-level error in words."""
    if isinstance(exc, InputTooLarge):
        return str(exc)
    if isinstance(exc, EOFError):
        return f"truncated compressed data ({exc})"
    if isinstance(exc, (zlib.error, gzip.BadGzipFile)):
        return f"corrupt compressed data ({exc})"
    if isinstance(exc, zipfile.BadZipFile):
        return f"corrupt zip member ({exc})"
    if isinstance(exc, OSError):
        return f"cannot read: {exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"


class CappedStream(io.RawIOBase):
    """A read-only binary stream that raises :class:`InputTooLarge` once more than ``cap`` bytes came out."""

    def __init__(self, inner: BinaryIO, cap: int, what: str, also_close: BinaryIO | None = None):
        self.inner, self.cap, self.what, self.count = inner, cap, what, 0
        self.also_close = also_close  # e.g. the file under a GzipFile, which does not close it

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        data = self.inner.read(len(buf))
        n = len(data)
        self.count += n
        if self.count > self.cap:
            raise InputTooLarge(f"{self.what} is larger than {self.cap:,} bytes decompressed; stopped reading it")
        buf[:n] = data
        return n

    def close(self) -> None:
        try:
            self.inner.close()
            if self.also_close is not None:
                self.also_close.close()
        finally:
            super().close()


@dataclass
class Input:
    """One named input. ``name`` appears in every source and rejection (``a.zip!dir/x.jsonl``, ``b.warc.gz``);
    ``inner_name`` is the name whose extension tells the format (``.gz`` taken off); ``size`` is known for
    plain files and bytes; ``path`` is set for a file on disk (read directly, seekable)."""

    name: str
    opener: Callable[[], BinaryIO]
    size: int | None = None
    path: Path | None = None
    inner_name: str = ""
    decompressed: bool = False  # bytes come out of a decompressor (size unknown, capped)
    _head: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.inner_name = self.inner_name or self.name

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.inner_name.replace("\\", "/")).suffix.lower()

    def open(self) -> BinaryIO:
        return self.opener()

    def head(self) -> bytes:
        """The first bytes (64 KiB), read once."""
        if self._head is None:
            with self.open() as fh:
                self._head = _read_some(fh, HEAD_BYTES)
        return self._head

    def read_all(self, limit: int) -> bytes:
        """Up to ``limit + 1`` bytes (more than ``limit`` means too large; never reads further)."""
        if self.path is not None and not self.decompressed:
            return self.path.read_bytes()  # callers check ``size`` first
        with self.open() as fh:
            return _read_some(fh, limit + 1)


def _read_some(fh: BinaryIO, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        b = fh.read(n - got)
        if not b:
            break
        parts.append(b)
        got += len(b)
    return b"".join(parts)


def file_input(path: Path) -> Input:
    return Input(str(path), opener=lambda: path.open("rb"), size=path.stat().st_size, path=path)


def bytes_input(name: str, data: bytes) -> Input:
    return Input(name, opener=lambda: io.BytesIO(data), size=len(data))


def gunzipped(inp: Input, cap: int) -> Input:
    """The decompressed content of a gzip input (every member, as ``gzip`` reads them), capped."""
    inner = inp.inner_name[:-3] if inp.inner_name.lower().endswith(".gz") else inp.inner_name
    if inner.lower().endswith(".tgz"):
        inner = inner[:-4] + ".tar"

    def opener() -> BinaryIO:
        raw = inp.open()
        return io.BufferedReader(
            CappedStream(cast(BinaryIO, gzip.GzipFile(fileobj=raw, mode="rb")), cap, inp.name, also_close=raw)
        )

    return Input(inp.name, opener=opener, inner_name=inner, decompressed=True)


def zip_member(inp: Input, zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> Input:
    name = f"{inp.name}!{info.filename}"

    def opener() -> BinaryIO:
        return io.BufferedReader(CappedStream(zf.open(info), cap, name))  # type: ignore[arg-type]

    return Input(name, opener=opener, inner_name=info.filename, decompressed=True)


def seekable_copy(fh: BinaryIO, cap: int, what: str) -> BinaryIO:
    """``fh`` if it can seek, else a copy in a temporary file (in memory up to 32 MiB), at most ``cap`` bytes."""
    try:
        if fh.seekable():
            return fh
    except (AttributeError, ValueError):
        pass
    tmp = tempfile.SpooledTemporaryFile(max_size=32 << 20)  # noqa: SIM115 (returned open, closed by the caller)
    shutil.copyfileobj(CappedStream(fh, cap, what), tmp, 1 << 20)
    tmp.seek(0)
    return tmp  # type: ignore[return-value]
