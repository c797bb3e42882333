"""`storyline ingest`: read, clean and store; the ingest report (also printed by `run`, `watch` and
`follow`) and the message for an error that is not the input's."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..model import to_dict
from ..pipeline import IngestReport, Pipeline
from .common import DbOption, JsonOption, _opened, _print_json, app, err


def _run_ingest(
    pipeline: Pipeline, paths: list[str], quiet: bool = False, columns: dict[str, str] | None = None
) -> IngestReport:
    """``columns``: a field mapping for this run's inputs only (not saved with the store's settings)."""
    import dataclasses

    from ..ingest import count_inputs, read_inputs

    cfg = dataclasses.replace(pipeline.config.ingest, columns=columns) if columns else pipeline.config.ingest
    total = count_inputs(paths, cfg)
    before = pipeline.store.count_articles()
    try:
        with Progress(
            TextColumn("[bold]ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=quiet or not err.is_terminal,
            transient=True,
        ) as progress:
            task = progress.add_task("ingest", total=total)
            report = pipeline.ingest(read_inputs(paths, cfg), on_progress=lambda n: progress.advance(task, n))
    except Exception as exc:  # noqa: BLE001 - reported and re-raised as exit 3 by _internal_error; not the input's fault (those are rejections): stop, and say what is kept
        kept = pipeline.store.count_articles()
        _internal_error(
            "ingest",
            exc,
            f"{kept - before} articles of this run were committed before it and are "
            f"kept ({kept} stored in all); nothing half-written was stored",
        )
    return report


def _internal_error(what: str, exc: BaseException, kept: str | None = None) -> NoReturn:
    """Stop a command on an error that is not a problem of its input: a clear message, exit code 3."""
    err.print(
        f"[red]error:[/red] {what} stopped by an internal error (not a problem of the input):",
        highlight=False,
        soft_wrap=True,
    )
    err.print(f"  {type(exc).__name__}: {exc}", markup=False, highlight=False, soft_wrap=True)
    if kept:
        err.print(f"  {kept}", markup=False, highlight=False, soft_wrap=True)
    err.print(
        "  `storyline doctor` checks the installation; STORYLINE_DEBUG=1 shows the trace",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    if os.environ.get("STORYLINE_DEBUG"):
        err.print_exception()
    raise typer.Exit(3) from exc


SKIPPED_LINES = 50  # skipped records listed one per line up to this many (all of them in --json)


def _print_ingest_summary(report: IngestReport) -> None:
    err.print(
        f"read {report.read} · stored [green]{len(report.stored)}[/green] · "
        f"duplicates {len(report.duplicates)} · "
        + (f"skipped {len(report.skipped)} · " if report.skipped else "")
        + f"rejected [{'red' if report.rejected else 'green'}]{len(report.rejected)}[/]"
    )
    if report.skipped:
        from collections import Counter

        by_reason = Counter(r.reason for r in report.skipped).most_common()
        err.print(
            "  skipped: " + " · ".join(f"{reason} ({n})" for reason, n in by_reason),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    # one line per input, never wrapped (paths stay greppable); sources printed literally (no markup)
    for source, aid, reason in report.duplicates_with_reasons():
        err.print("  [yellow]duplicate[/yellow] ", end="", soft_wrap=True)
        err.print(f"{source}: already stored as {aid} ({reason})", markup=False, highlight=False, soft_wrap=True)
    for r in report.skipped[:SKIPPED_LINES]:
        err.print("  [dim]skipped[/dim] ", end="", soft_wrap=True)
        err.print(f"{r.source}: {r.reason}", markup=False, highlight=False, soft_wrap=True)
    if len(report.skipped) > SKIPPED_LINES:
        err.print(f"  … and {len(report.skipped) - SKIPPED_LINES} more skipped (--json lists them all)")
    for r in report.rejected:
        err.print("  [red]rejected[/red] ", end="", soft_wrap=True)
        err.print(f"{r.source}: {r.reason}", markup=False, highlight=False, soft_wrap=True)


def _report_json(report: IngestReport) -> dict[str, Any]:
    return {
        "read": report.read,
        "stored": [to_dict(r) for r in report.stored],
        "duplicates": [{"source": s, "article_id": a, "reason": r} for s, a, r in report.duplicates_with_reasons()],
        "rejected": [to_dict(r) for r in report.rejected],
        "skipped": [to_dict(r) for r in report.skipped],
    }


@app.command()
def ingest(
    paths: list[str] = typer.Argument(
        ...,
        help="Files, folders (recursive) or - for standard input: text, HTML, "
        "JSON, JSONL (also news-please and trafilatura output), CSV, Parquet, WARC; "
        "any of them as .gz or in a .zip.",
    ),
    db: Path | None = DbOption,
    as_json: bool = JsonOption,
    no_stories: bool = typer.Option(
        False, "--no-stories", help="Only clean and store (skip copy detection and clustering)."
    ),
    mapping: str | None = typer.Option(
        None,
        "--map",
        metavar="FIELD=COLUMN,…",
        help="Columns (CSV, Parquet) or keys (JSON) holding the fields text, html, title, date, url, outlet, author, "
        "language, e.g. text=body,date=published,url=link (default: columns named as the fields).",
    ),
) -> None:
    """Read, clean and store articles (idempotent: an article already stored is reported, not stored again)."""
    from ..ingest import parse_mapping

    try:
        columns = parse_mapping(mapping) if mapping else None
    except ValueError as exc:
        err.print(f"[red]error:[/red] --map: {exc}", highlight=False)
        raise typer.Exit(2) from exc
    with _opened(db) as store:
        pipeline = Pipeline(store, reuse=not no_stories, cluster=not no_stories)
        report = _run_ingest(pipeline, paths, quiet=as_json, columns=columns)
    if as_json:
        _print_json(_report_json(report))
    else:
        _print_ingest_summary(report)
    if report.rejected:
        raise typer.Exit(1)
