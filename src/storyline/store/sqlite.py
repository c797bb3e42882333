"""SQLite implementation of :class:`Store`: one file, WAL mode, versioned schema.

The store is one class assembled from parts, one file each: this file (connection, transactions, articles,
stories, state, analyses), ``sqlite_schema`` (migrations and key encodings), ``sqlite_index`` (signatures,
LSH keys, embeddings, reuse edges), ``sqlite_views`` (revision counters and pages for the readers' caches),
``sqlite_aggregates`` (light whole-store reads) and ``sqlite_outlets`` (the outlet table).

Every query is parameterised. Writes happen inside :meth:`SQLiteStore.transaction`
(or autocommit one statement at a time outside it), so a killed process leaves
only whole transactions behind.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..config import Config
from ..model import (
    Article,
    Story,
    StoryAnalysis,
    analysis_from_dict,
    article_from_dict,
    story_from_dict,
    to_dict,
)
from .base import Store
from .sqlite_aggregates import SQLiteAggregates
from .sqlite_index import SQLiteCopyIndex
from .sqlite_outlets import SQLiteOutlets
from .sqlite_schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    StoreError,
    _dt,
    _now,
    _statements,
    _story_filters,
    article_key,
    bucket_int,
)
from .sqlite_views import SQLiteViews


class SQLiteStore(SQLiteOutlets, SQLiteCopyIndex, SQLiteViews, SQLiteAggregates, Store):
    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        if self.path.exists() and self.path.is_dir():
            raise StoreError(f"{self.path}: is a folder, not a database file")
        if str(self.path) != ":memory:" and self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA cache_size=-65536")  # 64 MB of pages: the LSH key B-tree stays hot
            self._db.execute("PRAGMA mmap_size=2147418112")  # read pages through the OS cache (no copies)
            self._db.create_function("storyline_bucket", 1, bucket_int, deterministic=True)
            self._db.create_function("storyline_article", 1, article_key, deterministic=True)
            self._lock = threading.RLock()
            self._depth = 0
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a Storyline database ({exc})") from exc

    # ------------------------------------------------------------------ lifecycle
    def _version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self._version()
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: schema version {version} is newer than this Storyline ({SCHEMA_VERSION}); upgrade Storyline"
            )
        if version == 0:
            tables = self._db.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
            if tables:
                raise StoreError(f"{self.path}: an SQLite database, but not a Storyline store")
        for step in range(version, SCHEMA_VERSION):
            with self.transaction():
                for stmt in _statements(MIGRATIONS[step]):
                    self._db.execute(stmt)
                self._db.execute(f"PRAGMA user_version={step + 1}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                raise
            else:
                self._depth -= 1
                if outer:
                    self._db.execute("COMMIT")

    def _q(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    def _x(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, tuple(params))

    # ------------------------------------------------------------------ settings
    def load_config(self) -> Config | None:
        rows = self._q("SELECT value FROM meta WHERE key='config'")
        return Config.from_json(rows[0][0]) if rows else None

    def save_config(self, config: Config) -> None:
        self._x("INSERT OR REPLACE INTO meta(key, value) VALUES ('config', ?)", (config.to_json(),))

    # ------------------------------------------------------------------ articles
    _ART_COLS = (
        "seq, id, source, url, title, outlet, author, dateline, published, date_precision, language,"
        " paragraphs, removed, ingested_at, language_score, outlet_from, notes"
    )

    def _row_to_article(self, r: Any) -> Article:  # a row of _ARTICLE_COLS (sqlite3.Row or tuple)
        d = dict(zip([c.strip() for c in self._ART_COLS.split(",")], r, strict=True))
        d["paragraphs"] = json.loads(d["paragraphs"])
        d["removed"] = json.loads(d["removed"])
        d["notes"] = json.loads(d["notes"]) if d["notes"] else []
        return article_from_dict(d)

    def has_article(self, article_id: str) -> bool:
        return bool(self._q("SELECT 1 FROM articles WHERE id=?", (article_id,)))

    def put_article(self, article: Article) -> bool:
        ingested = article.ingested_at or datetime.now(timezone.utc)
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO articles(id, source, url, title, outlet, author, dateline, published, date_precision,"
                " language, paragraphs, removed, ingested_at, language_score, outlet_from, notes)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    article.id,
                    article.source,
                    article.url,
                    article.title,
                    article.outlet,
                    article.author,
                    article.dateline,
                    _dt(article.published),
                    article.date_precision,
                    article.language,
                    json.dumps(article.paragraphs, ensure_ascii=False),
                    json.dumps(
                        [{"text": r.text, "reason": r.reason, "position": r.position} for r in article.removed],
                        ensure_ascii=False,
                    ),
                    _dt(ingested),
                    article.language_score,
                    article.outlet_from,
                    json.dumps(article.notes, ensure_ascii=False) if article.notes else None,
                ),
            )
            if cur.rowcount == 0:
                return False
            article.seq = cur.lastrowid
            article.ingested_at = ingested
            return True

    def get_article(self, article_id: str) -> Article | None:
        rows = self._q(f"SELECT {self._ART_COLS} FROM articles WHERE id=?", (article_id,))
        if not rows and len(article_id) >= 6:
            rows = self._q(
                f"SELECT {self._ART_COLS} FROM articles WHERE id >= ? AND id < ? LIMIT 2",
                (article_id, article_id + "\uffff"),
            )
            if len(rows) != 1:
                return None
        return self._row_to_article(rows[0]) if rows else None

    def get_articles(self, ids: Iterable[str]) -> list[Article]:
        ids = list(dict.fromkeys(ids))
        out: dict[str, Article] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for r in self._q(f"SELECT {self._ART_COLS} FROM articles WHERE id IN ({marks})", chunk):
                a = self._row_to_article(r)
                out[a.id] = a
        return [out[i] for i in ids if i in out]

    def iter_articles(self, batch: int = 500) -> Iterator[Article]:
        last = 0
        while True:
            rows = self._q(f"SELECT {self._ART_COLS} FROM articles WHERE seq > ? ORDER BY seq LIMIT ?", (last, batch))
            if not rows:
                return
            for r in rows:
                yield self._row_to_article(r)
            last = rows[-1][0]

    def list_articles(
        self, limit: int = 50, offset: int = 0, outlet: str | None = None, q: str | None = None
    ) -> list[Article]:
        where, params = [], []
        if outlet:
            where.append("outlet = ?")
            params.append(outlet)
        if q:
            where.append("(title LIKE ? ESCAPE '\\' OR paragraphs LIKE ? ESCAPE '\\')")
            like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params += [like, like]
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        rows = self._q(
            f"SELECT {self._ART_COLS} FROM articles {clause} ORDER BY seq LIMIT ? OFFSET ?", [*params, limit, offset]
        )
        return [self._row_to_article(r) for r in rows]

    def count_articles(self) -> int:
        return int(self._q("SELECT count(*) FROM articles")[0][0])

    # ------------------------------------------------------------------ stories
    def save_story(self, story: Story) -> None:
        """Write a story and its membership. A story saved again as it grows writes only the membership
        rows that changed (new articles, articles moved to another event), not all of them."""
        data = json.dumps(to_dict(story), ensure_ascii=False)
        event_of = {aid: ev.id for ev in story.events for aid in ev.article_ids}
        with self.transaction():
            old: dict[str, Any] = {
                r[0]: r[1]
                for r in self._q("SELECT article_id, event_id FROM story_articles WHERE story_id=?", (story.id,))
            }
            prev = self._q("SELECT last_seq FROM stories WHERE id=?", (story.id,))
            want = {aid: event_of.get(aid) for aid in story.article_ids}
            gone = [aid for aid in old if aid not in want]
            added = [aid for aid in want if aid not in old]
            changed = [(aid, story.id, ev) for aid, ev in want.items() if aid not in old or old[aid] != ev]
            # most recent activity: the newest article's ingest number (only the added ones are looked up
            # unless some left the story)
            look = list(want) if gone or not prev else added
            last_seq = prev[0][0] if prev and not gone else None
            for i in range(0, len(look), 500):
                part = look[i : i + 500]
                row = self._q(f"SELECT max(seq) FROM articles WHERE id IN ({','.join('?' * len(part))})", part)
                if row and row[0][0] is not None and (last_seq is None or row[0][0] > last_seq):
                    last_seq = row[0][0]
            self._db.execute(
                "INSERT OR REPLACE INTO stories(id, title, article_count, first_date, last_date, last_seq, outlets, data, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    story.id,
                    story.title,
                    len(story.article_ids),
                    _dt(story.first_date),
                    _dt(story.last_date),
                    last_seq,
                    json.dumps(story.outlets, ensure_ascii=False),
                    data,
                    _now(),
                ),
            )
            if gone:
                self._db.executemany(
                    "DELETE FROM story_articles WHERE story_id=? AND article_id=?", [(story.id, aid) for aid in gone]
                )
            if changed:
                self._db.executemany(
                    "INSERT OR REPLACE INTO story_articles(article_id, story_id, event_id) VALUES (?,?,?)", changed
                )

    def _get_story_exact(self, story_id: str) -> Story | None:
        rows = self._q("SELECT data FROM stories WHERE id=?", (story_id,))
        return story_from_dict(json.loads(rows[0][0])) if rows else None

    def resolve_story_id(self, story_id: str) -> str | None:
        seen = set()
        current = story_id
        while current not in seen:
            seen.add(current)
            if self._q("SELECT 1 FROM stories WHERE id=?", (current,)):
                return current
            alias = self._q("SELECT new_id FROM story_aliases WHERE old_id=?", (current,))
            if not alias:
                break
            current = alias[0][0]
        if len(story_id) >= 6:
            rows = self._q("SELECT id FROM stories WHERE id >= ? AND id < ? LIMIT 2", (story_id, story_id + "\uffff"))
            if len(rows) == 1:
                return rows[0][0]
        return None

    def get_story(self, story_id: str) -> Story | None:
        resolved = self.resolve_story_id(story_id)
        return self._get_story_exact(resolved) if resolved else None

    def list_stories(self, limit: int = 50, offset: int = 0, **filters: Any) -> list[Story]:
        """Newest activity first. Filters: outlet, q (title text), date_from, date_to (ISO dates)."""
        where, params = _story_filters(filters)
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        rows = self._q(
            f"SELECT data FROM stories {clause} ORDER BY last_seq DESC, id LIMIT ? OFFSET ?", [*params, limit, offset]
        )
        return [story_from_dict(json.loads(r[0])) for r in rows]

    def count_stories(self) -> int:
        return int(self._q("SELECT count(*) FROM stories")[0][0])

    def story_of(self, article_id: str) -> str | None:
        rows = self._q("SELECT story_id FROM story_articles WHERE article_id=?", (article_id,))
        return rows[0][0] if rows else None

    def record_merge(self, old_id: str, new_id: str) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO story_aliases(old_id, new_id, merged_at) VALUES (?,?,?)",
                (old_id, new_id, _now()),
            )
            self._db.execute("DELETE FROM stories WHERE id=?", (old_id,))
            self._db.execute("DELETE FROM analyses WHERE story_id=?", (old_id,))

    def delete_stories(self) -> None:
        with self.transaction():
            for table in ("stories", "story_articles", "story_aliases", "analyses"):
                self._db.execute(f"DELETE FROM {table}")  # table names are constants above, not input
            self._db.execute("DELETE FROM embeddings WHERE kind IN ('story', 'event')")

    # ------------------------------------------------------------------ state
    def put_state(self, key: str, value: bytes) -> None:
        self._x("INSERT OR REPLACE INTO state(key, value) VALUES (?, ?)", (key, value))

    def get_state(self, key: str) -> bytes | None:
        rows = self._q("SELECT value FROM state WHERE key=?", (key,))
        return bytes(rows[0][0]) if rows else None

    # ------------------------------------------------------------------ analyses
    def put_analysis(self, story_id: str, version: str, analysis: StoryAnalysis) -> None:
        self._x(
            "INSERT OR REPLACE INTO analyses(story_id, version, data) VALUES (?,?,?)",
            (story_id, version, json.dumps(to_dict(analysis), ensure_ascii=False)),
        )

    def get_analysis(self, story_id: str) -> tuple[str, StoryAnalysis] | None:
        rows = self._q("SELECT version, data FROM analyses WHERE story_id=?", (story_id,))
        if not rows:
            return None
        return rows[0][0], analysis_from_dict(json.loads(rows[0][1]))
