"""The SQLite store's schema (migrations, applied in order), its key encodings and small SQL helpers."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from datetime import datetime, timezone
from typing import Any

import numpy as np

from .sqlite_outlets import MIGRATION_OUTLETS


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
        params.append(
            '%"' + str(filters["outlet"]).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + '"%'
        )
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
