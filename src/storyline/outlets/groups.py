"""Outlet groups and blind spots: which groups of outlets (by country, owner, leaning, ... as the user's CSV
says; nothing is built in) covered a story and which did not, and which groups carry each of its claims.

The CSV has a column ``outlet`` and one or more group columns: ``outlet,group`` or named ones such as
``outlet,country,owner,leaning``. An outlet may sit in several groups of one column (one row each); an empty
cell puts it in none. Outlets are matched ignoring case and spacing. :func:`load_groups` keeps the parsed
groups in the store's key-value state (``outlets.groups``, JSON).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..model import ClaimGroup, StoryAnalysis
from .common import OutletConfig, clean_name, outlet_key, story_record
from .common import meta_from_row as _meta

GROUPS_STATE = "outlets.groups"
CLAIM_KINDS: tuple[str, ...] = ("consensus", "unique")


class GroupsError(ValueError):
    """The groups CSV cannot be used (no outlet column, no group column, a malformed row)."""


@dataclass(frozen=True)
class OutletGroups:
    """dimension (a CSV column) -> outlet key -> the outlet's groups in that dimension."""

    dimensions: tuple[str, ...]
    assignments: dict[str, dict[str, tuple[str, ...]]]
    names: dict[str, str] = field(default_factory=dict)  # outlet key -> the outlet as the CSV writes it

    def groups_of(self, outlet: str | None, dimension: str) -> tuple[str, ...]:
        return self.assignments.get(dimension, {}).get(outlet_key(outlet), ())

    def groups(self, dimension: str) -> tuple[str, ...]:
        """Every group of a dimension, sorted."""
        return tuple(sorted({g for gs in self.assignments.get(dimension, {}).values() for g in gs}))

    def outlets_in(self, dimension: str, group: str) -> tuple[str, ...]:
        """The CSV's outlets in a group (as the CSV writes them)."""
        return tuple(
            sorted(self.names.get(k, k) for k, gs in self.assignments.get(dimension, {}).items() if group in gs)
        )

    def unmatched(self, outlets: Iterable[str | None]) -> tuple[str, ...]:
        """The CSV's outlets that are none of these (e.g. the store's): misspelt, or not ingested yet."""
        have = {outlet_key(o) for o in outlets if o}
        return tuple(sorted(name for k, name in self.names.items() if k not in have))

    def to_json(self) -> str:
        return json.dumps(
            {
                "dimensions": list(self.dimensions),
                "names": self.names,
                "assignments": {d: {k: list(g) for k, g in a.items()} for d, a in self.assignments.items()},
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> OutletGroups:
        d = json.loads(text)
        return cls(
            tuple(d["dimensions"]),
            {dim: {k: tuple(g) for k, g in a.items()} for dim, a in d["assignments"].items()},
            dict(d.get("names") or {}),
        )


def parse_groups(csv_text: str) -> OutletGroups:
    """Parse a groups CSV (comma, semicolon or tab separated; a byte-order mark is ignored)."""
    text = csv_text.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise GroupsError("empty CSV: expected a header such as 'outlet,group' or 'outlet,country,owner'")
    head = lines[0]
    delimiter = max(",;\t", key=head.count) if any(c in head for c in ",;\t") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip() for h in next(reader)]
    lowered = [h.casefold() for h in header]
    if "outlet" not in lowered:
        raise GroupsError(f"no 'outlet' column in the header {header!r}")
    col = lowered.index("outlet")
    dims = [(i, h) for i, h in enumerate(header) if i != col and h]
    if not dims:
        raise GroupsError("no group column: expected 'outlet,group' or named columns such as 'outlet,country'")
    if len({h.casefold() for _, h in dims}) != len(dims) or any(h.casefold() == "outlet" for _, h in dims):
        raise GroupsError(f"repeated column names in the header {header!r}")
    assignments: dict[str, dict[str, list[str]]] = {h: {} for _, h in dims}
    names: dict[str, str] = {}
    for line_no, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header) and any(c.strip() for c in row[len(header) :]):
            raise GroupsError(f"line {line_no}: {len(row)} cells for {len(header)} columns")
        name = clean_name(row[col] if col < len(row) else "")
        if name is None:
            raise GroupsError(f"line {line_no}: no outlet")
        key = outlet_key(name)
        names.setdefault(key, name)
        for i, dim in dims:
            group = " ".join(row[i].split()) if i < len(row) else ""
            if group:
                got = assignments[dim].setdefault(key, [])
                if group not in got:
                    got.append(group)
    return OutletGroups(
        tuple(h for _, h in dims), {d: {k: tuple(g) for k, g in a.items()} for d, a in assignments.items()}, names
    )


def load_groups(store: Any, csv_text: str) -> OutletGroups:
    """Parse a groups CSV and keep it in the store (replacing any groups kept before)."""
    groups = parse_groups(csv_text)
    with store.transaction():
        store.put_state(GROUPS_STATE, groups.to_json().encode("utf-8"))
    return groups


def saved_groups(store: Any) -> OutletGroups | None:
    """The groups kept by :func:`load_groups`; None when none were loaded."""
    raw = store.get_state(GROUPS_STATE)
    return OutletGroups.from_json(raw) if raw else None


# ---------------------------------------------------------------------- blind spots


@dataclass(frozen=True)
class GroupCoverage:
    """One dimension of a story's coverage."""

    dimension: str
    covered: dict[str, tuple[str, ...]]  # group -> the story's outlets in it
    missing: tuple[str, ...]  # the dimension's groups with no outlet in the story: its blind spots
    ungrouped: tuple[str, ...]  # the story's outlets the CSV puts in no group of this dimension


@dataclass(frozen=True)
class ClaimCarriers:
    """Which groups carry one claim group of a story's analysis."""

    claim_id: int
    kind: str  # consensus / partial / unique (storyline.model.ClaimGroup)
    label: str
    outlets: tuple[str, ...]
    carried_by: dict[str, tuple[str, ...]]  # dimension -> groups with an outlet reporting the claim
    not_carried_by: dict[str, tuple[str, ...]]  # dimension -> groups that covered the story but not this claim


@dataclass(frozen=True)
class StoryBlindSpots:
    story_id: str
    title: str | None
    outlets: tuple[str, ...]
    dimensions: tuple[GroupCoverage, ...]
    claims: tuple[ClaimCarriers, ...] = ()
    analysed: bool = False  # whether claims come from an analysis (none given and none stored: False)

    def dimension(self, name: str) -> GroupCoverage | None:
        return next((d for d in self.dimensions if d.dimension == name), None)


def _dims(groups: OutletGroups, dimensions: Sequence[str] | None) -> tuple[str, ...]:
    if dimensions is None:
        return groups.dimensions
    unknown = [d for d in dimensions if d not in groups.dimensions]
    if unknown:
        raise GroupsError(f"no such group column: {', '.join(unknown)} (the CSV has {', '.join(groups.dimensions)})")
    return tuple(dimensions)


def group_coverage(
    outlets: Iterable[str], groups: OutletGroups, dimensions: Sequence[str] | None = None
) -> tuple[GroupCoverage, ...]:
    """Covered groups, missing groups and ungrouped outlets of a set of outlets, per dimension (pure)."""
    names = list(dict.fromkeys(outlets))
    out = []
    for dim in _dims(groups, dimensions):
        covered: dict[str, list[str]] = {}
        ungrouped = []
        for o in names:
            gs = groups.groups_of(o, dim)
            if not gs:
                ungrouped.append(o)
            for g in gs:
                covered.setdefault(g, []).append(o)
        missing = tuple(g for g in groups.groups(dim) if g not in covered)
        out.append(GroupCoverage(dim, {g: tuple(covered[g]) for g in sorted(covered)}, missing, tuple(ungrouped)))
    return tuple(out)


def claim_carriers(
    claims: Iterable[ClaimGroup],
    groups: OutletGroups,
    story_outlets: Iterable[str],
    dimensions: Sequence[str] | None = None,
    kinds: Sequence[str] | None = CLAIM_KINDS,
    unknown: str = OutletConfig.unknown,
) -> tuple[ClaimCarriers, ...]:
    """For each claim group (of the given kinds; None: all), the groups whose outlets report it, and those
    that covered the story without reporting it (pure). A copy reporting a claim counts for its outlet."""
    dims = _dims(groups, dimensions)
    story_outlets = list(story_outlets)
    out = []
    for c in claims:
        if kinds is not None and c.kind not in kinds:
            continue
        outlets = tuple(dict.fromkeys(clean_name(cit.outlet) or unknown for cit in c.claims))
        carried, absent = {}, {}
        for dim in dims:
            have = {g for o in outlets for g in groups.groups_of(o, dim)}
            story_groups = {g for o in story_outlets for g in groups.groups_of(o, dim)}
            carried[dim] = tuple(sorted(have))
            absent[dim] = tuple(sorted(story_groups - have))
        out.append(ClaimCarriers(c.id, c.kind, c.label, outlets, carried, absent))
    return tuple(out)


def _require(store: Any, groups: OutletGroups | None) -> OutletGroups:
    groups = groups or saved_groups(store)
    if groups is None:
        raise GroupsError("no outlet groups: load a CSV first (load_groups)")
    return groups


def blind_spots(
    store: Any,
    groups: OutletGroups | None = None,
    story_ids: Iterable[str] | None = None,
    dimensions: Sequence[str] | None = None,
    config: OutletConfig | None = None,
) -> list[StoryBlindSpots]:
    """For every story (or these), the groups that covered it and those that did not, per dimension; most
    recent activity first. ``groups``: default, those kept by :func:`load_groups`. Claims are not read here
    (see :func:`story_blind_spots`)."""
    from .graph import outlet_graph

    groups = _require(store, groups)
    graph = outlet_graph(store, config)
    ids = None if story_ids is None else list(dict.fromkeys(store.resolve_story_id(s) or s for s in story_ids))
    wanted = [s for s in (graph.stories if ids is None else ids) if s in graph.stories]
    briefs = store.story_briefs(limit=max(1, len(wanted)), ids=wanted) if wanted else []
    unk = graph.config.unknown
    out = []
    for b in briefs:
        rec = graph.stories[b["id"]]
        outlets = tuple(graph.names.get(k, unk) for k in rec.outlets)
        out.append(StoryBlindSpots(b["id"], b.get("title"), outlets, group_coverage(outlets, groups, dimensions)))
    return out


def story_blind_spots(
    store: Any,
    story_id: str,
    groups: OutletGroups | None = None,
    analysis: StoryAnalysis | None = None,
    dimensions: Sequence[str] | None = None,
    kinds: Sequence[str] | None = CLAIM_KINDS,
    config: OutletConfig | None = None,
) -> StoryBlindSpots | None:
    """One story's blind spots, with the groups carrying each claim (of ``kinds``; None: all) of its analysis:
    ``analysis`` if given (e.g. ``storyline.analyze.analysis_for(store, id)``, which brings it up to date),
    else the one stored, else none (``analysed`` False). None for no such story."""
    groups = _require(store, groups)
    config = config or OutletConfig()
    story = store.get_story(story_id)
    if story is None:
        return None
    rec = story_record(story.id, [_meta(r) for r in store.article_meta(story.article_ids)])
    outlets = tuple(rec.first_of[k].outlet or config.unknown for k in rec.outlets)
    if analysis is None:
        stored = store.get_analysis(story.id)
        analysis = stored[1] if stored else None
    claims = claim_carriers(analysis.claims, groups, outlets, dimensions, kinds, config.unknown) if analysis else ()
    return StoryBlindSpots(
        story.id, story.title, outlets, group_coverage(outlets, groups, dimensions), claims, analysis is not None
    )
