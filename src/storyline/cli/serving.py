"""`storyline serve`: the HTTP API and the web pages (uvicorn; several worker processes with --workers)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..store import StoreError, default_db_path
from .common import DbOption, app, err


@app.command()
def serve(
    db: Path | None = DbOption,
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0 for every interface)."),
    port: int = typer.Option(8000, help="Port to listen on."),
    max_body_bytes: int = typer.Option(5_000_000, help="Largest request body accepted (413 above)."),
    max_batch: int = typer.Option(100, help="Most articles in one POST /articles (422 above)."),
    log_level: str = typer.Option("info", help="uvicorn log level (warning for quiet)."),
    analysis: str = typer.Option(
        "auto",
        help="auto: compute a story's analysis when first read (cached); "
        "stored: only show analyses already in the store.",
    ),
    ingest_process: bool = typer.Option(
        True,
        "--ingest-process/--ingest-thread",
        help="Ingest POSTed articles in a worker process (keeps reads fast) or a thread.",
    ),
    workers: int = typer.Option(
        1, help="Server processes (each with its own ingest worker; SQLite serialises writes)."
    ),
    cache_mb: int = typer.Option(512, help="Memory for encoded read responses, per server process (MB)."),
    max_pending_writes: int = typer.Option(64, help="POSTs waiting for the ingest worker before new ones get 503."),
    ingest_nice: int = typer.Option(
        0,
        help="CPU niceness of the ingest worker (higher, e.g. 5: reads go first when the cores are busy; writes may then wait long).",
    ),
) -> None:
    """Serve the HTTP API (/articles, /stories, /search; schema at /openapi.json) and the web pages (/)."""
    import os

    import uvicorn

    from ..serve.analysis import default_analysis, stored_analysis
    from ..serve.app import SERVE_ENV, create_app
    from ..store import SQLiteStore

    if analysis not in ("auto", "stored"):
        err.print(f"[red]error:[/red] --analysis must be auto or stored, not {analysis!r}")
        raise typer.Exit(2)
    path = db or default_db_path()
    err.print(f"serving {path} on http://{host}:{port}/  (API schema: /openapi.json)")
    if workers > 1:
        try:
            SQLiteStore(path).close()  # create / migrate once, before the workers start
        except StoreError as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc
        os.environ[SERVE_ENV] = json.dumps(
            {
                "db": str(path),
                "max_body_bytes": max_body_bytes,
                "max_batch": max_batch,
                "analysis": analysis,
                "ingest_process": ingest_process,
                "cache_bytes": cache_mb * 1024 * 1024,
                "max_pending_writes": max_pending_writes,
                "ingest_nice": ingest_nice,
            }
        )
        uvicorn.run(
            "storyline.serve.app:app_from_env", factory=True, host=host, port=port, log_level=log_level, workers=workers
        )
        return
    try:
        application = create_app(
            path,
            max_body_bytes=max_body_bytes,
            max_batch=max_batch,
            analysis=stored_analysis if analysis == "stored" else default_analysis,
            ingest_process=ingest_process,
            cache_bytes=cache_mb * 1024 * 1024,
            max_pending_writes=max_pending_writes,
            ingest_nice=ingest_nice,
            freeze_gc=True,
        )
    except StoreError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    uvicorn.run(application, host=host, port=port, log_level=log_level)
