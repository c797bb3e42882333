"""The SQLite store's light reads for whole-store aggregates (storyline.outlets): columns and indexes only, no article body, no edge passages decoded (a part of :class:`~storyline.store.sqlite.SQLiteStore`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any


class SQLiteAggregates:
    """Mixed into SQLiteStore: uses its ``_q`` / ``_x`` / ``_db`` / ``transaction``."""

    _q: Any
    _x: Any
    _db: Any
    _lock: Any
    transaction: Any
    edge_mark: Any

    # ------------------------------------------------------------------ light reads for whole-store aggregates
    # (storyline.outlets): columns and indexes only; no article body, no edge passages decoded.
    def article_meta_since(self, seq: int = 0) -> list[tuple[int, str, str | None, str | None, str | None]]:
        """(seq, id, outlet, published ISO text or None, date_precision) of the articles stored after ``seq``."""
        rows = self._q(
            "SELECT seq, id, outlet, published, date_precision FROM articles WHERE seq > ? ORDER BY seq", (int(seq),)
        )
        return [tuple(r) for r in rows]

    def article_meta(self, ids: Iterable[str]) -> list[tuple[int, str, str | None, str | None, str | None]]:
        ids = list(dict.fromkeys(ids))
        out: list[tuple[int, str, str | None, str | None, str | None]] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            out += [
                tuple(r)
                for r in self._q(
                    f"SELECT seq, id, outlet, published, date_precision FROM articles WHERE id IN ({marks}) ORDER BY seq",
                    chunk,
                )
            ]
        return out

    def article_texts(self, ids: Iterable[str], containing: str | None = None) -> dict[str, str]:
        """Body text (paragraphs joined as ``Article.text`` joins them) of these articles; with ``containing``,
        only of those whose text contains that word, ignoring case (tested in SQL: the others are not read)."""
        ids = list(dict.fromkeys(ids))
        where, extra = "", []
        if containing and containing.isascii() and not any(c in containing for c in '"\\') and containing.isprintable():
            # LIKE ignores ASCII case; the paragraphs are JSON text, where these characters are written as is
            where = " AND paragraphs LIKE ? ESCAPE '\\'"
            extra = ["%" + containing.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"]
        out: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for aid, paras in self._q(
                f"SELECT id, paragraphs FROM articles WHERE id IN ({marks}){where}", [*chunk, *extra]
            ):
                text = "\n\n".join(json.loads(paras))
                if not extra and containing and containing.casefold() not in text.casefold():
                    continue
                out[aid] = text
        return out

    def edges_revision(self) -> int:
        """Where the stored reuse edges end (an edge stored again gets a new row): see :meth:`edge_rows_since`."""
        return self.edge_mark()

    def edge_rows_since(self, mark: Any = None) -> tuple[int, list[tuple[str, str, str, float, float, float, str]]]:
        """(new mark, [(source_id, target_id, relation, confidence, source_coverage, target_coverage,
        direction_rule)]) of the edge rows written after ``mark`` (an edge stored again is a new row), in the
        order written. The scalars are read from the part of the edge's JSON before its passages (the last
        field as ``to_dict`` writes it; the whole text when that part is not a whole object with them);
        independent edges' data is not read."""
        head = (
            "CASE WHEN instr(data, ', \"passages\": ') > 0"
            " THEN substr(data, 1, instr(data, ', \"passages\": ') - 1) || '}' END"
        )
        rows = self._q(
            "SELECT r, source_id, target_id, relation, confidence, CASE WHEN relation = 'independent' THEN NULL"
            " WHEN json_valid(h) AND json_type(h, '$.direction_rule') IS NOT NULL"
            " THEN json_array(json_extract(h, '$.source_coverage'), json_extract(h, '$.target_coverage'),"
            " json_extract(h, '$.direction_rule'))"
            " ELSE json_extract(data, '$.source_coverage', '$.target_coverage', '$.direction_rule') END"
            f" FROM (SELECT rowid AS r, source_id, target_id, relation, confidence, data, {head} AS h"
            " FROM reuse_edges WHERE rowid > ?) ORDER BY r",
            (int(mark or 0),),
        )
        out = []
        for r in rows:
            sc, tc, rule = json.loads(r[5]) if r[5] else (0.0, 0.0, "")
            out.append((r[1], r[2], r[3], float(r[4]), float(sc or 0.0), float(tc or 0.0), rule or ""))
        return (int(rows[-1][0]) if rows else int(mark or 0)), out

    def story_revisions(self) -> dict[str, int]:
        """Story id -> its change counter (see :meth:`story_revision`), for every live story."""
        return {
            r[0]: int(r[1])
            for r in self._q("SELECT r.story_id, r.rev FROM story_rev r JOIN stories s ON s.id = r.story_id")
        }

    def story_members(self, story_ids: Iterable[str] | None = None) -> dict[str, list[str]]:
        """Story id -> its article ids (from the membership table), for these stories (None: all)."""
        if story_ids is None:
            rows = self._q("SELECT story_id, article_id FROM story_articles")
        else:
            rows = self._q(
                "SELECT story_id, article_id FROM story_articles WHERE story_id IN (SELECT value FROM json_each(?))",
                (json.dumps(list(story_ids)),),
            )
        out: dict[str, list[str]] = {}
        for sid, aid in rows:
            out.setdefault(sid, []).append(aid)
        return out
