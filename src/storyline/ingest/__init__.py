"""Readers: files, folders, archives and standard input -> :class:`RawDocument` (or :class:`Rejection`).

Readers only read and decode; they never judge content (that is ``clean``). Every problem becomes a
Rejection naming the input and the record (``file:line``, ``file#record@offset``, ``archive.zip!member``),
so one bad record never stops a file and one bad file never stops a batch; records passed over on
purpose (a WARC's requests, revisits and images) are :class:`Skipped`, with why.

One module per format: :mod:`.document` (a text or HTML file), :mod:`.jsonfmt` (JSON Lines, JSON),
:mod:`.tabular` (CSV, Parquet), :mod:`.warc` (WARC crawls), :mod:`.feed` (RSS/Atom feeds, sitemaps); :mod:`.records` maps records' fields,
:mod:`.inputs` unwraps and caps gzip / zip, :mod:`.dispatch` picks the reader (:data:`READERS`,
:func:`register_reader`). :func:`read_path` / :func:`read_bytes` read any supported file.
"""

from ..model import Skipped
from .decode import DecodeError, decode_bytes, decode_declared, looks_like_html
from .dispatch import (
    READERS,
    Reader,
    count_inputs,
    iter_folder,
    known_extensions,
    read_bytes,
    read_file,
    read_input,
    read_inputs,
    read_path,
    read_stdin,
    register_reader,
)
from .document import HTML_EXT, doc_from_text
from .inputs import Input
from .jsonfmt import JSONL_EXT, read_jsonl_stream
from .records import parse_jsonl_record, parse_mapping

__all__ = [
    "HTML_EXT",
    "JSONL_EXT",
    "READERS",
    "DecodeError",
    "Input",
    "Reader",
    "Skipped",
    "count_inputs",
    "decode_bytes",
    "decode_declared",
    "doc_from_text",
    "iter_folder",
    "known_extensions",
    "looks_like_html",
    "parse_jsonl_record",
    "parse_mapping",
    "read_bytes",
    "read_file",
    "read_input",
    "read_inputs",
    "read_jsonl_stream",
    "read_path",
    "read_stdin",
    "register_reader",
]
