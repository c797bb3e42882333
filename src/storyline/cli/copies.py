"""`storyline reuse` and `duplicates`: what an article shares with others, and the groups of duplicates."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..model import to_dict
from .common import DbOption, JsonOption, _date, _opened, _print_json, app, console, err
from .views import _article_brief


def _short(text: str, n: int = 220) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@app.command("reuse")
def reuse_cmd(
    article_id: str = typer.Argument(..., help="Article id (or a unique prefix of 6+ characters)."),
    db: Path | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Show what an article shares with others: matched passages side by side with their sources."""
    from ..reuse import edges_of

    with _opened(db) as store:
        a, edges = edges_of(store, article_id)
        others = {o.id: o for o in store.get_articles({e.source_id for e in edges} | {e.target_id for e in edges})}
    if a is None:
        err.print(f"[red]error:[/red] no article {article_id!r}")
        raise typer.Exit(2)
    if as_json:
        _print_json({"article": _article_brief(a), "edges": [to_dict(e) for e in edges]})
        return
    console.rule(f"[bold]{a.title or a.id}[/bold] [dim]({a.outlet or 'unknown outlet'}, {a.id})")
    if not edges:
        console.print("No copies or rewrites found: this article shares no passage with another stored article.")
        return
    for e in edges:
        copied = e.target_id == a.id
        other = others.get(e.source_id if copied else e.target_id)
        other_name = (
            f"{other.outlet or 'unknown outlet'} {other.id}" if other else (e.source_id if copied else e.target_id)
        )
        head = (
            f"[bold]{e.relation}[/bold] of {other_name}"
            if copied
            else f"its text is reused by {other_name} ([bold]{e.relation}[/bold])"
        )
        console.print(
            f"\n{head} · confidence {e.confidence:.2f} · source covered {e.source_coverage:.0%}, copy covered "
            f"{e.target_coverage:.0%} · first: {e.source_id[:10]} by {e.direction_rule} ({e.direction_confidence:.2f})"
        )
        table = Table(show_lines=True)
        this_col, other_col = ("this article (copy)", "source") if copied else ("this article (source)", "copy")
        table.add_column("#", no_wrap=True)
        table.add_column(this_col, overflow="fold", ratio=1)
        table.add_column("#", no_wrap=True)
        table.add_column(other_col, overflow="fold", ratio=1)
        table.add_column("match", no_wrap=True)
        for p in e.passages:
            mine, theirs = (p.target_index, p.target_text), (p.source_index, p.source_text)
            if not copied:
                mine, theirs = theirs, mine
            table.add_row(str(mine[0]), _short(mine[1]), str(theirs[0]), _short(theirs[1]), f"{p.kind}\n{p.score:.2f}")
        console.print(table)


@app.command("duplicates")
def duplicates_cmd(db: Path | None = DbOption, as_json: bool = JsonOption) -> None:
    """List groups of duplicate articles (exact and near-duplicates), the earliest first."""
    from ..reuse import duplicates

    with _opened(db) as store:
        groups = duplicates(store)
        arts = {a.id: a for a in store.get_articles([i for g in groups for i in g])}
    if as_json:
        _print_json([[_article_brief(arts[i]) if i in arts else {"id": i} for i in g] for g in groups])
        return
    if not groups:
        console.print("No duplicate groups.")
        return
    table = Table(title=f"Duplicate groups ({len(groups)})")
    for col in ("group", "id", "outlet", "date", "title"):
        table.add_column(col, overflow="fold")
    for n, g in enumerate(groups, 1):
        for k, i in enumerate(g):
            x = arts.get(i)
            table.add_row(
                str(n) if k == 0 else "",
                i,
                (x.outlet or "") if x else "",
                _date(x) if x else "",
                (x.title or x.paragraphs[0][:70]) if x else "",
            )
    console.print(table)
