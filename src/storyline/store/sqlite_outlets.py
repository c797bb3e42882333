"""The SQLite store's outlet table and URL look-ups (a part of :class:`~storyline.store.sqlite.SQLiteStore`).

Tables (schema version 4): ``outlets`` (id, name, language, country, created_at, updated_at) and
``outlet_domains`` (domain -> outlet id; a domain belongs to one outlet). Every query is parameterised.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from ..model import Outlet

# 3 -> 4: articles get the language detector's probability, where their outlet name came from and the
# notes of stages that skipped them; their canonical URL is indexed (the same page fetched twice is found
# by it); the outlet table.
MIGRATION_OUTLETS = """
ALTER TABLE articles ADD COLUMN language_score REAL;
ALTER TABLE articles ADD COLUMN outlet_from TEXT;
ALTER TABLE articles ADD COLUMN notes TEXT;
CREATE INDEX articles_url ON articles(url);
CREATE TABLE outlets (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, language TEXT, country TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE outlet_domains (
    domain TEXT PRIMARY KEY, outlet_id INTEGER NOT NULL REFERENCES outlets(id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX outlet_domains_outlet ON outlet_domains(outlet_id)
"""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class SQLiteOutlets:
    """Mixed into SQLiteStore: uses its ``_q`` / ``_x`` / ``transaction``."""

    _q: Any
    _x: Any
    transaction: Any

    def _outlets_where(self, clause: str, params: Iterable[Any]) -> list[Outlet]:
        rows = self._q(
            "SELECT o.id, o.name, o.language, o.country,"
            " (SELECT json_group_array(domain) FROM (SELECT domain FROM outlet_domains WHERE outlet_id = o.id"
            " ORDER BY domain)) FROM outlets o " + clause + " ORDER BY o.name COLLATE NOCASE, o.id",
            params,
        )
        return [Outlet(name=r[1], domains=json.loads(r[4]), language=r[2], country=r[3], id=int(r[0])) for r in rows]

    def list_outlets(self) -> list[Outlet]:
        return self._outlets_where("", ())

    def outlets_for_domains(self, domains: Iterable[str]) -> dict[str, Outlet]:
        wanted = sorted(set(domains))
        if not wanted:
            return {}
        rows = self._q(
            "SELECT domain, outlet_id FROM outlet_domains WHERE domain IN (SELECT value FROM json_each(?))",
            (json.dumps(wanted),),
        )
        ids = sorted({int(r[1]) for r in rows})
        by_id = {
            o.id: o for o in self._outlets_where("WHERE o.id IN (SELECT value FROM json_each(?))", (json.dumps(ids),))
        }
        return {r[0]: by_id[int(r[1])] for r in rows if int(r[1]) in by_id}

    def add_outlet(self, outlet: Outlet) -> Outlet:
        """A new row with the outlet's domains (domains that already belong to a row stay there)."""
        with self.transaction():
            now = _now()
            cur = self._x(
                "INSERT INTO outlets(name, language, country, created_at, updated_at) VALUES (?,?,?,?,?)",
                (outlet.name, outlet.language, outlet.country, now, now),
            )
            oid = int(cur.lastrowid)
            for d in outlet.domains:
                self._x("INSERT OR IGNORE INTO outlet_domains(domain, outlet_id) VALUES (?, ?)", (d, oid))
        return self._outlets_where("WHERE o.id = ?", (oid,))[0]

    def update_outlet(self, domain: str, changes: dict[str, Any]) -> Outlet:
        """Edit the row of ``domain`` (made, named after the domain, when there is none): name, language,
        country, and domains (the row's whole list: domains named there move to it from other rows, rows left
        with no domain are deleted)."""
        with self.transaction():
            rows = self._q("SELECT outlet_id FROM outlet_domains WHERE domain = ?", (domain,))
            if rows:
                oid = int(rows[0][0])
            else:
                now = _now()
                oid = int(
                    self._x(
                        "INSERT INTO outlets(name, created_at, updated_at) VALUES (?,?,?)", (domain, now, now)
                    ).lastrowid
                )
                self._x("INSERT INTO outlet_domains(domain, outlet_id) VALUES (?, ?)", (domain, oid))
            for key in ("name", "language", "country"):  # column names are these constants, never input
                if key in changes:
                    self._x(f"UPDATE outlets SET {key} = ? WHERE id = ?", (changes[key], oid))
            if "domains" in changes:
                keep = list(changes["domains"])
                self._x(
                    "DELETE FROM outlet_domains WHERE outlet_id = ? AND domain NOT IN (SELECT value FROM json_each(?))",
                    (oid, json.dumps(keep)),
                )
                for d in keep:
                    self._x(
                        "INSERT INTO outlet_domains(domain, outlet_id) VALUES (?, ?)"
                        " ON CONFLICT(domain) DO UPDATE SET outlet_id = excluded.outlet_id",
                        (d, oid),
                    )
                self._x(
                    "DELETE FROM outlets WHERE id != ? AND id NOT IN (SELECT outlet_id FROM outlet_domains)", (oid,)
                )
            self._x("UPDATE outlets SET updated_at = ? WHERE id = ?", (_now(), oid))
        return self._outlets_where("WHERE o.id = ?", (oid,))[0]

    def article_ids_by_url(self, urls: Iterable[str]) -> dict[str, str]:
        """url -> id of the first stored article with that (canonical) URL."""
        wanted = sorted({u for u in urls if u})
        if not wanted:
            return {}
        rows = self._q(
            "SELECT url, id FROM articles WHERE url IN (SELECT value FROM json_each(?)) ORDER BY seq DESC",
            (json.dumps(wanted),),
        )
        return {r[0]: r[1] for r in rows}  # the first stored wins (rows come newest first)

    def article_outlet_names(self) -> list[str]:
        # the articles_outlet index answers it without reading a row
        return [
            r[0]
            for r in self._q(
                "SELECT DISTINCT outlet FROM articles WHERE outlet IS NOT NULL AND outlet != '' ORDER BY outlet", ()
            )
        ]

    def count_articles_by_outlet(self, names: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(names))
        if not wanted:
            return {}
        rows = self._q(
            "SELECT outlet, count(*) FROM articles WHERE outlet IN (SELECT value FROM json_each(?)) GROUP BY outlet",
            (json.dumps(wanted),),
        )
        return {r[0]: int(r[1]) for r in rows}
