"""`storyline watch` and `follow`: ingest what appears in a folder, or in feeds and sitemaps, as it comes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..pipeline import Pipeline
from .common import DbOption, _opened, _print_json, app, err
from .ingestion import _print_ingest_summary


@app.command()
def watch(
    folder: Path = typer.Argument(..., help="Folder to watch (recursive): new or changed files are ingested."),
    db: Path | None = DbOption,
    interval: float = typer.Option(2.0, help="Seconds between scans."),
    settle: float = typer.Option(1.0, help="A file is read once unchanged for this many seconds."),
    once: bool = typer.Option(False, "--once", help="Scan once and exit."),
) -> None:
    """Ingest files as they appear in FOLDER (a running `storyline serve` shows them at once)."""
    import threading

    from ..watch import FolderWatcher

    if not folder.is_dir():
        err.print(f"[red]error:[/red] {folder}: not a folder")
        raise typer.Exit(2)
    with _opened(db) as store:
        watcher = FolderWatcher(Pipeline(store), folder, settle=0.0 if once else settle)
        if once:
            _print_ingest_summary(watcher.scan())
            return
        err.print(f"watching {folder} every {interval:g}s (Ctrl-C to stop)")
        stop = threading.Event()
        try:
            watcher.run(interval, stop, on_report=_print_ingest_summary)
        except KeyboardInterrupt:
            stop.set()


@app.command()
def follow(
    feeds: Annotated[
        list[str], typer.Argument(help="RSS/Atom feeds, sitemaps or sitemap indexes (.xml or .xml.gz): URLs or files.")
    ],
    db: Annotated[
        Path | None,
        typer.Option("--db", help="SQLite store (default: $STORYLINE_DB or ./storyline.db).", show_default=False),
    ] = None,
    interval: Annotated[
        float | None, typer.Option(help="Seconds between polls (default: follow.interval_s, 600).")
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Poll once and exit (exit code 1 on errors or rejections).")
    ] = False,
    max_pages: Annotated[
        int | None, typer.Option("--max-pages", help="New pages fetched per poll (default 100).")
    ] = None,
    no_stories: Annotated[
        bool, typer.Option("--no-stories", help="Only clean and store (no copies, no stories).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --once: the poll's report as JSON on stdout.")] = False,
) -> None:
    """Poll feeds and sitemaps; fetch their new pages and ingest them (what was fetched is remembered in the store)."""
    import dataclasses

    from ..follow import Follower

    with _opened(db) as store:
        pipeline = Pipeline(store, reuse=not no_stories, cluster=not no_stories)
        cfg = pipeline.config.follow
        cfg = dataclasses.replace(cfg, max_pages=cfg.max_pages if max_pages is None else max_pages)
        progress = None if as_json else (lambda m: err.print(f"  {m}", style="dim", markup=False, highlight=False))
        follower = Follower(pipeline, feeds, config=cfg, on_progress=progress)

        def show(report) -> None:
            for line in report.summary_lines():
                err.print(line, markup=False, highlight=False, soft_wrap=True)

        try:
            if once:
                report = follower.poll()
                if as_json:
                    _print_json(report.to_dict())
                else:
                    show(report)
                if report.errors or report.ingest.rejected:
                    raise typer.Exit(1)
                return
            err.print(
                f"following {len(feeds)} feed(s) every {cfg.interval_s if interval is None else interval:g}s "
                "(Ctrl-C to stop)"
            )
            follower.run(interval, on_report=show)
        except KeyboardInterrupt:
            follower.stop.set()
        finally:
            follower.close()
