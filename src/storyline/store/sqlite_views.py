"""The SQLite store's read side for caches and views: revision counters, pages of a story's edges, briefs (a part of :class:`~storyline.store.sqlite.SQLiteStore`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from ..model import (
    ReuseEdge,
)
from .sqlite_schema import _story_filters


class SQLiteViews:
    """Mixed into SQLiteStore: uses its ``_q`` / ``_x`` / ``_db`` / ``transaction``."""

    _q: Any
    _x: Any
    _db: Any
    _lock: Any
    _depth: int
    transaction: Any

    # ------------------------------------------------------------------ read-side revisions (for caches)
    def story_revision(self, story_id: str) -> int | None:
        """The story's change counter (kept by triggers): it grows whenever the story's row, its analysis
        or a reuse edge touching one of its articles is written. None for no such story."""
        rows = self._q(
            "SELECT rev FROM story_rev WHERE story_id=? AND EXISTS (SELECT 1 FROM stories WHERE id=?)",
            (story_id, story_id),
        )
        return int(rows[0][0]) if rows else None

    def edge_mark(self) -> int:
        """Where the stored reuse edges end now, for :meth:`stories_with_edges_since`."""
        return int(self._q("SELECT coalesce(max(rowid), 0) FROM reuse_edges")[0][0])

    def stories_with_edges_since(self, mark: int) -> list[str]:
        """Stories with an article that a reuse edge stored after ``mark`` touches: their revisions moved
        (an edge from a new article in one story to an article of another changes both)."""
        rows = self._q(
            "SELECT sa.story_id FROM reuse_edges e JOIN story_articles sa ON sa.article_id = e.source_id WHERE e.rowid > ?1"
            " UNION SELECT sa.story_id FROM reuse_edges e JOIN story_articles sa ON sa.article_id = e.target_id WHERE e.rowid > ?1",
            (int(mark),),
        )
        return sorted(r[0] for r in rows)

    def stories_revision(self) -> int | None:
        """Grows whenever any story is written or deleted (the story list may have changed)."""
        rows = self._q("SELECT rev FROM story_rev WHERE story_id=''")
        return int(rows[0][0]) if rows else None

    def article_revision(self, article_id: str) -> tuple[Any, ...] | None:
        """Changes when an edge touching the article is stored, or the article moves to another story,
        or its story's title changes: what an article's views show of its story (articles themselves
        never change once stored). Not when other articles join the story: the article's views stay
        cached while its story grows. None for no such article."""
        rows = self._q(
            "SELECT (SELECT count(*) FROM reuse_edges WHERE source_id=?1), (SELECT max(rowid) FROM reuse_edges WHERE source_id=?1),"
            " (SELECT count(*) FROM reuse_edges WHERE target_id=?1), (SELECT max(rowid) FROM reuse_edges WHERE target_id=?1),"
            " sa.story_id, s.title"
            " FROM articles a LEFT JOIN story_articles sa ON sa.article_id=a.id LEFT JOIN stories s ON s.id=sa.story_id"
            " WHERE a.id=?1",
            (article_id,),
        )
        return tuple(rows[0]) if rows else None

    def story_edge_page(
        self, story_id: str, limit: int | None = None, offset: int = 0
    ) -> tuple[int, list[tuple[ReuseEdge, int]]]:
        """Non-independent reuse edges touching the story's articles, strongest first, WITHOUT their
        aligned passages: (total, [(edge with passages=[], number of passages)]). Only the page asked
        for is decoded (a big story has tens of thousands of edges)."""
        members = "SELECT article_id FROM story_articles WHERE story_id=?1"
        base = (
            f"SELECT rowid, source_id, target_id, relation, confidence FROM reuse_edges WHERE source_id IN ({members})"
            f" AND relation != 'independent' UNION ALL"
            f" SELECT rowid, source_id, target_id, relation, confidence FROM reuse_edges WHERE target_id IN ({members})"
            f" AND relation != 'independent' AND source_id NOT IN ({members})"
        )
        total = int(self._q(f"SELECT count(*) FROM ({base})", (story_id,))[0][0])
        rows = self._q(
            f"SELECT e.source_id, e.target_id, e.relation, e.confidence,"
            f" json_extract(e.data, '$.source_coverage'), json_extract(e.data, '$.target_coverage'),"
            f" json_extract(e.data, '$.direction_rule'), json_extract(e.data, '$.direction_confidence'),"
            f" json_array_length(e.data, '$.passages')"
            f" FROM (SELECT rowid AS r FROM ({base}) ORDER BY confidence DESC, source_id, target_id LIMIT ?2 OFFSET ?3) AS p"
            f" JOIN reuse_edges e ON e.rowid = p.r ORDER BY e.confidence DESC, e.source_id, e.target_id",
            (story_id, -1 if limit is None else int(limit), int(offset)),
        )
        out = [
            (
                ReuseEdge(
                    r[0],
                    r[1],
                    r[2],
                    float(r[3]),
                    float(r[4] or 0.0),
                    float(r[5] or 0.0),
                    r[6] or "",
                    float(r[7] or 0.0),
                ),
                int(r[8] or 0),
            )
            for r in rows
        ]
        return total, out

    def edge_json_for(self, article_id: str) -> list[tuple[str, str, str, str]]:
        """:meth:`edges_for` undecoded: (source_id, target_id, relation, JSON text of ``to_dict(edge)``)."""
        rows = self._q(
            "SELECT source_id, target_id, relation, data FROM reuse_edges WHERE source_id=?"
            " UNION ALL SELECT source_id, target_id, relation, data FROM reuse_edges WHERE target_id=?",
            (article_id, article_id),
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def story_title(self, story_id: str) -> tuple[str, str | None] | None:
        """(id, title) of a story without decoding it; None for no such story."""
        rows = self._q("SELECT id, title FROM stories WHERE id=?", (story_id,))
        return (rows[0][0], rows[0][1]) if rows else None

    def story_briefs(self, limit: int = 50, offset: int = 0, **filters: Any) -> list[dict[str, Any]]:
        """:meth:`list_stories` (same order and filters, plus ``ids``: only these stories) without decoding
        each story: dicts with id, title, article_count, event_count, outlets, first_date, last_date (ISO text or None)."""
        where, params = _story_filters(filters)
        if filters.get("ids") is not None:
            where.append("id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(filters["ids"])))
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        rows = self._q(
            "SELECT id, title, article_count, json_array_length(data, '$.events'), outlets, first_date, last_date"
            f" FROM stories {clause} ORDER BY last_seq DESC, id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [
            {
                "id": r[0],
                "title": r[1],
                "article_count": int(r[2]),
                "event_count": int(r[3] or 0),
                "outlets": json.loads(r[4]),
                "first_date": r[5],
                "last_date": r[6],
            }
            for r in rows
        ]

    def latest_article_ids(self, n: int) -> list[str]:
        """Ids of the ``n`` articles stored last, newest first."""
        return [r[0] for r in self._q("SELECT id FROM articles ORDER BY seq DESC LIMIT ?", (int(n),))]

    def article_languages_near(
        self, start: datetime | None, end: datetime | None, limit: int, not_language: str | None = None
    ) -> list[tuple[str, str | None, str | None]]:
        """(id, language, published ISO) of up to ``limit`` articles published between ``start`` and ``end``,
        latest first (by the published index), leaving out those in ``not_language``; without dates, the
        ``limit`` stored last."""
        skip = "" if not_language is None else " AND language IS NOT NULL AND language <> ?"
        extra: tuple[Any, ...] = () if not_language is None else (not_language,)
        if start is None or end is None:
            sql = f"SELECT id, language, published FROM articles WHERE 1{skip} ORDER BY seq DESC LIMIT ?"
            return [(r[0], r[1], r[2]) for r in self._q(sql, (*extra, int(limit)))]
        sql = (
            "SELECT id, language, published FROM articles WHERE published BETWEEN ? AND ?"
            f"{skip} ORDER BY published DESC LIMIT ?"
        )
        rows = self._q(sql, (start.isoformat(), end.isoformat(), *extra, int(limit)))
        return [(r[0], r[1], r[2]) for r in rows]

    def article_outlets(self, ids: Iterable[str]) -> dict[str, str | None]:
        """Outlet of each of these articles (without decoding them)."""
        ids = list(dict.fromkeys(ids))
        out: dict[str, str | None] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            out.update({r[0]: r[1] for r in self._q(f"SELECT id, outlet FROM articles WHERE id IN ({marks})", chunk)})
        return out

    def articles_revision(self) -> int:
        """Grows with every stored article (the highest ingest sequence number)."""
        return int(self._q("SELECT coalesce(max(seq), 0) FROM articles")[0][0])

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one state of the database (a deferred read transaction; WAL keeps writers going).
        Not for writing; nests inside itself and inside :meth:`transaction` (then it does nothing)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN DEFERRED")
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                self._db.execute("COMMIT")

    def edges_among(
        self, article_ids: list[str], limit: int | None = None, light: bool = False
    ) -> tuple[int, list[tuple[ReuseEdge, int]]]:
        """Non-independent edges with BOTH ends among these articles, strongest first, without passages:
        (how many there are, [(edge with passages=[], number of passages)] for the first ``limit``).
        ``light``: only ids, relation and confidence are filled (coverages 0, passages counted as 0),
        read from an index alone."""
        ids = list(dict.fromkeys(article_ids))
        members = set(ids)
        found: list[tuple[float, str, str, int, Any]] = []  # (-confidence, source, target, rowid, relation)
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found += [
                (-float(r[3]), r[1], r[2], r[0], r[4])
                for r in self._q(
                    f"SELECT rowid, source_id, target_id, confidence, relation FROM reuse_edges WHERE source_id IN ({marks})"
                    " AND relation != 'independent'",
                    chunk,
                )
                if r[2] in members
            ]
        found.sort()
        chosen = found if limit is None else found[: max(0, limit)]
        if light:
            return len(found), [(ReuseEdge(f[1], f[2], f[4], -f[0], 0.0, 0.0, "", 0.0), 0) for f in chosen]
        rowids = [f[3] for f in chosen]
        out: list[tuple[ReuseEdge, int]] = []
        for i in range(0, len(rowids), 500):
            part = rowids[i : i + 500]
            marks = ",".join("?" * len(part))
            # one JSON parse per row for the four scalars (json_extract with several paths gives an array)
            for r in self._q(
                "SELECT source_id, target_id, relation, confidence, json_extract(data, '$.source_coverage',"
                " '$.target_coverage', '$.direction_rule', '$.direction_confidence'), json_array_length(data, '$.passages')"
                f" FROM reuse_edges WHERE rowid IN ({marks})",
                part,
            ):
                sc, tc, rule, dc = json.loads(r[4])
                out.append(
                    (
                        ReuseEdge(
                            r[0],
                            r[1],
                            r[2],
                            float(r[3]),
                            float(sc or 0.0),
                            float(tc or 0.0),
                            rule or "",
                            float(dc or 0.0),
                        ),
                        int(r[5] or 0),
                    )
                )
        out.sort(key=lambda x: (-x[0].confidence, x[0].source_id, x[0].target_id))
        return len(found), out

    def story_links(self, story_id: str) -> list[tuple[str, str, str, float]]:
        """(source_id, target_id, relation, confidence) of every non-independent edge with BOTH ends in the
        story: the provenance graph's lines, without decoding any edge's passages. Joined member -> its edges
        as source -> the target's membership (two IN lists on the edge index made SQLite probe every pair of
        members: 0.2 s for a story of 1,000 articles, 3 ms so)."""
        rows = self._q(
            "SELECT e.source_id, e.target_id, e.relation, e.confidence FROM story_articles s"
            " CROSS JOIN reuse_edges e ON e.source_id = s.article_id"
            " CROSS JOIN story_articles t ON t.article_id = e.target_id"
            " WHERE s.story_id = ?1 AND t.story_id = ?1 AND e.relation != 'independent' ORDER BY e.rowid",
            (story_id,),
        )
        return [(r[0], r[1], r[2], float(r[3])) for r in rows]
