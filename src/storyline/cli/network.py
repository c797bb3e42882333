"""`storyline outlet NAME`, `storyline network`, `storyline coverage ID` and `storyline groups ...`: who copies
whom across the corpus (storyline.outlets), on top of the reuse graph and the stories in the store."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from .common import DbOption, JsonOption, _opened, _print_json, app, console, err

groups_app = typer.Typer(
    help="Outlet groups (country, owner, leaning...: a CSV you supply) and their blind spots.", no_args_is_help=True
)
app.add_typer(groups_app, name="groups")


def _hours(h: float | None) -> str:
    if h is None:
        return ""
    return f"{h:.0f} h" if h < 72 else f"{h / 24:.1f} d"


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print("[red]error:[/red] ", end="")
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def network_rows(graph: Any) -> list[dict[str, Any]]:
    """One row per outlet, most articles first (the `storyline outlets` network columns)."""
    from ..outlets.export import outlet_dict

    return [outlet_dict(o) for o in sorted(graph.outlets.values(), key=lambda o: (-o.articles, o.outlet))]


@app.command()
def outlet(
    name: str = typer.Argument(..., help="Outlet name (case and spacing ignored)."),
    db: Path | None = DbOption,
    as_json: bool = JsonOption,
    top: int = typer.Option(10, "--top", help="Sources and copiers listed."),
) -> None:
    """One outlet: how original it is, how often it is first, and whom it copies and who copies it (copies,
    rewrites, partial reuses, share of its articles, lag, how much is kept and added, whether it cites)."""
    from ..outlets import outlet_graph
    from ..outlets.export import outlet_dict, pair_dict

    with _opened(db) as store:
        graph = outlet_graph(store)
    stats = graph.outlet(name)
    if stats is None:
        raise _fail(f"no outlet {name!r} in the store (storyline outlets lists them)")
    sources = graph.sources_of(stats.outlet)[:top]
    copiers = graph.copiers_of(stats.outlet)[:top]
    if as_json:
        _print_json(
            {
                **outlet_dict(stats),
                "sources": [pair_dict(p) for p in sources],
                "copiers": [pair_dict(p) for p in copiers],
            }
        )
        return
    console.print(Text(stats.outlet, style="bold"))
    console.print(
        f"{stats.articles} articles · {stats.original_share:.0%} original · in {stats.stories} stories · "
        f"first in {stats.first} ({stats.first_share:.0%}) · median delay behind the first report "
        f"{_hours(stats.delay_hours_median) or 'n/a'}",
        highlight=False,
    )
    for title, pairs, other in (("Takes from", sources, "source"), ("Taken by", copiers, "copier")):
        table = Table(title=f"{title} ({len(pairs)})")
        for col in (other, "copies", "rewrites", "partial", "share", "lag (median)", "kept", "added", "cites"):
            table.add_column(col, overflow="fold")
        for p in pairs:
            table.add_row(
                Text(getattr(p, other)),
                str(p.copies),
                str(p.rewrites),
                str(p.partial),
                f"{p.share:.0%}",
                _hours(p.lag_hours_median),
                "" if p.source_kept is None else f"{p.source_kept:.0%}",
                "" if p.added is None else f"{p.added:.0%}",
                f"{p.cited_share:.0%}",
            )
        console.print(table)


@app.command()
def network(
    db: Path | None = DbOption,
    fmt: str = typer.Option("json", "--format", help="json, csv or graphml (Gephi)."),
    table: str = typer.Option("pairs", "--table", help="With --format csv: pairs or outlets."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File to write (default: standard output)."),
) -> None:
    """Export the outlet network: outlets and source -> copier pairs with their counts, shares and lags (hours)."""
    from ..outlets import outlet_graph, to_csv, to_graphml, to_json

    if fmt not in ("json", "csv", "graphml"):
        raise _fail(f"unknown format {fmt!r} (json, csv or graphml)")
    if table not in ("pairs", "outlets"):
        raise _fail(f"unknown table {table!r} (pairs or outlets)")
    with _opened(db) as store:
        graph = outlet_graph(store)
    text = to_json(graph) if fmt == "json" else to_csv(graph, table) if fmt == "csv" else to_graphml(graph)
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output} ({len(graph.outlets)} outlets, {len(graph.pairs)} pairs)", highlight=False)


def coverage_json(cov: Any) -> dict[str, Any]:
    from ..outlets.export import coverage_dict

    return coverage_dict(cov)


@app.command()
def coverage(
    story_id: str = typer.Argument(..., help="Story id (or unique prefix)."),
    db: Path | None = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """A story's coverage: who reported first, the original of every copy chain, the order in which outlets
    joined, and articles per outlet per day."""
    from ..outlets import story_coverage

    with _opened(db) as store:
        sid = store.resolve_story_id(story_id)
        cov = story_coverage(store, sid) if sid else None
    if cov is None:
        raise _fail(f"no story {story_id!r}")
    if as_json:
        _print_json(coverage_json(cov))
        return
    console.print(Text(cov.title or cov.story_id, style="bold"))
    first = cov.first
    console.print(
        "first report: " + (f"{first.outlet} ({first.published:%Y-%m-%d}, {first.id})" if first else "none dated"),
        highlight=False,
        markup=False,
    )
    joined = Table(title="Outlets in the order they joined")
    for col in ("outlet", "first article", "articles", "behind the first"):
        joined.add_column(col)
    for j in cov.joined:
        when = f"{j.first_article.published:%Y-%m-%d}" if j.first_article.published else "undated"
        joined.add_row(Text(j.outlet), f"{when} {j.first_article.id}", str(j.articles), _hours(j.delay_hours))
    console.print(joined)
    if cov.chains:
        chains = Table(title="Copy chains (original first)")
        chains.add_column("original")
        chains.add_column("copies")
        for c in cov.chains:
            chains.add_row(
                Text(f"{c.original.outlet} {c.original.id}"), Text(", ".join(f"{x.outlet} {x.id}" for x in c.copies))
            )
        console.print(chains)
    days = Table(title="Articles per outlet per day")
    days.add_column("outlet")
    columns = list(cov.days) + (["undated"] if any("undated" in per for per in cov.per_day.values()) else [])
    for d in columns:
        days.add_column(d[5:] if d != "undated" else d)
    for name, per in cov.per_day.items():
        days.add_row(Text(name), *[str(per.get(d, "")) for d in columns])
    console.print(days)


@groups_app.command("load")
def groups_load(
    file: Path = typer.Argument(..., help="CSV: an outlet column, then one column per dimension (group names)."),
    db: Path | None = DbOption,
) -> None:
    """Load (replace) the outlet groups from a CSV, e.g. `outlet,country,owner`."""
    from ..outlets import GroupsError, load_groups

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{file}: cannot read ({exc})") from exc
    with _opened(db) as store:
        try:
            groups = load_groups(store, text)
        except GroupsError as exc:
            raise _fail(f"{file}: {exc}") from exc
        unmatched = groups.unmatched(store.article_outlet_names())  # not the whole graph: one indexed query
    err.print(
        f"loaded {len(groups.names)} outlets in {len(groups.dimensions)} dimensions ({', '.join(groups.dimensions)})",
        markup=False,
        highlight=False,
    )
    if unmatched:
        err.print(f"  not in the store (yet): {', '.join(unmatched)}", markup=False, highlight=False, soft_wrap=True)


@groups_app.command("blind-spots")
def groups_blind_spots(
    story_id: str | None = typer.Argument(None, help="One story (with the groups carrying each claim); default: all."),
    db: Path | None = DbOption,
    as_json: bool = JsonOption,
    limit: int = typer.Option(20, "--limit", help="Stories listed (most recent activity first)."),
) -> None:
    """Which groups covered each story and which did not; for one story, also which groups carry each
    consensus and unique claim of its analysis."""
    from ..outlets import GroupsError, blind_spots, story_blind_spots

    with _opened(db) as store:
        try:
            if story_id:
                sid = store.resolve_story_id(story_id)
                from ..analyze import analysis_for

                one = story_blind_spots(store, sid, analysis=analysis_for(store, sid)) if sid else None
                if one is None:
                    raise _fail(f"no story {story_id!r}")
                spots = [one]
            else:
                spots = blind_spots(store)[:limit]
        except GroupsError as exc:
            raise _fail(f"{exc} (storyline groups load FILE)") from exc
    if as_json:
        _print_json([asdict(s) for s in spots] if not story_id else asdict(spots[0]))
        return
    for s in spots:
        console.print(Text(f"{s.title or s.story_id}  ({s.story_id})", style="bold"))
        for d in s.dimensions:
            covered = ", ".join(f"{g} ({len(o)})" for g, o in d.covered.items()) or "none"
            console.print(Text(f"  {d.dimension}: covered by {covered}; not by {', '.join(d.missing) or '-'}"))
        for c in s.claims:
            carried = "; ".join(f"{dim}: {', '.join(g) or '-'}" for dim, g in c.carried_by.items())
            console.print(Text(f"  [{c.kind}] {c.label[:100]} — {carried}"))
