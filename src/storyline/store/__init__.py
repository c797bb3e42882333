"""Storage: one interface (:class:`Store`), SQLite by default."""

from __future__ import annotations

import os
from pathlib import Path

from .base import Store
from .sqlite import SCHEMA_VERSION, SQLiteStore, StoreError

__all__ = ["Store", "SQLiteStore", "StoreError", "SCHEMA_VERSION", "open_store", "default_db_path"]


def default_db_path() -> Path:
    """``$STORYLINE_DB`` if set, else ``./storyline.db`` in the working directory."""
    return Path(os.environ.get("STORYLINE_DB") or "storyline.db")


def open_store(path: str | os.PathLike[str] | None = None) -> Store:
    return SQLiteStore(path or default_db_path())
