"""What every command shares: the Typer app, the consoles, the --db and --json options, opening the store."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from ..model import Article
from ..store import Store, StoreError, default_db_path, open_store

app = typer.Typer(
    help="Storyline: turn a stream of news articles from many outlets into stories.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Rich wraps at 80 columns when output is not a terminal; tables of ids and titles need more.
console = Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 140)
err = Console(stderr=True)

DbOption = typer.Option(
    None, "--db", help="SQLite store (default: $STORYLINE_DB or ./storyline.db).", show_default=False
)
JsonOption = typer.Option(False, "--json", help="Machine-readable JSON on standard output.")


def _open(db: Path | None):
    try:
        return open_store(db or default_db_path())
    except StoreError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


@contextmanager
def _opened(db: Path | None) -> Iterator[Store]:
    """The store for a command, closed when the command is done (also on errors)."""
    store = _open(db)
    try:
        yield store
    finally:
        store.close()


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _date(a: Article) -> str:
    if not a.published:
        return ""
    return a.published.strftime("%Y-%m-%d %H:%M") if a.date_precision == "minute" else a.published.strftime("%Y-%m-%d")
