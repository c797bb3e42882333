"""RSS / Atom feeds and XML sitemaps given as files: their entries, through :mod:`storyline.feeds`.

Chosen by content (the root element), before the JSON and document readers, so an ``.xml`` or ``.html``
file that is a feed is read as one; a gzipped feed is unwrapped first like any input.
"""

from __future__ import annotations

from collections.abc import Iterator

from .. import feeds
from ..config import IngestConfig
from ..model import RawDocument, Rejection
from .inputs import STREAM_ERRORS, Input, describe_error

FEED_EXT = frozenset({".rss", ".atom"})


def sniff_feed(inp: Input, head: bytes) -> bool:
    return feeds.feed_kind(head) is not None


def read_feed(inp: Input, config: IngestConfig) -> Iterator[RawDocument | Rejection]:
    if inp.size is not None and inp.size > config.max_bytes:  # known before reading (a file): not read at all
        yield Rejection(inp.name, f"feed larger than the limit of {config.max_bytes / 1e6:,.1f} MB")
        return
    try:
        data = inp.read_all(config.max_bytes)
    except STREAM_ERRORS as exc:
        yield Rejection(inp.name, describe_error(exc))
        return
    if len(data) > config.max_bytes:
        yield Rejection(inp.name, f"feed larger than the limit of {config.max_bytes / 1e6:,.1f} MB")
        return
    yield from feeds.read_feed_file(inp.name, data, config)
