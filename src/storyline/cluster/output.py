"""What the clusterer reports: live story ids, old (merged) ids resolved, article -> story labels, and each story
as a :class:`~storyline.model.Story` with its events in date order, titles and key entities."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ..config import ClusterConfig
from ..model import Event, Story
from .features import _from_days
from .vectors import Group


class OutputMixin:
    """:class:`StoryClusterer`'s stories as model records (labelled with its ``LabelsMixin``)."""

    # what this part uses of StoryClusterer (declared for the type checker)
    config: ClusterConfig
    _groups: list[Group]
    by_id: dict[str, Group]
    article_story: dict[str, int]
    aliases: dict[str, str]
    _best_label: Any
    _entities_of: Any

    # -- output --------------------------------------------------------------------------------
    def story_ids(self) -> list[str]:
        return [s.id for s in self._groups if s.alive]

    def resolve(self, story_id: str) -> str | None:
        if story_id in self.by_id:
            return story_id
        return self.aliases.get(story_id)

    def labels(self) -> dict[str, str]:
        """article id -> story id (live ids)."""
        return {aid: self._groups[si].id for aid, si in self.article_story.items()}

    def story(self, story_id: str) -> Story:
        s = self.by_id[self.resolve(story_id) or story_id]
        return self._to_story(s)

    def stories_out(self, ids: Iterable[str] | None = None) -> list[Story]:
        groups = (
            [s for s in self._groups if s.alive] if ids is None else [self.by_id[i] for i in ids if i in self.by_id]
        )
        return [self._to_story(s) for s in groups]

    def stories(self) -> list[Story]:  # noqa: D401 - the agreed API name
        """Every live story as a :class:`Story` (events ordered by date)."""
        return self.stories_out()

    def _to_story(self, s: Group) -> Story:
        k = self.config.label_entities
        evs = sorted(
            s.events,
            key=lambda e: (math.isnan(e.first), 0.0 if math.isnan(e.first) else e.first, e.order),
        )
        for e in evs:
            # an event keeps the title and entities worked out when it last changed: a story saved as it
            # grows re-labels only its changed events (saved with the state, so a split stream agrees)
            if e.out is None:
                e.out = (self._best_label(e), self._entities_of(e, k))
        events = [
            Event(
                id=e.id,
                story_id=s.id,
                article_ids=list(e.article_ids),
                title=e.out[0],  # type: ignore[index]
                start=_from_days(e.first),
                end=_from_days(e.last),
                entities=list(e.out[1]),  # type: ignore[index]
            )
            for e in evs
        ]
        outlets = sorted(s.outlets, key=lambda o: (-s.outlets[o], o))
        return Story(
            id=s.id,
            article_ids=list(s.article_ids),
            events=events,
            title=self._best_label(s),
            entities=self._entities_of(s, k),
            outlets=outlets,
            first_date=_from_days(s.first),
            last_date=_from_days(s.last),
        )
