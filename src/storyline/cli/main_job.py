"""`storyline run`: the main job: ingest, then print what Storyline found (articles, copies, stories, and
the largest stories in full)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ..model import to_dict
from ..pipeline import Pipeline
from .common import DbOption, JsonOption, _opened, _print_json, app, console
from .ingestion import _print_ingest_summary, _report_json, _run_ingest
from .views import (
    _article_brief,
    _articles_table,
    _print_story_events,
    _print_story_header,
    _story_analysis,
    print_analysis,
)


@app.command()
def run(
    paths: list[str] = typer.Argument(..., help="Files or folders to read (e.g. examples/seeds)."),
    db: Path | None = DbOption,
    as_json: bool = JsonOption,
    analyse: int = typer.Option(1, "--analyse", help="Print the full analysis of the N largest stories (0: none)."),
) -> None:
    """The main job: ingest, then print what Storyline found (articles, copies, stories, and the largest story in full)."""
    with _opened(db) as store:
        pipeline = Pipeline(store)
        report = _run_ingest(pipeline, paths, quiet=as_json)
        if as_json:
            _print_json({"ingest": _report_json(report), **_found_json(store)})
        else:
            _print_ingest_summary(report)
            _print_found(store)
            # the largest stories in full: timeline, quotes, agreement and the cited summary
            biggest = sorted(store.list_stories(limit=1000), key=lambda st: -len(st.article_ids))[: max(0, analyse)]
            for st in biggest:
                arts = {a.id: a for a in store.get_articles(st.article_ids)}
                analysis, by_date = _story_analysis(store, st, arts)
                console.print()
                _print_story_header(st)
                _print_story_events(st, arts)
                print_analysis(console, analysis, by_date)
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
                e.source_id,
                e.target_id,
                e.relation,
                f"{e.confidence:.2f}",
                f"{e.target_coverage:.0%}",
                e.direction_rule,
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
                span = s.first_date.strftime("%Y-%m-%d") + (
                    " – " + s.last_date.strftime("%Y-%m-%d") if s.last_date and s.last_date != s.first_date else ""
                )
            table.add_row(s.id, s.title or "", str(len(s.article_ids)), str(len(s.events)), ", ".join(s.outlets), span)
        console.print(table)
