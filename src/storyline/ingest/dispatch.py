"""Which reader reads an input, and the entry points: paths, folders, bytes, standard input.

An input is unwrapped first (gzip by its magic bytes, zip by magic or extension; a zip's members are
inputs of their own, named ``archive.zip!member``), then read by the first reader in :data:`READERS`
whose ``sniff`` recognises its first bytes, else the one whose extensions hold its extension, else as
one text / HTML document. Other readers join with :func:`register_reader`.
"""

from __future__ import annotations

import os
import sys
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ..config import IngestConfig
from ..model import RawDocument, Rejection, Skipped
from .document import HTML_EXT, TEXT_EXT, read_document
from .feed import FEED_EXT, read_feed, sniff_feed
from .inputs import (
    GZIP_MAGIC,
    STREAM_ERRORS,
    ZIP_MAGIC,
    Input,
    bytes_input,
    describe_error,
    file_input,
    gunzipped,
    seekable_copy,
    zip_member,
)
from .jsonfmt import (
    JSON_EXT,
    JSONL_EXT,
    read_json,
    read_jsonl,
    sniff_json,
    sniff_json_lines,
)
from .tabular import CSV_EXT, PARQUET_EXT, read_csv, read_parquet, sniff_parquet
from .warc import WARC_EXT, read_warc, sniff_warc

ReadFn = Callable[[Input, IngestConfig], Iterator[RawDocument | Rejection]]
SniffFn = Callable[[Input, bytes], bool]
MAX_NESTING = 3  # archives inside archives (a .gz in a .zip in a .zip…)
ARCHIVE_EXT = {".gz", ".tgz", ".zip"}
_ZIP_ERRORS: tuple[type[BaseException], ...] = (zipfile.BadZipFile, *STREAM_ERRORS)


@dataclass(frozen=True)
class Reader:
    """A format: ``read(input, config)`` yields documents, rejections and skipped records, each naming its
    record; ``sniff(input, head)`` says from the first 64 KiB (and the name) that an input is this format;
    ``extensions`` choose it when no reader's sniff did (and are read from folders)."""

    name: str
    read: ReadFn
    extensions: frozenset[str] = frozenset()
    sniff: SniffFn | None = None


def _reader(name: str, read: ReadFn, extensions: Iterable[str] = (), sniff: SniffFn | None = None) -> Reader:
    return Reader(name, read, frozenset(extensions), sniff)


DOCUMENT = _reader("document", read_document, HTML_EXT | TEXT_EXT)

# In order: the first whose sniff matches reads the input. The feed reader comes before the JSON and document
# readers, so an .xml/.html file that is a feed (or sitemap) is read as one.
READERS: list[Reader] = [
    _reader("warc", read_warc, WARC_EXT, sniff_warc),
    _reader("parquet", read_parquet, PARQUET_EXT, sniff_parquet),
    _reader("csv", read_csv, CSV_EXT),
    _reader("feed", read_feed, FEED_EXT, sniff_feed),
    _reader("jsonl", read_jsonl, JSONL_EXT, sniff_json_lines),
    _reader("json", read_json, JSON_EXT, sniff_json),
    DOCUMENT,
]


def register_reader(reader: Reader, *, before: str | None = "jsonl") -> None:
    """Add a reader (or replace the one of the same name), before the reader named ``before`` (None: last)."""
    for i, r in enumerate(READERS):
        if r.name == reader.name:
            READERS[i] = reader
            return
    names = [r.name for r in READERS]
    READERS.insert(names.index(before) if before in names else len(READERS), reader)


def choose_reader(inp: Input, head: bytes) -> Reader:
    for r in READERS:
        if r.sniff is not None and r.sniff(inp, head):
            return r
    for r in READERS:
        if inp.suffix in r.extensions:
            return r
    return DOCUMENT


def known_extensions(config: IngestConfig) -> set[str]:
    return {e.lower() for e in config.extensions} | {e for r in READERS for e in r.extensions} | ARCHIVE_EXT


def read_input(inp: Input, config: IngestConfig, depth: int = 0) -> Iterator[RawDocument | Rejection]:
    """Everything in one input (unwrapping gzip and zip), each output naming its record."""
    try:
        head = inp.head()
    except STREAM_ERRORS as exc:
        yield Rejection(inp.name, describe_error(exc))
        return
    reader = next((r for r in READERS if r.sniff is not None and r.sniff(inp, head)), None)
    if reader is None and (head[:2] == GZIP_MAGIC or head[:4] in ZIP_MAGIC or inp.suffix == ".zip"):
        if depth >= MAX_NESTING:
            yield Rejection(inp.name, f"archives nested more than {MAX_NESTING} deep")
        elif head[:2] == GZIP_MAGIC:
            yield from read_input(gunzipped(inp, config.max_decompressed_bytes), config, depth + 1)
        else:
            yield from _read_zip(inp, config, depth)
        return
    reader = reader or choose_reader(inp, head)
    last = None
    try:
        for out in reader.read(inp, config):
            last = out.source
            yield out
    except STREAM_ERRORS as exc:  # what the reader did not catch itself, named as well as can be
        after = f" (after {last})" if last else ""
        yield Rejection(inp.name, f"stopped reading: {describe_error(exc)}{after}")


def _hidden(member: str) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in PurePosixPath(member).parts)


def _read_zip(inp: Input, config: IngestConfig, depth: int) -> Iterator[RawDocument | Rejection]:
    cap = config.max_decompressed_bytes
    known = known_extensions(config)
    with inp.open() as raw:
        try:
            fh = raw if inp.path is not None and not inp.decompressed else seekable_copy(raw, cap, inp.name)
            zf = zipfile.ZipFile(fh)
        except _ZIP_ERRORS as exc:
            yield Rejection(inp.name, f"not a readable zip archive ({describe_error(exc)})")
            return
        with zf:
            for info in zf.infolist():
                name = f"{inp.name}!{info.filename}"
                suffix = PurePosixPath(info.filename).suffix.lower()
                if info.is_dir():
                    continue
                if _hidden(info.filename):
                    yield Skipped(name, "hidden file")
                elif info.flag_bits & 0x1:
                    yield Rejection(name, "encrypted zip member (not supported)")
                elif suffix and suffix not in known:
                    yield Skipped(name, f"not a supported input ({suffix})")
                else:
                    yield from read_input(zip_member(inp, zf, info, cap), config, depth + 1)


# ----------------------------------------------------------------------------- entry points


def read_path(path: str | os.PathLike[str], config: IngestConfig | None = None) -> Iterator[RawDocument | Rejection]:
    """Every document in one file of any supported format (plain text, HTML, JSON, JSONL, CSV, Parquet,
    WARC, and any of them gzipped or zipped), as :class:`RawDocument`, or :class:`Rejection` (and
    :class:`Skipped`) naming the file and record. Never raises for bad input. The Spark job's reader."""
    config = config or IngestConfig()
    p = Path(path)
    try:
        inp = file_input(p)
    except OSError as exc:
        yield Rejection(str(p), f"cannot read: {exc.strerror or exc}")
        return
    yield from read_input(inp, config)


read_file = read_path  # the name the readers had before there were several


def read_bytes(name: str, data: bytes, config: IngestConfig | None = None) -> Iterator[RawDocument | Rejection]:
    """As :func:`read_path`, for bytes already in memory (a Spark ``binaryFiles`` record, an upload):
    ``name`` gives the extension and names every record."""
    yield from read_input(bytes_input(name, data), config or IngestConfig())


def iter_folder(folder: Path, config: IngestConfig) -> Iterator[Path]:
    """Files below a folder, recursively, in a stable order; hidden files and folders skipped."""
    known = known_extensions(config)
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            if f.startswith("."):
                continue
            p = Path(root) / f
            if p.suffix.lower() in known or p.suffix == "":
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
    yield from read_bytes("<stdin>", data, config)


def read_inputs(
    paths: Iterable[str | os.PathLike[str]], config: IngestConfig | None = None
) -> Iterator[RawDocument | Rejection]:
    """Everything the user named: files, folders (recursive), ``-`` for standard input."""
    config = config or IngestConfig()
    for p in paths:
        if str(p) == "-":
            yield from read_stdin(config)
            continue
        path = Path(p)
        if path.is_dir():
            for f in iter_folder(path, config):
                yield from read_path(f, config)
        elif path.exists():
            yield from read_path(path, config)
        else:
            yield Rejection(str(path), "no such file or folder")


def count_inputs(paths: Iterable[str | os.PathLike[str]], config: IngestConfig | None = None) -> int | None:
    """Number of documents to read (for a progress bar) when every input is one document; None when
    unknown (standard input, or a file holding many records: WARC, JSONL, CSV, an archive…)."""
    config = config or IngestConfig()
    single = HTML_EXT | TEXT_EXT | {""}
    n = 0
    for p in paths:
        if str(p) == "-":
            return None
        path = Path(p)
        files = list(iter_folder(path, config)) if path.is_dir() else [path]
        if any(f.suffix.lower() not in single for f in files):
            return None
        n += len(files)
    return n
