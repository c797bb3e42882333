"""The container of the clusterer's saved state (storyline.cluster.arrays): arrays come back exactly, objects and
damaged blobs are refused, and states written as .npz by earlier versions still load."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from storyline.cluster import StoryClusterer
from storyline.cluster.arrays import pack_arrays, unpack_arrays
from storyline.config import ClusterConfig, EmbedConfig
from storyline.embed import get_embedder
from storyline.model import Article, content_id

_DTYPES = st.sampled_from([np.int32, np.int64, np.uint8, np.uint32, np.float16, np.float32, np.float64, np.bool_])
_ARRAYS = _DTYPES.flatmap(lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)))


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=8), _ARRAYS, max_size=5))
def test_arrays_come_back_exactly(arrays):
    back = unpack_arrays(pack_arrays(arrays))
    assert list(back) == list(arrays)
    for name, a in arrays.items():
        assert back[name].dtype == a.dtype and back[name].shape == a.shape
        assert back[name].tobytes() == np.asarray(a).tobytes(order="C")  # bit for bit, NaN included


def test_objects_and_damaged_blobs_are_refused():
    with pytest.raises(TypeError, match="numbers and booleans"):
        pack_arrays({"x": np.array(["a", None], dtype=object)})
    blob = pack_arrays({"x": np.arange(10, dtype=np.int64)})
    with pytest.raises(ValueError, match="cut short"):
        unpack_arrays(blob[:-8])
    with pytest.raises(ValueError, match="unknown format"):
        unpack_arrays(b"not a state at all")
    with pytest.raises(ValueError, match="table of contents"):
        unpack_arrays(blob[:8] + b"\xff" * (len(blob) - 8))
    evil = blob.replace(b"<i8", b"|O8")  # a table of contents naming an object dtype
    with pytest.raises(ValueError):
        unpack_arrays(evil)


def _articles() -> list[Article]:
    texts = [
        ("Flood in Marlow Creek", "Heavy rain flooded the Marlow Creek valley on Tuesday; 2,000 residents left home."),
        ("Marlow Creek flood crests", "The Marlow Creek flood crested as the county opened shelters for residents."),
        ("Budget vote in Tarnow", "The Tarnow city council voted on the budget; the mayor Anna Kowal praised it."),
    ]
    out = []
    for title, body in texts:
        paras = [body, body.replace("the", "a")]
        out.append(Article(id=content_id(paras), source=title, paragraphs=paras, title=title))
    return out


def _to_npz(blob: bytes) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **dict(unpack_arrays(blob)))
    return buf.getvalue()


def test_a_state_saved_as_npz_by_an_earlier_version_still_loads():
    emb = get_embedder(EmbedConfig(backend="static"))
    arts = _articles()
    c = StoryClusterer(ClusterConfig(), emb)
    c.partial_fit(arts[:2])
    stories = {sid: _to_npz(c.story_bytes(sid)) for sid in c.story_ids()}
    assert all(b[:2] == b"PK" for b in stories.values())

    def part(sid):
        from storyline.cluster.state import _unpack_groups

        return _unpack_groups(stories[sid])[0] if sid in stories else None

    old = StoryClusterer.from_parts(_to_npz(c.global_bytes()), part, ClusterConfig(), emb)
    assert [dataclasses.asdict(s) for s in old.stories()] == [dataclasses.asdict(s) for s in c.stories()]
    a1, a2 = c.partial_fit(arts[2:]), old.partial_fit(arts[2:])
    assert [(x.story_id, x.event_id, x.score) for x in a1] == [(x.story_id, x.event_id, x.score) for x in a2]
