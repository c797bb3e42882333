"""Command line: ``storyline COMMAND --help``.

Every command takes ``--db FILE`` (default ``$STORYLINE_DB`` or ``./storyline.db``);
every listing or show command takes ``--json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .model import Article, to_dict
from .pipeline import IngestReport, Pipeline
from .store import StoreError, default_db_path, open_store

app = typer.Typer(
    help="Storyline: turn a stream of news articles from many outlets into stories.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)

DbOption = typer.Option(None, "--db", help="SQLite store (default: $STORYLINE_DB or ./storyline.db).", show_default=False)
JsonOption = typer.Option(False, "--json", help="Machine-readable JSON on standard output.")


def _open(db: Optional[Path]):
    try:
        return open_store(db or default_db_path())
    except StoreError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _date(a: Article) -> str:
    if not a.published:
        return ""
    return a.published.strftime("%Y-%m-%d %H:%M") if a.date_precision == "minute" else a.published.strftime("%Y-%m-%d")


# ----------------------------------------------------------------------------- ingest


def _run_ingest(pipeline: Pipeline, paths: list[str], quiet: bool = False) -> IngestReport:
    from .ingest import count_inputs, read_inputs

    total = count_inputs(paths, pipeline.config.ingest)
    with Progress(
        TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, disable=quiet or not err.is_terminal, transient=True,
    ) as progress:
        task = progress.add_task("ingest", total=total)
        report = pipeline.ingest(read_inputs(paths, pipeline.config.ingest), on_progress=lambda n: progress.advance(task, n))
    return report


def _print_ingest_summary(report: IngestReport) -> None:
    err.print(
        f"read {report.read} · stored [green]{len(report.stored)}[/green] · "
        f"duplicates {len(report.duplicates)} · rejected [{'red' if report.rejected else 'green'}]{len(report.rejected)}[/]"
    )
    for source, aid in report.duplicates:
        err.print(f"  [yellow]duplicate[/yellow] {source}: already stored as {aid}")
    for r in report.rejected:
        err.print(f"  [red]rejected[/red] {r.source}: {r.reason}")


def _report_json(report: IngestReport) -> dict[str, Any]:
    return {
        "read": report.read,
        "stored": [to_dict(r) for r in report.stored],
        "duplicates": [{"source": s, "article_id": a} for s, a in report.duplicates],
        "rejected": [to_dict(r) for r in report.rejected],
    }


@app.command()
def ingest(
    paths: list[str] = typer.Argument(..., help="Files, folders (recursive) or - for standard input (text, HTML or JSONL)."),
    db: Optional[Path] = DbOption,
    as_json: bool = JsonOption,
    no_stories: bool = typer.Option(False, "--no-stories", help="Only clean and store (skip copy detection and clustering)."),
) -> None:
    """Read, clean and store articles (idempotent: an article already stored is reported, not stored again)."""
    store = _open(db)
    try:
        pipeline = Pipeline(store, reuse=not no_stories, cluster=not no_stories)
        report = _run_ingest(pipeline, paths, quiet=as_json)
    finally:
        store.close()
    if as_json:
        _print_json(_report_json(report))
    else:
        _print_ingest_summary(report)
    if report.rejected:
        raise typer.Exit(1)


# ----------------------------------------------------------------------------- articles


def _articles_table(articles: list[Article], title: str = "Articles") -> Table:
    table = Table(title=title, show_lines=False)
    table.add_column("id", no_wrap=True)
    table.add_column("date", no_wrap=True)
    for col in ("outlet", "title", "words"):
        table.add_column(col, overflow="fold")
    for a in articles:
        table.add_row(a.id, _date(a), a.outlet or "", (a.title or a.paragraphs[0][:70] + "…"), str(a.word_count))
    return table


@app.command()
def articles(
    db: Optional[Path] = DbOption,
    as_json: bool = JsonOption,
    limit: int = typer.Option(50, help="How many."),
    offset: int = typer.Option(0, help="Skip this many."),
    outlet: Optional[str] = typer.Option(None, help="Only this outlet."),
) -> None:
    """List stored articles in ingest order."""
    store = _open(db)
    try:
        items = store.list_articles(limit=limit, offset=offset, outlet=outlet)
        total = store.count_articles()
    finally:
        store.close()
    if as_json:
        _print_json([_article_brief(a) for a in items])
        return
    console.print(_articles_table(items, title=f"Articles ({total} stored)"))


def _article_brief(a: Article) -> dict[str, Any]:
    return {
        "id": a.id, "source": a.source, "title": a.title, "outlet": a.outlet, "author": a.author,
        "dateline": a.dateline, "published": a.published.isoformat() if a.published else None,
        "date_precision": a.date_precision, "language": a.language, "words": a.word_count,
    }


@app.command()
def show(
    article_id: str = typer.Argument(..., help="Article id (or a unique prefix of 6+ characters)."),
    db: Optional[Path] = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Show an article: metadata, clean text and the lines removed as boilerplate."""
    store = _open(db)
    try:
        a = store.get_article(article_id)
    finally:
        store.close()
    if a is None:
        err.print(f"[red]error:[/red] no article {article_id!r}")
        raise typer.Exit(2)
    if as_json:
        _print_json(to_dict(a))
        return
    console.rule(f"[bold]{a.title or '(no title)'}")
    for key in ("id", "source", "outlet", "author", "dateline", "language", "url"):
        value = getattr(a, key)
        if value:
            console.print(f"[dim]{key:>9}[/dim] ", end="")
            console.print(str(value), markup=False, highlight=False)
    console.print(f"[dim]{'date':>9}[/dim] {_date(a) or '(none given)'}" + (f" ({a.date_precision})" if a.date_precision else ""))
    console.print()
    for p in a.paragraphs:
        console.print(p, markup=False, highlight=False)
        console.print()
    if a.removed:
        console.rule("[dim]removed as boilerplate")
        for r in a.removed:
            console.print(f"[dim]{r.reason:<24}[/dim] ", end="")
            console.print(r.text, markup=False, highlight=False)


@app.command()
def export(
    db: Optional[Path] = DbOption,
    fmt: str = typer.Option("jsonl", "--format", help="jsonl or parquet."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="File to write (JSONL: standard output by default)."),
) -> None:
    """Export all articles (clean text and metadata)."""
    if fmt not in ("jsonl", "parquet"):
        err.print(f"[red]error:[/red] unknown format {fmt!r} (use jsonl or parquet)")
        raise typer.Exit(2)
    store = _open(db)
    try:
        rows = (to_dict(a) | {"text": a.text} for a in store.iter_articles())
        if fmt == "jsonl":
            out = open(output, "w", encoding="utf-8") if output else sys.stdout
            try:
                n = 0
                for row in rows:
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
                    n += 1
            finally:
                if output:
                    out.close()
        else:
            if output is None:
                err.print("[red]error:[/red] --output FILE is required for parquet")
                raise typer.Exit(2)
            import pyarrow as pa
            import pyarrow.parquet as pq

            data = [
                {**{k: v for k, v in r.items() if k not in ("removed", "paragraphs")},
                 "paragraphs": r["paragraphs"], "removed": json.dumps(r["removed"], ensure_ascii=False)}
                for r in rows
            ]
            pq.write_table(pa.Table.from_pylist(data), output)
            n = len(data)
    finally:
        store.close()
    err.print(f"exported {n} articles" + (f" to {output}" if output else ""))


# ----------------------------------------------------------------------------- the main job


@app.command()
def run(
    paths: list[str] = typer.Argument(..., help="Files or folders to read (e.g. examples/seeds)."),
    db: Optional[Path] = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """The main job: ingest, then print what Storyline found (articles, copies, stories)."""
    store = _open(db)
    try:
        pipeline = Pipeline(store)
        report = _run_ingest(pipeline, paths, quiet=as_json)
        if as_json:
            _print_json({"ingest": _report_json(report), **_found_json(store)})
        else:
            _print_ingest_summary(report)
            _print_found(store)
    finally:
        store.close()
    if report.rejected:
        raise typer.Exit(1)


def _found_json(store) -> dict[str, Any]:
    return {
        "articles": [_article_brief(a) for a in store.iter_articles()],
        "copies": [to_dict(e) | {"passages": len(e.passages)} for e in store.all_edges()],
        "stories": [to_dict(s) for s in store.list_stories(limit=1000)],
    }


def _print_found(store) -> None:
    console.print(_articles_table(list(store.iter_articles()), title="Clean articles"))
    edges = [e for e in store.all_edges() if e.relation != "independent"]
    if edges:
        table = Table(title="Copies and rewrites (original → copy)")
        for col in ("original", "copy", "relation", "confidence", "copy covered", "first by"):
            table.add_column(col)
        for e in edges:
            table.add_row(
                e.source_id, e.target_id, e.relation, f"{e.confidence:.2f}", f"{e.target_coverage:.0%}", e.direction_rule
            )
        console.print(table)
    stories = store.list_stories(limit=1000)
    if stories:
        table = Table(title="Stories")
        for col in ("story", "title", "articles", "events", "outlets", "dates"):
            table.add_column(col, overflow="fold")
        for s in stories:
            span = ""
            if s.first_date:
                span = s.first_date.strftime("%Y-%m-%d") + (" – " + s.last_date.strftime("%Y-%m-%d") if s.last_date and s.last_date != s.first_date else "")
            table.add_row(s.id, s.title or "", str(len(s.article_ids)), str(len(s.events)), ", ".join(s.outlets), span)
        console.print(table)


# ---- spark commands ----


@app.command("spark-run")
def spark_run(
    input: str = typer.Argument(..., help="JSONL, Parquet, or a folder of text/HTML files (local path or any URI Spark reads)."),
    output: str = typer.Argument(..., help="Folder (or URI) for the Parquet tables."),
    master: str = typer.Option("local[2]", "--master", help="local[N], spark://host:7077, yarn, k8s://..."),
    fmt: str = typer.Option("auto", "--format", help="auto, jsonl, parquet or files."),
    window_days: float = typer.Option(7.0, "--window-days", help="Stories are clustered per time window of this many days."),
    link_threshold: float = typer.Option(0.9, "--link-threshold", help="Centroid cosine joining story pieces of neighbouring windows."),
    partitions: int = typer.Option(0, "--partitions", help="Partitions for the articles (0: twice the cores)."),
    config_file: Optional[Path] = typer.Option(None, "--config", help="JSON file with Storyline settings."),
    conf: list[str] = typer.Option([], "--conf", help="Extra Spark setting key=value (repeatable)."),
    json_out: bool = JsonOption,
) -> None:
    """Run the whole batch pipeline on Spark and write Parquet tables (load them with `storyline import`)."""
    from .config import Config
    from .spark import SparkOptions, make_session, run_pipeline

    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        err.print("[red]error:[/red] pyspark is not installed: pip install 'storyline[spark]'")
        raise typer.Exit(2) from exc
    config = Config.from_json(config_file.read_text()) if config_file else Config()
    options = SparkOptions(input_format=fmt, window_days=window_days, link_threshold=link_threshold, partitions=partitions)
    existing = SparkSession.getActiveSession()
    spark = make_session(master, conf=dict(kv.split("=", 1) for kv in conf))
    try:
        report = run_pipeline(spark, input, output, config, options)
    finally:
        if existing is None:
            spark.stop()
    if json_out:
        _print_json({"output": report.output, "counts": report.counts, "seconds": report.seconds, "backends": report.backends})
        return
    err.print(" · ".join(f"{k} {v}" for k, v in report.counts.items()) + f" · {report.seconds.get('total', 0):.1f} s")
    for k, v in report.backends.items():
        err.print(f"  {k}: {v}")
    err.print(f"tables written under {report.output}; load them with: storyline import {report.output} --db FILE")


@app.command("import")
def import_(
    output: Path = typer.Argument(..., help="A spark-run output folder."),
    db: Optional[Path] = DbOption,
    json_out: bool = JsonOption,
) -> None:
    """Load a spark-run's Parquet tables into the store (then the CLI, HTTP API and web page serve them)."""
    from .spark import import_output

    if not output.is_dir():
        err.print(f"[red]error:[/red] no such folder: {output}")
        raise typer.Exit(2)
    store = _open(db)
    try:
        counts = import_output(output, store)
    finally:
        store.close()
    if json_out:
        _print_json(counts)
    else:
        err.print(" · ".join(f"{k} {v}" for k, v in counts.items()))


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
