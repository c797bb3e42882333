"""`storyline cluster`, `stories`, `story` and `analyze`: the stories, one story with its events, and its
analysis (the ranked timeline with --dates)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ..model import Article, to_dict
from .common import DbOption, JsonOption, _opened, _print_json, app, console, err
from .views import (
    _article_brief,
    _print_story_events,
    _print_story_header,
    _stories_table,
    _story_analysis,
    _story_brief,
    analysis_json,
    print_analysis,
)


@app.command()
def cluster(
    db: Path | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Re-cluster the whole store into stories and events (e.g. after changing settings)."""
    import time

    from ..cluster import ClusterStage
    from ..config import Config
    from ..embed import get_embedder

    with _opened(db) as store:
        config = store.load_config() or Config()
        stage = ClusterStage(config.cluster, get_embedder(config.embed))
        t = time.perf_counter()
        assignments = stage.recluster(store)
        took = time.perf_counter() - t
        stories = store.list_stories(limit=10)
        n_stories = store.count_stories()
    n_events = len({a.event_id for a in assignments})
    copies = sum(1 for a in assignments if a.copy_of)
    if as_json:
        _print_json(
            {
                "articles": len(assignments),
                "stories": n_stories,
                "events": n_events,
                "copies": copies,
                "seconds": round(took, 3),
                "top": [_story_brief(s) for s in stories],
            }
        )
        return
    err.print(
        f"clustered {len(assignments)} articles into [green]{n_stories}[/green] stories and {n_events} events"
        f" ({copies} copies joined their original) in {took:.1f}s"
    )
    if stories:
        console.print(_stories_table(stories, title="Most recent stories"))


@app.command()
def stories(
    db: Path | None = DbOption,
    as_json: bool = JsonOption,
    limit: int = typer.Option(50, help="How many."),
    offset: int = typer.Option(0, help="Skip this many."),
) -> None:
    """List stories, most recent activity first (title, article count, outlets, date span)."""
    with _opened(db) as store:
        items = store.list_stories(limit=limit, offset=offset)
        total = store.count_stories()
    if as_json:
        _print_json([_story_brief(s) for s in items])
        return
    console.print(_stories_table(items, title=f"Stories ({total})"))


def _story_json(s, articles: dict[str, Article] | None) -> dict[str, Any]:
    data = to_dict(s)
    if articles is not None:
        data["articles"] = [_article_brief(articles[a]) for a in s.article_ids if a in articles]
    return data


DatesOption = typer.Option(
    0,
    "--dates",
    min=0,
    help="A ranked timeline: the story's N key dates, most important first (0: every dated event, in date order).",
)


SentencesOption = typer.Option(1, "--sentences", min=1, help="With --dates: K sentences for each date.")


@app.command()
def story(
    story_id: str = typer.Argument(..., help="Story id (a unique prefix, or an old id of a merged story)."),
    db: Path | None = DbOption,
    as_json: bool = JsonOption,
    show_articles: bool = typer.Option(False, "--articles", help="Also list each event's articles."),
    with_analysis: bool = typer.Option(
        True, "--analysis/--no-analysis", help="Timeline, quotes by speaker, agreement/difference and cited summary."
    ),
    dates: int = DatesOption,
    sentences: int = SentencesOption,
) -> None:
    """Show a story: its events (and articles), timeline, quotes by speaker, consensus/unique claims, cited summary."""
    with _opened(db) as store:
        s = store.get_story(story_id)
        if s is None:
            err.print(f"[red]error:[/red] no story {story_id!r}")
            raise typer.Exit(2)
        arts = {a.id: a for a in store.get_articles(s.article_ids)}
        analysis, by_date = _story_analysis(store, s, arts) if with_analysis else (None, arts)
        if analysis is not None and dates > 0:
            analysis = _ranked(store, analysis, by_date, dates, sentences)
    if as_json:
        data = _story_json(s, arts if show_articles else None)
        if analysis is not None:
            data["analysis"] = analysis_json(analysis, by_date)
        _print_json(data)
        return
    _print_story_header(s)
    _print_story_events(s, arts if show_articles else None)
    if analysis is not None:
        print_analysis(console, analysis, by_date)


def _ranked(store, analysis, by_date: dict[str, Article], dates: int, sentences: int):
    """The analysis with its timeline replaced by the ranked one (N dates, K sentences each; not cached)."""
    from dataclasses import replace

    from ..analyze import copies_from_edges, story_edges
    from ..config import Config
    from ..timeline import rank_timeline

    config = store.load_config() or Config()
    ids = list(by_date)
    copy_of = copies_from_edges(story_edges(store, ids), ids)
    timeline = rank_timeline(list(by_date.values()), dates, sentences, config.analysis, copy_of=copy_of)
    return replace(analysis, timeline=timeline)


@app.command()
def analyze(
    story_id: str = typer.Argument(..., help="Story id (or a unique prefix)."),
    db: Path | None = DbOption,
    as_json: bool = JsonOption,
    dates: int = DatesOption,
    sentences: int = SentencesOption,
) -> None:
    """A story's timeline, quotes by speaker, agreement/difference between outlets and cited summary."""
    with _opened(db) as store:
        story = store.get_story(story_id)
        if story is None:
            err.print(f"[red]error:[/red] no story {story_id!r}")
            raise typer.Exit(2)
        analysis, by_id = _story_analysis(store, story, {a.id: a for a in store.get_articles(story.article_ids)})
        if analysis is not None and dates > 0:
            analysis = _ranked(store, analysis, by_id, dates, sentences)
    if as_json:
        _print_json(analysis_json(analysis, by_id))
        return
    console.rule(f"[bold]Story {story.id}[/bold] {story.title or ''}")
    print_analysis(console, analysis, by_id)
