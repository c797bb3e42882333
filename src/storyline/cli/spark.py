"""`storyline spark-run` and `import`: the batch pipeline on Spark, and loading its Parquet tables into a store."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import DbOption, JsonOption, _opened, _print_json, app, err


@app.command("spark-run")
def spark_run(
    input: str = typer.Argument(
        ..., help="JSONL, Parquet, or a folder of text/HTML files (local path or any URI Spark reads)."
    ),
    output: str = typer.Argument(..., help="Folder (or URI) for the Parquet tables."),
    master: str = typer.Option("local[2]", "--master", help="local[N], spark://host:7077, yarn, k8s://..."),
    fmt: str = typer.Option("auto", "--format", help="auto, jsonl, parquet or files."),
    window_days: float = typer.Option(
        7.0, "--window-days", help="Stories are clustered per time window of this many days."
    ),
    link: str = typer.Option(
        "scorer",
        "--link",
        help="How story pieces of different windows are linked: scorer (the clusterer's own story-pair score) or cosine (centroids).",
    ),
    link_threshold: float = typer.Option(
        0.9, "--link-threshold", help="--link cosine: centroid cosine joining story pieces of neighbouring windows."
    ),
    partitions: int = typer.Option(0, "--partitions", help="Partitions for the articles (0: twice the cores)."),
    config_file: Path | None = typer.Option(None, "--config", help="JSON file with Storyline settings."),
    conf: list[str] = typer.Option([], "--conf", help="Extra Spark setting key=value (repeatable)."),
    json_out: bool = JsonOption,
) -> None:
    """Run the whole batch pipeline on Spark and write Parquet tables (load them with `storyline import`)."""
    from ..config import Config
    from ..spark import SparkOptions, make_session, run_pipeline

    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        err.print("[red]error:[/red] pyspark is not installed: pip install 'storyline[spark]'")
        raise typer.Exit(2) from exc
    config = Config.from_json(config_file.read_text()) if config_file else Config()
    options = SparkOptions(
        input_format=fmt, window_days=window_days, link=link, link_threshold=link_threshold, partitions=partitions
    )
    existing = SparkSession.getActiveSession()
    spark = make_session(master, conf=dict(kv.split("=", 1) for kv in conf))
    try:
        report = run_pipeline(spark, input, output, config, options)
    finally:
        if existing is None:
            spark.stop()
    if json_out:
        _print_json(
            {"output": report.output, "counts": report.counts, "seconds": report.seconds, "backends": report.backends}
        )
        return
    err.print(" · ".join(f"{k} {v}" for k, v in report.counts.items()) + f" · {report.seconds.get('total', 0):.1f} s")
    for k, v in report.backends.items():
        err.print(f"  {k}: {v}")
    err.print(f"tables written under {report.output}; load them with: storyline import {report.output} --db FILE")


@app.command("import")
def import_(
    output: Path = typer.Argument(..., help="A spark-run output folder."),
    db: Path | None = DbOption,
    json_out: bool = JsonOption,
) -> None:
    """Load a spark-run's Parquet tables into the store (then the CLI, HTTP API and web page serve them)."""
    from ..spark import import_output

    if not output.is_dir():
        err.print(f"[red]error:[/red] no such folder: {output}")
        raise typer.Exit(2)
    with _opened(db) as store:
        counts = import_output(output, store)
    if json_out:
        _print_json(counts)
    else:
        err.print(" · ".join(f"{k} {v}" for k, v in counts.items()))
