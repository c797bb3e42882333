"""Named numpy arrays as bytes, the container of the clusterer's saved state: a magic tag, a JSON table of contents
(name, dtype, shape, offset, size) and the arrays' raw bytes, read back as views without copying. It replaces
``.npz`` (a zip archive), whose writing and reading cost about a millisecond per blob whatever its size, and the
stage writes a few blobs per chunk; blobs written as ``.npz`` by earlier versions are still read. Only plain numeric
and boolean dtypes are accepted, so a blob can never hold objects (no pickle)."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping

import numpy as np

MAGIC = b"SLA1"
_KINDS = "biuf"  # bool, signed and unsigned integers, floats


def pack_arrays(arrays: Mapping[str, np.ndarray]) -> bytes:
    """The arrays (numeric or boolean) as one blob."""
    toc = []
    chunks = []
    offset = 0
    for name, arr in arrays.items():
        a = np.asarray(arr)
        if a.dtype.kind not in _KINDS:
            raise TypeError(f"array {name!r}: dtype {a.dtype} cannot be saved (numbers and booleans only)")
        raw = a.tobytes(order="C")
        toc.append([name, a.dtype.str, list(a.shape), offset, len(raw)])
        chunks.append(raw)
        offset += len(raw)
    head = json.dumps(toc, separators=(",", ":")).encode("ascii")
    return b"".join([MAGIC, len(head).to_bytes(4, "little"), head, *chunks])


def unpack_arrays(data: bytes) -> Mapping[str, np.ndarray]:
    """The arrays of :func:`pack_arrays` (read-only views into ``data``), or of an ``.npz`` blob; ``ValueError``
    for anything else, or a blob cut short."""
    if data[:2] == b"PK":  # written by a version that saved .npz
        return np.load(io.BytesIO(data), allow_pickle=False)
    if data[:4] != MAGIC or len(data) < 8:
        raise ValueError("cluster state: not a saved state (unknown format)")
    n = int.from_bytes(data[4:8], "little")
    try:
        toc = json.loads(data[8 : 8 + n].decode("ascii"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"cluster state: damaged table of contents ({e})") from None
    base = 8 + n
    out: dict[str, np.ndarray] = {}
    for name, dt, shape, offset, size in toc:
        dtype = np.dtype(dt)
        if dtype.kind not in _KINDS:
            raise ValueError(f"cluster state: array {name!r} has dtype {dtype}, not a number")
        count = size // dtype.itemsize if dtype.itemsize else 0
        if offset < 0 or base + offset + size > len(data) or count != int(np.prod(shape)):
            raise ValueError(f"cluster state: array {name!r} is cut short or damaged")
        out[name] = np.frombuffer(data, dtype=dtype, count=count, offset=base + offset).reshape(shape)
    return out
