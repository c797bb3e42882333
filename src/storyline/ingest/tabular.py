"""Tables: CSV (the csv module, row by row) and Parquet (pyarrow, a batch of rows at a time).

Columns become fields through the mapping (``IngestConfig.columns``, ``--map text=body,date=published``);
by default the columns named ``text``/``html``/``title``/``date``/``url``/``outlet``/``author`` are used
(or news-please's and trafilatura's names). A file without a text column, or without a column the mapping
names, is rejected naming the columns it has. A bad row is rejected naming ``file:line`` (CSV: the line
the row starts on, the header being line 1) or ``file:row`` (Parquet: the 1-based row number), and the
rest of the file is read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence

from ..config import IngestConfig
from ..model import RawDocument, Rejection
from .decode import DecodeError, sniff_encoding
from .inputs import STREAM_ERRORS, Input, describe_error, seekable_copy
from .jsonfmt import _bounded_lines
from .records import Layout, layout_for, record_to_doc

CSV_EXT = {".csv", ".tsv"}
PARQUET_EXT = {".parquet", ".pq"}

_HEADER_ERRORS: tuple[type[BaseException], ...] = (csv.Error, *STREAM_ERRORS)


def sniff_parquet(inp: Input, head: bytes) -> bool:
    return head.startswith(b"PAR1")


def table_layout(name: str, columns: Sequence[str], config: IngestConfig) -> Layout | Rejection:
    """The layout for a table with these columns, or a rejection of the whole file saying what is missing."""
    have = set(columns)
    shown = ", ".join(repr(c) for c in list(columns)[:30]) + (" …" if len(columns) > 30 else "")
    missing = [f"{c!r} (for {f})" for f, c in config.columns.items() if c not in have]
    if missing:
        return Rejection(name, f"no column {', '.join(missing)}; the columns are {shown}")
    _, layout = layout_for(list(columns), config.columns)
    wanted = (*layout["text"], *layout.get("html", ()))
    if not have.intersection(wanted):
        return Rejection(
            name,
            f"no text column (none of {', '.join(map(repr, wanted))}); the columns are {shown}; "
            "name the column with --map text=COLUMN (or html=COLUMN)",
        )
    return layout


# ----------------------------------------------------------------------------- CSV


def _delimiter(inp: Input, first_line: str) -> str:
    if inp.suffix == ".tsv":
        return "\t"
    counts = {d: first_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def read_csv(inp: Input, config: IngestConfig) -> Iterator[RawDocument | Rejection]:
    name = inp.name
    try:
        head = inp.head()
        encoding = sniff_encoding(head)
    except DecodeError as exc:
        yield Rejection(name, str(exc))
        return
    except STREAM_ERRORS as exc:
        yield Rejection(name, describe_error(exc))
        return
    if not head.strip():
        yield Rejection(name, "empty file")
        return
    if csv.field_size_limit() < config.max_bytes:
        csv.field_size_limit(config.max_bytes)  # process-wide; a field may be a whole article
    first = head.split(b"\n", 1)[0].decode(encoding, errors="replace").lstrip("\ufeff")
    bad: dict[int, str] = {}  # line number -> what is wrong with it
    state = {"line": 0}
    limit = config.max_bytes

    def lines(fh) -> Iterator[str]:
        if encoding == "utf-16":  # line ends are two bytes: let the codec split
            for line in io.TextIOWrapper(fh, encoding=encoding, errors="replace", newline=""):
                state["line"] += 1
                yield line
            return
        for raw, size in _bounded_lines(fh, limit):
            state["line"] += 1
            n = state["line"]
            if size > limit:
                bad[n] = f"line {n} too large ({size:,} bytes > limit {limit:,})"
                yield "\n"
                continue
            try:
                yield raw.decode(encoding)
            except UnicodeDecodeError as exc:
                bad[n] = (
                    f"line {n} is not {encoding} (byte {raw[exc.start : exc.start + 1]!r} at column {exc.start + 1})"
                )
                yield raw.decode(encoding, errors="replace")

    with inp.open() as fh:
        reader = csv.reader(lines(fh), delimiter=_delimiter(inp, first), strict=True)
        try:
            header = [h.strip().lstrip("\ufeff") for h in next(reader)]
        except StopIteration:
            yield Rejection(name, "empty file")
            return
        except _HEADER_ERRORS as exc:
            yield Rejection(f"{name}:1", f"unreadable header: {exc}")
            return
        layout = table_layout(name, header, config)
        if isinstance(layout, Rejection):
            yield layout
            return
        end = reader.line_num
        while True:
            start = end + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                end = reader.line_num
                problems = [bad.pop(i) for i in range(start, end + 1) if i in bad]
                yield Rejection(f"{name}:{start}", "; ".join(problems) or f"bad CSV row: {exc}")
                continue
            except STREAM_ERRORS as exc:
                yield Rejection(f"{name}:{start}", f"stopped reading the file here: {describe_error(exc)}")
                return
            end = reader.line_num
            problems = [bad.pop(i) for i in range(start, end + 1) if i in bad]
            source = f"{name}:{start}"
            if problems:
                yield Rejection(source, "; ".join(problems))
            elif not row or not any(c.strip() for c in row):
                continue  # a blank line
            elif len(row) != len(header):
                yield Rejection(source, f"the row has {len(row)} fields, the header {len(header)}")
            else:
                yield record_to_doc(source, dict(zip(header, row, strict=True)), layout, config.max_bytes, "row")


# ----------------------------------------------------------------------------- Parquet


def read_parquet(inp: Input, config: IngestConfig) -> Iterator[RawDocument | Rejection]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = inp.name
    errors = (pa.ArrowException, OSError, ValueError)
    with inp.open() as raw:
        try:
            src = (
                str(inp.path)
                if inp.path is not None and not inp.decompressed
                else seekable_copy(raw, config.max_decompressed_bytes, name)
            )
            pf = pq.ParquetFile(src)
            columns = pf.schema_arrow.names
        except STREAM_ERRORS as exc:
            yield Rejection(name, describe_error(exc))
            return
        except errors as exc:
            yield Rejection(name, f"not a readable Parquet file ({type(exc).__name__}: {exc})")
            return
        layout = table_layout(name, columns, config)
        if isinstance(layout, Rejection):
            yield layout
            return
        wanted = list(dict.fromkeys(c for keys in layout.values() for c in keys if c in set(columns)))
        rowno = 0
        try:
            for batch in pf.iter_batches(batch_size=config.batch_rows, columns=wanted):
                for row in batch.to_pylist():
                    rowno += 1
                    yield record_to_doc(f"{name}:{rowno}", row, layout, config.max_bytes, "row")
        except errors as exc:
            yield Rejection(f"{name}:{rowno + 1}", f"stopped reading the file here ({type(exc).__name__}: {exc})")
