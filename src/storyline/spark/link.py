"""Linking the story pieces of different windows into stories, on the driver over the piece table: with the
clusterer's own story-pair scorer (link_pieces) or by embedding centroids (link_windows); then one Story per
linked group (merge_pieces)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from ..config import Config
from ..model import Story


def _piece_order(pid: str) -> tuple[int, str]:
    w = pid[1:].split("-", 1)[0]
    try:
        return (int(w), pid)
    except ValueError:
        return (0, pid)


def link_windows(centroids: dict[str, tuple[int, np.ndarray]], threshold: float, span: int = 1) -> dict[str, str]:
    """Join story pieces of neighbouring windows into stories, replaying the stream at the level of pieces.

    ``centroids``: piece_id -> (window, sum of its articles' unit vectors). Windows are visited in time
    order; a piece joins the story (built so far) whose centroid is most similar, if the cosine is at
    least ``threshold`` and the story was last seen at most ``span`` windows before; else it starts a new
    story. The story's centroid then absorbs the piece (weighted by its articles), as the online
    clusterer's would. Undated pieces (window -1) come last and may join any story.
    Runs on the driver over the story-piece table (one row per piece, not per article).
    -> piece_id -> story id (the id of the story's first piece).
    """
    order = sorted(centroids, key=lambda p: (centroids[p][0] < 0, centroids[p][0], _piece_order(p)))
    roots: list[str] = []
    sums: list[np.ndarray] = []
    first: list[int] = []
    last: list[int] = []
    out: dict[str, str] = {}
    for pid in order:
        w, vec = centroids[pid]
        vec = np.asarray(vec, dtype=np.float64)
        norm = np.linalg.norm(vec)
        best = -1
        if sums and norm > 0:
            cand = [i for i in range(len(sums)) if w < 0 or (first[i] < w and last[i] >= w - span)]
            if cand:
                m = np.stack([sums[i] for i in cand])
                sims = (m @ (vec / norm)) / np.maximum(np.linalg.norm(m, axis=1), 1e-12)
                j = int(np.argmax(sims))
                if sims[j] >= threshold:
                    best = cand[j]
        if best < 0:
            roots.append(pid)
            sums.append(vec.copy())
            first.append(w)
            last.append(w)
            best = len(roots) - 1
        else:
            sums[best] += vec
            last[best] = max(last[best], w)
        out[pid] = roots[best]
    return out


def link_pieces(
    states: Mapping[int, bytes] | Callable[[], Iterable[tuple[int, bytes]]], config: Config, embedder: Any = None
) -> dict[str, str]:
    """Join story pieces across windows with the online clusterer's own multi-signal scorer.

    ``states``: window -> that window's ``StoryClusterer.to_bytes()`` (its pieces' running sums of
    term, entity and embedding vectors, and its own document frequencies), or a function that returns
    them as (window, state) pairs in time order (dated windows ascending, then the undated one, -1), read
    twice, so that the driver holds one window's state at a time. On the driver, one clusterer (the
    linker) gets the whole corpus's document frequencies (the sum over the windows, as the stream ends
    with) and absorbs the windows in time order (``StoryClusterer.absorb``): a piece joins the earlier story with
    the highest story-pair probability -- the stream's own test to merge two stories -- if it clears the
    stream's story threshold; else it starts a story. A window's pieces are scored against the earlier
    windows only, never against each other. Undated pieces (window -1) come last and may join any story.
    Cost: one row per piece, not per article.
    -> piece_id -> story id (the id of the story's first piece); piece ids as in :func:`cluster_window`.
    """
    from ..cluster import StoryClusterer

    if embedder is None:
        from ..embed import get_embedder

        embedder = get_embedder(config.embed)
    if isinstance(states, Mapping):
        table = states

        def states() -> Iterator[tuple[int, bytes]]:
            for w in sorted(table, key=lambda w: (w < 0, w)):
                yield w, table[w]

    linker = StoryClusterer(config.cluster, embedder)
    v = linker.vocab
    for _, blob in states():  # global document frequencies: a sum of the windows' own counts
        c = StoryClusterer.from_bytes(blob, config.cluster, embedder)
        v.df += c.vocab.df
        v.n_docs += c.vocab.n_docs
        del c
    out: dict[str, str] = {}
    for w, blob in states():
        out.update(linker.absorb(StoryClusterer.from_bytes(blob, config.cluster, embedder), f"w{w}-"))
    return out


def merge_pieces(pieces: list[Story], mapping: dict[str, str]) -> list[Story]:
    """Story pieces -> one Story per linked group (events kept, re-pointed to the story)."""
    groups: dict[str, list[Story]] = defaultdict(list)
    for p in pieces:
        groups[mapping.get(p.id, p.id)].append(p)
    out = []
    for sid, ps in groups.items():
        ps.sort(key=lambda p: _piece_order(p.id))
        largest = max(ps, key=lambda p: len(p.article_ids))
        ents: Counter = Counter()
        outlets: list[str] = []
        for p in ps:
            ents.update(p.entities)
            outlets += [o for o in p.outlets if o not in outlets]
        events = []
        for p in ps:
            for e in p.events:
                e.story_id = sid
                events.append(e)
        firsts = [p.first_date for p in ps if p.first_date]
        lasts = [p.last_date for p in ps if p.last_date]
        out.append(
            Story(
                id=sid,
                article_ids=[a for p in ps for a in p.article_ids],
                events=events,
                title=largest.title,
                entities=[e for e, _ in ents.most_common(20)],
                outlets=outlets,
                first_date=min(firsts) if firsts else None,
                last_date=max(lasts) if lasts else None,
            )
        )
    return out
