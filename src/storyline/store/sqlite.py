"""SQLite implementation of :class:`Store`: one file, WAL mode, versioned schema.

Every query is parameterised. Writes happen inside :meth:`SQLiteStore.transaction`
(or autocommit one statement at a time outside it), so a killed process leaves
only whole transactions behind.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Config
from ..model import (
    Article,
    ReuseEdge,
    Story,
    StoryAnalysis,
    analysis_from_dict,
    article_from_dict,
    reuse_edge_from_dict,
    story_from_dict,
    to_dict,
)
from .base import Store
from .sqlite_outlets import MIGRATION_OUTLETS, SQLiteOutlets


class StoreError(RuntimeError):
    """The database cannot be opened or is not a Storyline store."""


# Each entry migrates from version i to i+1. Never edit a released step: append a new one.
MIGRATIONS: list[str] = [
    # 0 -> 1: the initial schema
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE articles (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL,
        url TEXT,
        title TEXT,
        outlet TEXT,
        author TEXT,
        dateline TEXT,
        published TEXT,
        date_precision TEXT,
        language TEXT,
        paragraphs TEXT NOT NULL,
        removed TEXT NOT NULL,
        ingested_at TEXT NOT NULL
    );
    CREATE INDEX articles_outlet ON articles(outlet);
    CREATE INDEX articles_published ON articles(published);
    CREATE TABLE minhash (article_id TEXT PRIMARY KEY, signature BLOB NOT NULL);
    CREATE TABLE lsh_bands (bucket BLOB NOT NULL, article_id TEXT NOT NULL);
    CREATE INDEX lsh_bands_bucket ON lsh_bands(bucket);
    CREATE TABLE embeddings (
        kind TEXT NOT NULL, key TEXT NOT NULL, dim INTEGER NOT NULL, vector BLOB NOT NULL,
        PRIMARY KEY (kind, key)
    );
    CREATE TABLE reuse_edges (
        source_id TEXT NOT NULL, target_id TEXT NOT NULL, relation TEXT NOT NULL,
        confidence REAL NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (source_id, target_id)
    );
    CREATE INDEX reuse_edges_target ON reuse_edges(target_id);
    CREATE TABLE stories (
        id TEXT PRIMARY KEY, title TEXT, article_count INTEGER NOT NULL,
        first_date TEXT, last_date TEXT, last_seq INTEGER, outlets TEXT NOT NULL,
        data TEXT NOT NULL, updated_at TEXT NOT NULL
    );
    CREATE INDEX stories_last_seq ON stories(last_seq);
    CREATE TABLE story_articles (
        article_id TEXT PRIMARY KEY, story_id TEXT NOT NULL, event_id TEXT
    );
    CREATE INDEX story_articles_story ON story_articles(story_id);
    CREATE TABLE story_aliases (old_id TEXT PRIMARY KEY, new_id TEXT NOT NULL, merged_at TEXT NOT NULL);
    CREATE TABLE state (key TEXT PRIMARY KEY, value BLOB NOT NULL);
    CREATE TABLE analyses (story_id TEXT PRIMARY KEY, version TEXT NOT NULL, data TEXT NOT NULL);
    """,
    # 1 -> 2: LSH / sentence keys as 64-bit integers in one clustered B-tree (no rowid, no second index):
    # about half the pages touched per insert and per lookup. Old BLOB keys are converted with
    # bucket_int() (registered on the connection as storyline_bucket), so existing stores keep matching.
    # Article ids of 16 hex digits (all of Storyline's) are kept as 64-bit integers too (article_key()).
    """
    CREATE TABLE lsh_keys (
        bucket INTEGER NOT NULL, article_id NOT NULL, PRIMARY KEY (bucket, article_id)
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO lsh_keys(bucket, article_id)
        SELECT storyline_bucket(bucket), storyline_article(article_id) FROM lsh_bands;
    DROP TABLE lsh_bands;
    ALTER TABLE lsh_keys RENAME TO lsh_bands;
    """,
]


def _statements(script: str) -> list[str]:
    """A migration step's SQL statements, whole: split at the ';' that end a complete statement
    (``sqlite3.complete_statement``), so a trigger body's own ';' stay inside it."""
    out, cur = [], ""
    for piece in script.split(";"):
        cur += piece + ";"
        if sqlite3.complete_statement(cur):
            if cur.strip(" \n\t;"):
                out.append(cur.strip())
            cur = ""
    if cur.strip(" \n\t;"):
        out.append(cur.strip())
    return out


# 2 -> 3: revision counters that readers (the HTTP server's caches) compare to know whether what they
# computed from a story is still current. Kept by triggers, so every writer (pipeline, CLI, watch, Spark
# load) keeps them right without knowing about them: a story's counter goes up when its row is written or
# deleted, when its analysis is stored and when a reuse edge touching one of its articles is stored; the
# row with story_id '' counts changes to the story list (rows written or deleted). The index covers the
# edge columns a reuse graph needs, so drawing one never reads the edges' passages (about 3 KB a row).
# Cost on the write path (CPU, measured on 10,000 stored edges, 20 a transaction): 18 -> 32 us per edge
# stored (index 8.5 us, trigger 5 us), i.e. ~0.26 ms per ingested article with ~19 edges.
MIGRATIONS.append("""
CREATE TABLE story_rev (story_id TEXT PRIMARY KEY, rev INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO story_rev(story_id, rev) SELECT id, 1 FROM stories;
INSERT INTO story_rev(story_id, rev) VALUES ('', 1);
CREATE TRIGGER story_rev_story_written AFTER INSERT ON stories BEGIN
    INSERT INTO story_rev(story_id, rev) VALUES (NEW.id, 1) ON CONFLICT(story_id) DO UPDATE SET rev = rev + 1;
    UPDATE story_rev SET rev = rev + 1 WHERE story_id = '';
END;
CREATE TRIGGER story_rev_story_deleted AFTER DELETE ON stories BEGIN
    UPDATE story_rev SET rev = rev + 1 WHERE story_id IN (OLD.id, '');
END;
CREATE TRIGGER story_rev_analysis AFTER INSERT ON analyses BEGIN
    UPDATE story_rev SET rev = rev + 1 WHERE story_id = NEW.story_id;
END;
CREATE TRIGGER story_rev_edge AFTER INSERT ON reuse_edges BEGIN
    UPDATE story_rev SET rev = rev + 1 WHERE story_id = (SELECT story_id FROM story_articles WHERE article_id = NEW.source_id);
    UPDATE story_rev SET rev = rev + 1 WHERE story_id = (SELECT story_id FROM story_articles WHERE article_id = NEW.target_id);
END;
CREATE INDEX reuse_edges_light ON reuse_edges(source_id, target_id, relation, confidence)
""")
# 3 -> 4: the outlet table, the article URL index and three article columns (store/sqlite_outlets.py)
MIGRATIONS.append(MIGRATION_OUTLETS)
SCHEMA_VERSION = len(MIGRATIONS)


def _story_filters(filters: dict[str, Any]) -> tuple[list[str], list[Any]]:
    """WHERE terms and parameters of the story list filters (outlet, q, date_from, date_to)."""
    where, params = [], []
    if filters.get("outlet"):
        where.append("outlets LIKE ? ESCAPE '\\'")
        params.append('%"' + str(filters["outlet"]).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + '"%')
    if filters.get("q"):
        where.append("(title LIKE ? ESCAPE '\\' OR data LIKE ? ESCAPE '\\')")
        like = "%" + str(filters["q"]).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        params += [like, like]
    if filters.get("date_from"):
        where.append("(last_date IS NULL OR last_date >= ?)")
        params.append(str(filters["date_from"]))
    if filters.get("date_to"):
        where.append("(first_date IS NULL OR first_date <= ?)")
        params.append(str(filters["date_to"]) + "T99")
    return where, params


_TOP = 1 << 63


def bucket_int(key: bytes) -> int:
    """The signed 64-bit integer the store keeps for an LSH / sentence key. Keys of 9 bytes (a tag byte
    and an 8-byte digest, as ``ReuseDetector`` makes them) map without rehashing; others are hashed."""
    key = bytes(key)
    if len(key) == 9:
        v = int.from_bytes(key[1:], "big") ^ (key[0] << 56)
    else:
        v = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")
    return v - (1 << 64) if v >= _TOP else v


_HEX16 = re.compile(r"[0-9a-f]{16}")


def article_key(article_id: str) -> int | str:
    """How ``lsh_bands`` keeps an article id: 16 lowercase hex digits as a signed 64-bit integer (half
    the bytes per row), any other id as text."""
    if len(article_id) == 16 and _HEX16.fullmatch(article_id):
        v = int(article_id, 16)
        return v - (1 << 64) if v >= _TOP else v
    return article_id


def article_of_key(key: int | str) -> str:
    return format(key & 0xFFFFFFFFFFFFFFFF, "016x") if isinstance(key, int) else key


def bucket_ints(keys: list[bytes]) -> list[int]:
    """:func:`bucket_int` of many keys (vectorised when they are all 9-byte keys)."""
    if keys and set(map(len, keys)) == {9}:
        a = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(-1, 9)
        v = np.ascontiguousarray(a[:, 1:]).view(">u8").ravel().astype(np.uint64)
        v ^= a[:, 0].astype(np.uint64) << np.uint64(56)
        return v.view(np.int64).tolist()
    return [bucket_int(k) for k in keys]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _dt(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class SQLiteStore(SQLiteOutlets, Store):
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

    def __enter__(self) -> "SQLiteStore":
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
    _ART_COLS = ("seq, id, source, url, title, outlet, author, dateline, published, date_precision, language,"
                 " paragraphs, removed, ingested_at, language_score, outlet_from, notes")

    def _row_to_article(self, r: tuple[Any, ...]) -> Article:
        d = dict(zip([c.strip() for c in self._ART_COLS.split(",")], r))
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
                    article.id, article.source, article.url, article.title, article.outlet, article.author,
                    article.dateline, _dt(article.published), article.date_precision, article.language,
                    json.dumps(article.paragraphs, ensure_ascii=False),
                    json.dumps([{"text": r.text, "reason": r.reason, "position": r.position} for r in article.removed], ensure_ascii=False), _dt(ingested),
                    article.language_score, article.outlet_from,
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

    def list_articles(self, limit: int = 50, offset: int = 0, outlet: str | None = None, q: str | None = None) -> list[Article]:
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

    # ------------------------------------------------------------------ copy detection
    def put_minhash(self, article_id: str, signature: np.ndarray, band_keys: list[bytes]) -> None:
        self.put_minhashes([(article_id, signature, band_keys)])

    def get_minhashes(self, ids: Iterable[str]) -> dict[str, np.ndarray]:
        ids = list(ids)
        out: dict[str, np.ndarray] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for aid, blob in self._q(f"SELECT article_id, signature FROM minhash WHERE article_id IN ({marks})", chunk):
                out[aid] = np.frombuffer(blob, dtype=np.uint64)
        return out

    def query_bands(self, band_keys: list[bytes]) -> list[str]:
        return list(dict.fromkeys(aid for _, aid in self._lookup_bands(band_keys)))

    def lookup_bands(self, band_keys: list[bytes]) -> list[tuple[bytes, str]]:
        """(bucket, article_id) for every stored article in these buckets (one query for a whole chunk)."""
        return self._lookup_bands(band_keys)

    def _lookup_bands(self, band_keys: list[bytes]) -> list[tuple[bytes, str]]:
        keys = list(dict.fromkeys(band_keys))
        back = dict(zip(bucket_ints(keys), keys))
        if not back:
            return []
        rows = self._q(
            "SELECT bucket, article_id FROM lsh_bands WHERE bucket IN (SELECT value FROM json_each(?))",
            (json.dumps(list(back)),),
        )
        return [(back[b], article_of_key(aid)) for b, aid in rows]

    def put_minhashes(self, items: list[tuple[str, np.ndarray, list[bytes]]]) -> None:
        """Signatures and their LSH / sentence keys for many articles (one statement each, keys sorted
        so the inserts walk the key B-tree in order)."""
        flat = [k for _, _, keys in items for k in keys]
        owners = [o for aid, _, keys in items for o in itertools.repeat(article_key(aid), len(keys))]
        buckets = np.asarray(bucket_ints(flat), dtype=np.int64)
        order = np.argsort(buckets, kind="stable").tolist()
        ints = buckets.tolist()
        rows = [(ints[i], owners[i]) for i in order]
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO minhash(article_id, signature) VALUES (?, ?)",
                [(aid, np.asarray(sig, dtype=np.uint64).tobytes()) for aid, sig, _ in items],
            )
            self._db.executemany("INSERT OR IGNORE INTO lsh_bands(bucket, article_id) VALUES (?, ?)", rows)

    def put_embedding(self, kind: str, key: str, vector: np.ndarray) -> None:
        v = np.asarray(vector, dtype=np.float32)
        self._x(
            "INSERT OR REPLACE INTO embeddings(kind, key, dim, vector) VALUES (?,?,?,?)", (kind, key, v.shape[-1], v.tobytes())
        )

    def get_embeddings(self, kind: str, keys: Iterable[str] | None = None) -> tuple[list[str], np.ndarray]:
        if keys is None:
            rows = self._q("SELECT key, dim, vector FROM embeddings WHERE kind=? ORDER BY rowid", (kind,))
        else:
            keys = list(keys)
            rows = []
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                marks = ",".join("?" * len(chunk))
                rows += self._q(
                    f"SELECT key, dim, vector FROM embeddings WHERE kind=? AND key IN ({marks})", [kind, *chunk]
                )
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        ks = [r[0] for r in rows]
        mat = np.stack([np.frombuffer(r[2], dtype=np.float32) for r in rows])
        return ks, mat

    def put_edges(self, edges: list[ReuseEdge]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO reuse_edges(source_id, target_id, relation, confidence, data) VALUES (?,?,?,?,?)",
                [
                    (e.source_id, e.target_id, e.relation, e.confidence, json.dumps(to_dict(e), ensure_ascii=False))
                    for e in edges
                ],
            )

    def edges_for(self, article_id: str) -> list[ReuseEdge]:
        rows = self._q(
            "SELECT data FROM reuse_edges WHERE source_id=? UNION ALL SELECT data FROM reuse_edges WHERE target_id=?",
            (article_id, article_id),
        )
        return [reuse_edge_from_dict(json.loads(r[0])) for r in rows]

    def all_edges(self) -> list[ReuseEdge]:
        return [reuse_edge_from_dict(json.loads(r[0])) for r in self._q("SELECT data FROM reuse_edges ORDER BY rowid")]

    # ------------------------------------------------------------------ stories
    def save_story(self, story: Story) -> None:
        """Write a story and its membership. A story saved again as it grows writes only the membership
        rows that changed (new articles, articles moved to another event), not all of them."""
        data = json.dumps(to_dict(story), ensure_ascii=False)
        event_of = {aid: ev.id for ev in story.events for aid in ev.article_ids}
        with self.transaction():
            old = dict(self._q("SELECT article_id, event_id FROM story_articles WHERE story_id=?", (story.id,)))
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
                    story.id, story.title, len(story.article_ids), _dt(story.first_date), _dt(story.last_date), last_seq,
                    json.dumps(story.outlets, ensure_ascii=False), data, _now(),
                ),
            )
            if gone:
                self._db.executemany("DELETE FROM story_articles WHERE story_id=? AND article_id=?",
                                     [(story.id, aid) for aid in gone])
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
                "INSERT OR REPLACE INTO story_aliases(old_id, new_id, merged_at) VALUES (?,?,?)", (old_id, new_id, _now())
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

    # ------------------------------------------------------------------ read-side revisions (for caches)
    def story_revision(self, story_id: str) -> int | None:
        """The story's change counter (kept by triggers): it grows whenever the story's row, its analysis
        or a reuse edge touching one of its articles is written. None for no such story."""
        rows = self._q("SELECT rev FROM story_rev WHERE story_id=? AND EXISTS (SELECT 1 FROM stories WHERE id=?)",
                       (story_id, story_id))
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
            (int(mark),))
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

    def story_edge_page(self, story_id: str, limit: int | None = None, offset: int = 0) -> tuple[int, list[tuple[ReuseEdge, int]]]:
        """Non-independent reuse edges touching the story's articles, strongest first, WITHOUT their
        aligned passages: (total, [(edge with passages=[], number of passages)]). Only the page asked
        for is decoded (a big story has tens of thousands of edges)."""
        members = "SELECT article_id FROM story_articles WHERE story_id=?1"
        base = (f"SELECT rowid, source_id, target_id, relation, confidence FROM reuse_edges WHERE source_id IN ({members})"
                f" AND relation != 'independent' UNION ALL"
                f" SELECT rowid, source_id, target_id, relation, confidence FROM reuse_edges WHERE target_id IN ({members})"
                f" AND relation != 'independent' AND source_id NOT IN ({members})")
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
            (ReuseEdge(r[0], r[1], r[2], float(r[3]), float(r[4] or 0.0), float(r[5] or 0.0), r[6] or "", float(r[7] or 0.0)), int(r[8] or 0))
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
            f" FROM stories {clause} ORDER BY last_seq DESC, id LIMIT ? OFFSET ?", [*params, limit, offset]
        )
        return [{"id": r[0], "title": r[1], "article_count": int(r[2]), "event_count": int(r[3] or 0),
                 "outlets": json.loads(r[4]), "first_date": r[5], "last_date": r[6]} for r in rows]

    def latest_article_ids(self, n: int) -> list[str]:
        """Ids of the ``n`` articles stored last, newest first."""
        return [r[0] for r in self._q("SELECT id FROM articles ORDER BY seq DESC LIMIT ?", (int(n),))]

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

    def edges_among(self, article_ids: list[str], limit: int | None = None, light: bool = False) -> tuple[int, list[tuple[ReuseEdge, int]]]:
        """Non-independent edges with BOTH ends among these articles, strongest first, without passages:
        (how many there are, [(edge with passages=[], number of passages)] for the first ``limit``).
        ``light``: only ids, relation and confidence are filled (coverages 0, passages counted as 0),
        read from an index alone."""
        ids = list(dict.fromkeys(article_ids))
        members = set(ids)
        found: list[tuple[float, str, str, int]] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found += [(-float(r[3]), r[1], r[2], r[0], r[4]) for r in self._q(
                f"SELECT rowid, source_id, target_id, confidence, relation FROM reuse_edges WHERE source_id IN ({marks})"
                " AND relation != 'independent'", chunk) if r[2] in members]
        found.sort()
        chosen = found if limit is None else found[: max(0, limit)]
        if light:
            return len(found), [(ReuseEdge(f[1], f[2], f[4], -f[0], 0.0, 0.0, "", 0.0), 0) for f in chosen]
        keep = [f[3] for f in chosen]
        out: list[tuple[ReuseEdge, int]] = []
        for i in range(0, len(keep), 500):
            chunk = keep[i : i + 500]
            marks = ",".join("?" * len(chunk))
            # one JSON parse per row for the four scalars (json_extract with several paths gives an array)
            for r in self._q(
                "SELECT source_id, target_id, relation, confidence, json_extract(data, '$.source_coverage',"
                " '$.target_coverage', '$.direction_rule', '$.direction_confidence'), json_array_length(data, '$.passages')"
                f" FROM reuse_edges WHERE rowid IN ({marks})", chunk):
                sc, tc, rule, dc = json.loads(r[4])
                out.append((ReuseEdge(r[0], r[1], r[2], float(r[3]), float(sc or 0.0), float(tc or 0.0), rule or "", float(dc or 0.0)),
                            int(r[5] or 0)))
        out.sort(key=lambda x: (-x[0].confidence, x[0].source_id, x[0].target_id))
        return len(found), out

    def story_links(self, story_id: str) -> list[tuple[str, str, str, float]]:
        """(source_id, target_id, relation, confidence) of every non-independent edge with BOTH ends in the
        story: the provenance graph's lines, without decoding any edge's passages."""
        members = "SELECT article_id FROM story_articles WHERE story_id=?1"
        rows = self._q(
            f"SELECT source_id, target_id, relation, confidence FROM reuse_edges WHERE source_id IN ({members})"
            f" AND target_id IN ({members}) AND relation != 'independent' ORDER BY rowid",
            (story_id,),
        )
        return [(r[0], r[1], r[2], float(r[3])) for r in rows]

    # ------------------------------------------------------------------ light reads for whole-store aggregates
    # (storyline.outlets): columns and indexes only; no article body, no edge passages decoded.
    def article_meta_since(self, seq: int = 0) -> list[tuple[int, str, str | None, str | None, str | None]]:
        """(seq, id, outlet, published ISO text or None, date_precision) of the articles stored after ``seq``."""
        rows = self._q("SELECT seq, id, outlet, published, date_precision FROM articles WHERE seq > ? ORDER BY seq",
                       (int(seq),))
        return [tuple(r) for r in rows]

    def article_meta(self, ids: Iterable[str]) -> list[tuple[int, str, str | None, str | None, str | None]]:
        ids = list(dict.fromkeys(ids))
        out: list[tuple[int, str, str | None, str | None, str | None]] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            out += [tuple(r) for r in self._q(
                f"SELECT seq, id, outlet, published, date_precision FROM articles WHERE id IN ({marks}) ORDER BY seq", chunk)]
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
            for aid, paras in self._q(f"SELECT id, paragraphs FROM articles WHERE id IN ({marks}){where}", [*chunk, *extra]):
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
        head = ("CASE WHEN instr(data, ', \"passages\": ') > 0"
                " THEN substr(data, 1, instr(data, ', \"passages\": ') - 1) || '}' END")
        rows = self._q(
            "SELECT r, source_id, target_id, relation, confidence, CASE WHEN relation = 'independent' THEN NULL"
            " WHEN json_valid(h) AND json_type(h, '$.direction_rule') IS NOT NULL"
            " THEN json_array(json_extract(h, '$.source_coverage'), json_extract(h, '$.target_coverage'),"
            " json_extract(h, '$.direction_rule'))"
            " ELSE json_extract(data, '$.source_coverage', '$.target_coverage', '$.direction_rule') END"
            f" FROM (SELECT rowid AS r, source_id, target_id, relation, confidence, data, {head} AS h"
            " FROM reuse_edges WHERE rowid > ?) ORDER BY r", (int(mark or 0),))
        out = []
        for r in rows:
            sc, tc, rule = json.loads(r[5]) if r[5] else (0.0, 0.0, "")
            out.append((r[1], r[2], r[3], float(r[4]), float(sc or 0.0), float(tc or 0.0), rule or ""))
        return (int(rows[-1][0]) if rows else int(mark or 0)), out

    def story_revisions(self) -> dict[str, int]:
        """Story id -> its change counter (see :meth:`story_revision`), for every live story."""
        return {r[0]: int(r[1]) for r in self._q(
            "SELECT r.story_id, r.rev FROM story_rev r JOIN stories s ON s.id = r.story_id")}

    def story_members(self, story_ids: Iterable[str] | None = None) -> dict[str, list[str]]:
        """Story id -> its article ids (from the membership table), for these stories (None: all)."""
        if story_ids is None:
            rows = self._q("SELECT story_id, article_id FROM story_articles")
        else:
            rows = self._q("SELECT story_id, article_id FROM story_articles WHERE story_id IN"
                           " (SELECT value FROM json_each(?))", (json.dumps(list(story_ids)),))
        out: dict[str, list[str]] = {}
        for sid, aid in rows:
            out.setdefault(sid, []).append(aid)
        return out
