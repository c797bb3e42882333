"""JSON for the server's answers: :func:`dumps` (to bytes), :func:`loads`, :func:`raw_json` (orjson, a dependency;
the json module when it is missing), and the content types the server sends."""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; plain json works, slower
    orjson = None  # type: ignore[assignment]


def dumps(data: Any) -> bytes:
    """Compact UTF-8 JSON bytes (orjson: several times faster than the json module on big views)."""
    if orjson is not None:
        return orjson.dumps(data)
    return json.dumps(
        data, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"), default=_raw_default
    ).encode("utf-8")


def raw_json(text: str) -> Any:
    """Already-encoded JSON placed as is into what :func:`dumps` writes (no decode, no re-encode)."""
    if orjson is not None:
        return orjson.Fragment(text)
    return json.loads(text)


def _raw_default(obj: Any) -> Any:  # pragma: no cover - only without orjson
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def loads(text: str | bytes) -> Any:
    return orjson.loads(text) if orjson is not None else json.loads(text)


JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
