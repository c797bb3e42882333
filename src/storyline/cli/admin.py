"""`storyline doctor`: check the installation (HTML path, dates, spaCy's model, the embedding model)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..model import to_dict
from ..store import default_db_path
from .common import DbOption, JsonOption, _opened, _print_json, app, err


@app.command()
def doctor(as_json: bool = JsonOption, db: Path | None = DbOption) -> None:
    """Check that the HTML path, dates, spaCy's model and the embedding model work; say how to fix what does not."""
    from ..config import Config
    from ..doctor import run_checks

    path = db or default_db_path()
    config = Config()
    if Path(path).exists():
        with _opened(db) as store:
            config = store.load_config() or config
    checks = run_checks(config)
    if as_json:
        _print_json([to_dict(c) for c in checks])
    else:
        for c in checks:
            mark = "[green]ok[/green]  " if c.ok else "[red]FAIL[/red]"
            err.print(f"{mark} {c.name:<11} {c.seconds:5.1f} s  ", end="")
            err.print(c.detail, markup=False, highlight=False, soft_wrap=True)
            if c.fix:
                err.print(f"      fix: {c.fix}", markup=False, highlight=False, soft_wrap=True)
    if not all(c.ok for c in checks):
        raise typer.Exit(1)
