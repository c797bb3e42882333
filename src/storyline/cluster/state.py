"""The clusterer's state as bytes (JSON + numpy arrays, :mod:`.arrays`; no pickle, no class paths), in two parts so
that a store rewrites only what changed: the global part (vocabulary, document frequencies, entity postings, story
ids, aliases), with deltas of it since the last save, and one part per story (its sums, labels, events);
:meth:`StoryClusterer.from_parts` rebuilds a clusterer from them."""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import ClusterConfig
from .arrays import pack_arrays, unpack_arrays
from .index import _CentroidIndex
from .vectors import Group, _Vocab

if TYPE_CHECKING:
    from typing_extensions import Self


_STATE_VERSION = 1


class StateMixin:
    """Saving and loading :class:`StoryClusterer`: what changed since the last save (``_changed_*``, recorded as
    articles are placed and stories merge) and the parts of the state."""

    # what this part uses of StoryClusterer (declared for the type checker)
    dim: int
    vocab: _Vocab
    _groups: list[Group]
    by_id: dict[str, Group]
    article_story: dict[str, int]
    article_event: dict[str, str]
    postings: dict[int, list[int]]
    index: _CentroidIndex

    if TYPE_CHECKING:

        def __init__(self, config: ClusterConfig | None = None, embedder: Any = None) -> None: ...

    aliases: dict[str, str]
    n_events: int

    def mark_saved(self, n_groups: int | None = None) -> None:
        """Forget the changes since the last save (the global part was just written in full or as a
        delta); see :meth:`global_delta_bytes`."""
        self._saved_groups = len(self._groups) if n_groups is None else n_groups
        self._changed_df: list[np.ndarray] = []
        self._changed_surf: set[int] = set()
        self._changed_posts: set[int] = set()
        self._changed_alive: set[int] = set()
        self._changed_aliases: set[str] = set()

    # -- state ---------------------------------------------------------------------------------
    # Two parts, so that a store only rewrites what changed: the global part (vocabulary, document
    # frequencies, entity postings, story ids, aliases) and one part per story (its sums, labels,
    # events). ``to_bytes`` packs both; :class:`ClusterStage` saves them under separate keys.

    def global_bytes(self) -> bytes:
        v = self.vocab
        post_keys = sorted(self.postings)
        lists = [self.postings[k] for k in post_keys]
        post_lens = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        post = np.fromiter(itertools.chain.from_iterable(lists), dtype=np.int32, count=int(post_lens.sum()))
        surf_keys = sorted(v.surface)
        meta = {
            "version": _STATE_VERSION,
            "dim": self.dim,
            "bits": v.bits,
            "n_docs": v.n_docs,
            "aliases": self.aliases,
            "n_events": self.n_events,
            "stories": [s.id for s in self._groups],
            "alive": [s.alive for s in self._groups],
        }
        arrays = {
            "meta": _json_array(meta),
            "df_ids": (nz := np.flatnonzero(v.df).astype(np.uint32)),
            "df": v.df[nz],
            "surf_keys": np.asarray(surf_keys, dtype=np.int64),
            "surf": np.frombuffer(
                "\n".join(v.surface[k].replace("\n", " ") for k in surf_keys).encode("utf-8"), dtype=np.uint8
            ),
            "post_keys": np.asarray(post_keys, dtype=np.int32),
            "post": post,
            "post_len": post_lens,
        }
        return pack_arrays(arrays)

    def global_delta_bytes(self) -> bytes:
        """What changed in the global part since :meth:`mark_saved` (document frequencies and entity
        postings that moved, new entity names, new stories, stories merged away, new aliases): a few
        KB per article where :meth:`global_bytes` grows with the corpus. Applied in order after the
        last full part by :meth:`from_parts`; every entry sets a value, so applying one twice is harmless."""
        v = self.vocab
        ids = (
            np.unique(np.concatenate(self._changed_df)).astype(np.uint32)
            if self._changed_df
            else np.zeros(0, np.uint32)
        )
        post_keys = sorted(self._changed_posts)
        lists = [self.postings.get(k, []) for k in post_keys]
        post_lens = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        surf_keys = sorted(self._changed_surf)
        new = self._groups[self._saved_groups :]
        meta = {
            "version": _STATE_VERSION,
            "delta": True,
            "n_docs": v.n_docs,
            "n_events": self.n_events,
            "first_story": self._saved_groups,
            "stories": [g.id for g in new],
            "alive": [g.alive for g in new],
            "gone": sorted(i for i in self._changed_alive if i < self._saved_groups),
            "aliases": {k: self.aliases[k] for k in sorted(self._changed_aliases) if k in self.aliases},
        }
        return pack_arrays(
            {
                "meta": _json_array(meta),
                "df_ids": ids,
                "df": v.df[ids],
                "surf_keys": np.asarray(surf_keys, dtype=np.int64),
                "surf": np.frombuffer(
                    "\n".join(v.surface[k].replace("\n", " ") for k in surf_keys).encode("utf-8"), dtype=np.uint8
                ),
                "post_keys": np.asarray(post_keys, dtype=np.int32),
                "post": np.fromiter(itertools.chain.from_iterable(lists), dtype=np.int32, count=int(post_lens.sum())),
                "post_len": post_lens,
            }
        )

    def story_bytes(self, story_id: str) -> bytes:
        """One story's part of the state (by live id)."""
        return _pack_groups([self.by_id[story_id]], self.dim)

    def to_bytes(self) -> bytes:
        """Everything needed to continue the stream elsewhere (JSON + numpy arrays; no pickle)."""
        stories = _pack_groups(self._groups, self.dim)
        return pack_arrays(
            {
                "global": np.frombuffer(self.global_bytes(), dtype=np.uint8),
                "stories": np.frombuffer(stories, dtype=np.uint8),
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes, config: ClusterConfig | None = None, embedder: Any = None) -> Self:
        z = unpack_arrays(data)
        groups = _unpack_groups(z["stories"].tobytes(), config)
        by = {g.id: g for g in groups}
        return cls.from_parts(z["global"].tobytes(), by.get, config, embedder)

    @classmethod
    def from_parts(
        cls,
        global_blob: bytes,
        story_part: Any,
        config: ClusterConfig | None = None,
        embedder: Any = None,
        deltas: Sequence[bytes] = (),
    ) -> Self:
        """Rebuild from the global part, the deltas saved after it (:meth:`global_delta_bytes`, in
        order) and ``story_part(story_id) -> Group | None`` for live stories."""
        self = cls(config, embedder)
        z = unpack_arrays(global_blob)
        meta = json.loads(z["meta"].tobytes().decode("utf-8"))
        zs = [unpack_arrays(d) for d in deltas]
        if meta.get("version") != _STATE_VERSION:
            raise ValueError(f"cluster state version {meta.get('version')} not supported")
        if meta["dim"] != self.dim:
            raise ValueError(f"cluster state has {meta['dim']}-d embeddings; this embedder gives {self.dim}-d")
        v = self.vocab
        if meta["bits"] != v.bits:
            raise ValueError(f"cluster state hashes terms into 2**{meta['bits']} buckets; config says 2**{v.bits}")
        v.df[z["df_ids"]] = z["df"]
        v.surface = _surfaces(z)
        postings = _postings(z)
        stories, alive_flags, aliases = list(meta["stories"]), list(meta["alive"]), dict(meta["aliases"])
        for dz in zs:  # every delta sets values: later ones win
            dm = json.loads(dz["meta"].tobytes().decode("utf-8"))
            if dm.get("version") != _STATE_VERSION or not dm.get("delta"):
                raise ValueError("cluster state delta of another version")
            v.df[dz["df_ids"]] = dz["df"]
            v.surface.update(_surfaces(dz))
            postings.update(_postings(dz))
            first = int(dm["first_story"])
            del stories[first:], alive_flags[first:]
            stories += dm["stories"]
            alive_flags += dm["alive"]
            for i in dm["gone"]:
                alive_flags[i] = False
            aliases.update(dm["aliases"])
            meta["n_docs"], meta["n_events"] = dm["n_docs"], dm["n_events"]
        v.n_docs = int(meta["n_docs"])
        for order, (sid, alive) in enumerate(zip(stories, alive_flags, strict=True)):
            g = story_part(sid) if alive else None
            if g is None:
                g = Group(sid, order, self.dim)
                g.alive = False
            g.order = order
            self._groups.append(g)
            idx = self.index.add(g.centroid())
            if g.alive:
                self.by_id[g.id] = g
                for aid in g.article_ids:
                    self.article_story[aid] = idx
                for e in g.events:
                    for aid in e.article_ids:
                        self.article_event[aid] = e.id
            else:
                self.index.remove(idx)
        self.postings = {k: lst for k, lst in postings.items() if lst}
        self.aliases = aliases
        self.n_events = int(meta["n_events"])
        self.mark_saved()
        return self


def _json_array(obj: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(obj, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)


def _surfaces(z: Any) -> dict[int, str]:
    """Entity id -> display name, as a global part or a delta stores them."""
    raw = z["surf"].tobytes().decode("utf-8")
    return dict(zip((int(k) for k in z["surf_keys"]), raw.split("\n") if raw else [], strict=False))


def _postings(z: Any) -> dict[int, list[int]]:
    """Entity id -> story orders, as a global part or a delta stores them."""
    off = np.concatenate([[0], np.cumsum(z["post_len"])]).astype(np.int64)
    post = z["post"]
    return {int(k): [int(x) for x in post[off[i] : off[i + 1]]] for i, k in enumerate(z["post_keys"])}


def _group_json(g: Group, cache: bool) -> str:
    """A group's record in a story part (JSON). An event's is kept with it until it changes (articles, labels,
    dates, title or order): a story saved as it grows re-encodes its changed events only. Every change to an
    event adds an article (``n`` or the article lists grow) or relabels it (``out``), so the key below moves."""
    first = None if math.isnan(g.first) else g.first
    last = None if math.isnan(g.last) else g.last
    key = (g.id, g.order, g.n, len(g.article_ids), len(g.copy_ids), first, last, len(g.labels), g.out)
    saved = g.saved
    if cache and saved is not None and saved[0] == key:
        return saved[1]
    text = json.dumps(
        {
            "id": g.id,
            "order": g.order,
            "a": g.article_ids,
            "c": g.copy_ids,
            "n": g.n,
            "first": first,
            "last": last,
            "outlets": g.outlets,
            "labels": [[lab[0], lab[1], lab[2]] for lab in g.labels],
            **({"out": [g.out[0], g.out[1]]} if g.out is not None else {}),
        },
        ensure_ascii=False,
    )
    g.saved = (key, text) if cache else None
    return text


def _pack_groups(stories: Sequence[Group], dim: int) -> bytes:
    """Stories (live ones, with their events) -> bytes."""
    groups: list[Group] = []
    smeta = []
    story_at: set[int] = set()  # positions of the stories in ``groups`` (the others are their events)
    for s in stories:
        if not s.alive:
            continue
        ev_idx = []
        for e in s.events:
            ev_idx.append(len(groups))
            groups.append(e)
        smeta.append({"g": len(groups), "events": ev_idx})
        story_at.add(len(groups))
        groups.append(s)
    frags = [_group_json(g, cache=i not in story_at) for i, g in enumerate(groups)]
    meta = '{"stories":' + json.dumps(smeta) + ',"groups":[' + ",".join(frags) + "]}"

    def cat(parts: list[np.ndarray], dtype: Any) -> tuple[np.ndarray, np.ndarray]:
        lens = np.asarray([len(p) for p in parts], dtype=np.int64)
        data = np.concatenate(parts).astype(dtype) if parts and lens.sum() else np.zeros(0, dtype=dtype)
        return data, lens

    arrays: dict[str, np.ndarray] = {"meta": np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)}
    arrays["emb"] = np.stack([g.emb.astype(np.float32) for g in groups]) if groups else np.zeros((0, dim), np.float32)
    for name in ("t_ids", "t_vals", "e_ids", "e_vals"):
        dtype = np.int32 if name.endswith("ids") else np.float32
        arrays[name], arrays[name + "_len"] = cat([getattr(g, name) for g in groups], dtype)
    arrays["lab_ids"], arrays["lab_ids_len"] = cat([lab[3] for g in groups for lab in g.labels], np.int32)
    return pack_arrays(arrays)


def _unpack_groups(data: bytes, config: ClusterConfig | None = None) -> list[Group]:
    z = unpack_arrays(data)
    meta = json.loads(z["meta"].tobytes().decode("utf-8"))

    def split(name: str) -> list[np.ndarray]:
        offs = np.concatenate([[0], np.cumsum(z[name + "_len"])]).astype(np.int64)
        d = z[name]
        return [d[offs[i] : offs[i + 1]].copy() for i in range(len(offs) - 1)]

    parts = {n: split(n) for n in ("t_ids", "t_vals", "e_ids", "e_vals", "lab_ids")}
    emb = z["emb"]
    dim = emb.shape[1] if emb.ndim == 2 else 0
    groups: list[Group] = []
    li = 0
    for gi, gm in enumerate(meta["groups"]):
        g = Group(gm["id"], gm["order"], dim)
        g.article_ids, g.copy_ids, g.n = list(gm["a"]), list(gm["c"]), gm["n"]
        g.emb = emb[gi].astype(np.float32)
        for n in ("t_ids", "t_vals", "e_ids", "e_vals"):
            setattr(g, n, parts[n][gi])
        g.first = math.nan if gm["first"] is None else gm["first"]
        g.last = math.nan if gm["last"] is None else gm["last"]
        g.outlets = dict(gm["outlets"])
        labs = []
        for aid, text, is_title in gm["labels"]:
            labs.append((aid, text, bool(is_title), parts["lab_ids"][li]))
            li += 1
        g.labels = labs
        if "out" in gm:
            g.out = (gm["out"][0], list(gm["out"][1]))
        groups.append(g)
    out = []
    for sm in meta["stories"]:
        s = groups[sm["g"]]
        s.events = [groups[i] for i in sm["events"]]
        for e in s.events:
            e.emb = e.emb.astype(np.float16)
        out.append(s)
    return out
