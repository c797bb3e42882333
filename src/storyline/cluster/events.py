"""Events inside a story: the same placing step at a finer grain (the story's most recent events only, the event
threshold, and a date gap beyond ``event_window_days`` opens a new event)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config import ClusterConfig
from .vectors import Group, _Doc


class EventsMixin:
    """:class:`StoryClusterer`'s events: scored with its ``score``, numbered by its ``n_events``, recorded in its
    ``article_event``."""

    # what this part uses of StoryClusterer (declared for the type checker)
    config: ClusterConfig
    dim: int
    n_events: int
    article_event: dict[str, str]
    event_threshold: Any
    score_many: Any
    _gap_days: Any
    _add_to_group: Any

    # -- events ------------------------------------------------------------------------------------
    def _assign_event(self, story: Group, doc: _Doc, doc_w) -> Group:
        cfg = self.config
        best, best_p = None, -1.0
        # the most recent events only (bounded cost), and none dated further than the window: a new development
        # days later is a new event
        near = [
            ev for ev in story.events[-cfg.event_candidates :] if self._gap_days(doc.day, ev) <= cfg.event_window_days
        ]
        for ev, p in zip(near, self.score_many(doc, near, doc_w), strict=True):
            if p > best_p or (p == best_p and best is not None and ev.order < best.order):
                best, best_p = ev, p
        if best is not None and best_p >= self.event_threshold:
            ev = best
        else:
            self.n_events += 1
            eid = "e-" + doc.id
            ev = Group(eid, self.n_events, self.dim, np.float16)
            story.events.append(ev)
        self._add_to_group(ev, doc, cfg.event_terms, cfg.event_entities, 2)
        self.article_event[doc.id] = ev.id
        return ev
