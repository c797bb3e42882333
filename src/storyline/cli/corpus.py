"""`storyline articles`, `show` and `export`: the stored articles."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import typer

from ..model import to_dict
from .common import DbOption, JsonOption, _date, _opened, _print_json, app, console, err
from .views import _article_brief, _articles_table


@app.command()
def articles(
    db: Path | None = DbOption,
    as_json: bool = JsonOption,
    limit: int = typer.Option(50, help="How many."),
    offset: int = typer.Option(0, help="Skip this many."),
    outlet: str | None = typer.Option(None, help="Only this outlet."),
) -> None:
    """List stored articles in ingest order."""
    with _opened(db) as store:
        items = store.list_articles(limit=limit, offset=offset, outlet=outlet)
        total = store.count_articles()
    if as_json:
        _print_json([_article_brief(a) for a in items])
        return
    console.print(_articles_table(items, title=f"Articles ({total} stored)"))


@app.command()
def show(
    article_id: str = typer.Argument(..., help="Article id (or a unique prefix of 6+ characters)."),
    db: Path | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Show an article: metadata, clean text and the lines removed as boilerplate."""
    with _opened(db) as store:
        a = store.get_article(article_id)
    if a is None:
        err.print(f"[red]error:[/red] no article {article_id!r}")
        raise typer.Exit(2)
    if as_json:
        _print_json(to_dict(a))
        return
    console.rule(f"[bold]{a.title or '(no title)'}")
    for key in ("id", "source", "outlet", "author", "dateline", "language", "url", "notes"):
        value = getattr(a, key)
        if key == "outlet" and value and a.outlet_from:
            value = f"{value} (from the {a.outlet_from})"
        if key == "language" and value and a.language_score is not None:
            value = f"{value} (p = {a.language_score:.2f})"
        if value:
            console.print(f"[dim]{key:>9}[/dim] ", end="")
            console.print("; ".join(value) if key == "notes" else str(value), markup=False, highlight=False)
    console.print(
        f"[dim]{'date':>9}[/dim] {_date(a) or '(none given)'}" + (f" ({a.date_precision})" if a.date_precision else "")
    )
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
    db: Path | None = DbOption,
    fmt: str = typer.Option("jsonl", "--format", help="jsonl or parquet."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write (JSONL: standard output by default)."
    ),
) -> None:
    """Export all articles (clean text and metadata)."""
    if fmt not in ("jsonl", "parquet"):
        err.print(f"[red]error:[/red] unknown format {fmt!r} (use jsonl or parquet)")
        raise typer.Exit(2)
    with _opened(db) as store:
        rows = (to_dict(a) | {"text": a.text} for a in store.iter_articles())
        if fmt == "jsonl":
            with contextlib.ExitStack() as stack:
                out = stack.enter_context(open(output, "w", encoding="utf-8")) if output else sys.stdout
                n = 0
                for n, row in enumerate(rows, start=1):  # noqa: B007 - n (the count written) is read after the loop
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            if output is None:
                err.print("[red]error:[/red] --output FILE is required for parquet")
                raise typer.Exit(2)
            import pyarrow as pa
            import pyarrow.parquet as pq

            data = [
                {
                    **{k: v for k, v in r.items() if k not in ("removed", "paragraphs")},
                    "paragraphs": r["paragraphs"],
                    "removed": json.dumps(r["removed"], ensure_ascii=False),
                }
                for r in rows
            ]
            pq.write_table(pa.Table.from_pylist(data), output)
            n = len(data)
    err.print(f"exported {n} articles" + (f" to {output}" if output else ""))
