"""Command line: ``storyline COMMAND --help``.

Every command takes ``--db FILE`` (default ``$STORYLINE_DB`` or ``./storyline.db``);
every listing or show command takes ``--json``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..model import Article, to_dict
from ..pipeline import IngestReport, Pipeline
from ..store import StoreError, default_db_path
from .common import DbOption, JsonOption, _date, _opened, _print_json, app, console, err

# ----------------------------------------------------------------------------- ingest


def _run_ingest(pipeline: Pipeline, paths: list[str], quiet: bool = False,
                columns: dict[str, str] | None = None) -> IngestReport:
    """``columns``: a field mapping for this run's inputs only (not saved with the store's settings)."""
    import dataclasses

    from ..ingest import count_inputs, read_inputs

    cfg = dataclasses.replace(pipeline.config.ingest, columns=columns) if columns else pipeline.config.ingest
    total = count_inputs(paths, cfg)
    before = pipeline.store.count_articles()
    try:
        with Progress(
            TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err, disable=quiet or not err.is_terminal, transient=True,
        ) as progress:
            task = progress.add_task("ingest", total=total)
            report = pipeline.ingest(read_inputs(paths, cfg),
                                     on_progress=lambda n: progress.advance(task, n))
    except Exception as exc:  # not the input's fault (those are rejections): stop, and say what is kept
        kept = pipeline.store.count_articles()
        _internal_error("ingest", exc, f"{kept - before} articles of this run were committed before it and are "
                                       f"kept ({kept} stored in all); nothing half-written was stored")
    return report


def _internal_error(what: str, exc: BaseException, kept: str | None = None) -> NoReturn:
    """Stop a command on an error that is not a problem of its input: a clear message, exit code 3."""
    err.print(f"[red]error:[/red] {what} stopped by an internal error (not a problem of the input):", highlight=False,
              soft_wrap=True)
    err.print(f"  {type(exc).__name__}: {exc}", markup=False, highlight=False, soft_wrap=True)
    if kept:
        err.print(f"  {kept}", markup=False, highlight=False, soft_wrap=True)
    err.print("  `storyline doctor` checks the installation; STORYLINE_DEBUG=1 shows the trace", markup=False,
              highlight=False, soft_wrap=True)
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
        err.print("  skipped: " + " · ".join(f"{reason} ({n})" for reason, n in by_reason),
                  markup=False, highlight=False, soft_wrap=True)
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
    paths: list[str] = typer.Argument(..., help="Files, folders (recursive) or - for standard input: text, HTML, "
                                       "JSON, JSONL (also news-please and trafilatura output), CSV, Parquet, WARC; "
                                       "any of them as .gz or in a .zip."),
    db: Optional[Path] = DbOption,
    as_json: bool = JsonOption,
    no_stories: bool = typer.Option(False, "--no-stories", help="Only clean and store (skip copy detection and clustering)."),
    mapping: str | None = typer.Option(
        None, "--map", metavar="FIELD=COLUMN,…",
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
    with _opened(db) as store:
        items = store.list_articles(limit=limit, offset=offset, outlet=outlet)
        total = store.count_articles()
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
    with _opened(db) as store:
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
    err.print(f"exported {n} articles" + (f" to {output}" if output else ""))


# ----------------------------------------------------------------------------- outlets


@app.command()
def outlets(
    changes: Optional[list[str]] = typer.Argument(
        None, help="With --set: FIELD=VALUE (name, language, country, domains)."),
    set_domain: Optional[str] = typer.Option(None, "--set", help="Edit the row of this domain (made if missing)."),
    db: Optional[Path] = DbOption,
    as_json: bool = JsonOption,
) -> None:
    """Outlets: the outlet table (name, domains, language, country; filled as articles arrive from URLs) and
    every outlet the articles name, with its place in the copy network (share original, stories it was first
    in, its top source and top copier; `storyline outlet NAME` for the detail).

    Edit a row: storyline outlets --set example.com name="Example News" country=GB language=en
    (domains=a.com,b.com sets the row's whole domain list). Articles ingested afterwards from its domains
    get the new name; articles already stored keep theirs."""
    from ..outlet_table import normalise_domain, parse_changes

    if changes and not set_domain:
        err.print("[red]error:[/red] FIELD=VALUE needs --set DOMAIN (e.g. --set example.com name=\"Example News\")")
        raise typer.Exit(2)
    with _opened(db) as store:
        if set_domain:
            try:
                domain, fields = normalise_domain(set_domain), parse_changes(changes or [])
                if not fields:
                    raise ValueError("nothing to set: give FIELD=VALUE (name, language, country, domains)")
                row = store.update_outlet(domain, fields)
            except (ValueError, NotImplementedError) as exc:
                err.print("[red]error:[/red] ", end="")
                err.print(str(exc), markup=False, highlight=False)
                raise typer.Exit(2) from exc
            rows = [row]
        else:
            rows = store.list_outlets()
        counts = store.count_articles_by_outlet(o.name for o in rows)
        data = [to_dict(o) | {"articles": counts.get(o.name, 0), "in_table": True} for o in rows]
        if not set_domain:  # every outlet of the store, with its place in the copy network
            from ..outlets import outlet_graph, outlet_key
            from .network import network_rows

            by_key = {outlet_key(d["name"]): d for d in data}
            for net in network_rows(outlet_graph(store)):
                row = by_key.get(outlet_key(net["outlet"]))
                if row is None:
                    row = by_key[outlet_key(net["outlet"])] = {"name": net["outlet"], "domains": [], "language": None,
                                                               "country": None, "articles": net["articles"],
                                                               "in_table": False}
                    data.append(row)
                row["network"] = net
            data.sort(key=lambda d: (-d["articles"], d["name"]))
    if as_json:
        _print_json(data[0] if set_domain else data)
        return
    title = "Outlet updated (articles stored before keep their outlet)" if set_domain else f"Outlets ({len(data)})"
    table = Table(title=title)
    cols = ["name", "domains", "language", "country", "articles"]
    if not set_domain:
        cols += ["original", "first in", "top source", "top copier"]
    for col in cols:
        table.add_column(col, overflow="fold")
    from rich.text import Text

    for d in data:  # names as plain text, never as markup
        cells = [Text(d["name"]), Text(", ".join(d["domains"])), d["language"] or "", d["country"] or "",
                 str(d["articles"])]
        if not set_domain:
            net = d.get("network") or {}
            top_s, top_c = net.get("top_sources") or [], net.get("top_copiers") or []
            cells += [f"{net['original_share']:.0%}" if net else "", f"{net.get('first', '')}",
                      Text(f"{top_s[0]['outlet']} ({top_s[0]['reuses']})" if top_s else ""),
                      Text(f"{top_c[0]['outlet']} ({top_c[0]['reuses']})" if top_c else "")]
        table.add_row(*cells)
    console.print(table)


# ----------------------------------------------------------------------------- the main job


@app.command()
def run(
    paths: list[str] = typer.Argument(..., help="Files or folders to read (e.g. examples/seeds)."),
    db: Optional[Path] = DbOption,
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
            biggest = sorted(store.list_stories(limit=1000), key=lambda st: -len(st.article_ids))[:max(0, analyse)]
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


# ---- reuse commands ----


def _short(text: str, n: int = 220) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@app.command("reuse")
def reuse_cmd(
    article_id: str = typer.Argument(..., help="Article id (or a unique prefix of 6+ characters)."),
    db: Optional[Path] = DbOption,
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
        other_name = f"{other.outlet or 'unknown outlet'} {other.id}" if other else (e.source_id if copied else e.target_id)
        head = (f"[bold]{e.relation}[/bold] of {other_name}" if copied else f"its text is reused by {other_name} ([bold]{e.relation}[/bold])")
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
def duplicates_cmd(db: Optional[Path] = DbOption, as_json: bool = JsonOption) -> None:
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
            table.add_row(str(n) if k == 0 else "", i, (x.outlet or "") if x else "", _date(x) if x else "",
                          (x.title or x.paragraphs[0][:70]) if x else "")
    console.print(table)

# ---- story commands ----


def _span(first, last) -> str:
    if not first:
        return ""
    a = first.strftime("%Y-%m-%d")
    b = last.strftime("%Y-%m-%d") if last else a
    return a if a == b else f"{a} – {b}"


def _story_brief(s) -> dict[str, Any]:
    return {
        "id": s.id, "title": s.title, "articles": len(s.article_ids), "events": len(s.events), "outlets": s.outlets,
        "entities": s.entities, "first_date": s.first_date.isoformat() if s.first_date else None,
        "last_date": s.last_date.isoformat() if s.last_date else None,
    }


def _stories_table(stories: list, title: str = "Stories") -> Table:
    table = Table(title=title)
    for col in ("story", "title", "articles", "events", "outlets", "dates"):
        table.add_column(col, overflow="fold")
    for s in stories:
        table.add_row(s.id, s.title or "", str(len(s.article_ids)), str(len(s.events)), ", ".join(s.outlets), _span(s.first_date, s.last_date))
    return table


@app.command()
def cluster(
    db: Optional[Path] = DbOption,
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
        _print_json({"articles": len(assignments), "stories": n_stories, "events": n_events, "copies": copies,
                     "seconds": round(took, 3), "top": [_story_brief(s) for s in stories]})
        return
    err.print(f"clustered {len(assignments)} articles into [green]{n_stories}[/green] stories and {n_events} events"
              f" ({copies} copies joined their original) in {took:.1f}s")
    if stories:
        console.print(_stories_table(stories, title="Most recent stories"))


@app.command()
def stories(
    db: Optional[Path] = DbOption,
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


def _print_story_header(s) -> None:
    console.rule(f"[bold]{s.title or '(untitled story)'}")
    for key, value in (
        ("id", s.id), ("articles", str(len(s.article_ids))), ("dates", _span(s.first_date, s.last_date)),
        ("outlets", ", ".join(s.outlets)), ("entities", ", ".join(s.entities)),
    ):
        if value:
            console.print(f"[dim]{key:>9}[/dim] ", end="")
            console.print(value, markup=False, highlight=False)


def _print_story_events(s, articles: dict[str, Article] | None = None) -> None:
    """The story's events in order; with ``articles`` (id -> Article), each event's articles too."""
    console.print()
    for i, e in enumerate(s.events, 1):
        span = _span(e.start, e.end) or "undated"
        console.print(f"[bold]{i}. {span}[/bold] ", end="")
        console.print(f"{e.title or ''}  ({len(e.article_ids)} article{'s' if len(e.article_ids) != 1 else ''})", markup=False, highlight=False)
        if articles is not None:
            for aid in e.article_ids:
                a = articles.get(aid)
                if a is None:
                    continue
                line = f"   {a.id}  {_date(a) or 'undated':<10}  {a.outlet or '?':<20}  {a.title or a.paragraphs[0][:70] + '…'}"
                console.print(line, markup=False, highlight=False)


def _story_json(s, articles: dict[str, Article] | None) -> dict[str, Any]:
    data = to_dict(s)
    if articles is not None:
        data["articles"] = [_article_brief(articles[a]) for a in s.article_ids if a in articles]
    return data


DatesOption = typer.Option(0, "--dates", min=0, help="A ranked timeline: the story's N key dates, most important "
                           "first (0: every dated event, in date order).")
SentencesOption = typer.Option(1, "--sentences", min=1, help="With --dates: K sentences for each date.")


@app.command()
def story(
    story_id: str = typer.Argument(..., help="Story id (a unique prefix, or an old id of a merged story)."),
    db: Optional[Path] = DbOption,
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


def _story_analysis(store, s, arts: dict[str, Article]):
    """(analysis, articles ordered by date) for a story; the analysis is cached in the store."""
    from ..analyze import analysis_for

    analysis = analysis_for(store, s.id)
    by_date = {a.id: a for a in sorted(arts.values(), key=Article.chronological_key)}
    return analysis, by_date


# ---- analysis commands ----


def _cite(cits, numbers: dict[str, int]) -> str:
    """Citations as [1,3] (article numbers of the legend), each article once, in order."""
    nums = sorted({numbers[c.article_id] for c in cits if c.article_id in numbers})
    return "[" + ",".join(str(n) for n in nums) + "]" if nums else ""


def print_analysis(console: Console, analysis, articles_by_id: dict[str, Article], max_unique: int = 6) -> None:
    """Render a story's analysis: timeline, quotes by speaker, consensus/unique claims by outlet, cited summary."""
    from rich.markup import escape

    numbers = {aid: k + 1 for k, aid in enumerate(articles_by_id)}
    copy_of: dict[str, str] = {}
    for part in (analysis.summary, analysis.claims):
        for item in part:
            for c in (item.citations if hasattr(item, "citations") else item.claims):
                if c.copy_of:
                    copy_of[c.article_id] = c.copy_of

    console.rule("[bold]Summary")
    if analysis.summary:
        for s in analysis.summary:
            console.print(f"{escape(s.text)} [cyan]{_cite(s.citations, numbers)}[/cyan]")
    else:
        console.print("[dim](no summary)[/dim]")

    console.rule("[bold]Timeline")
    if analysis.timeline:
        table = Table(show_header=True, box=None)
        for col in ("date", "what", "sources"):
            table.add_column(col, overflow="fold")
        for t in analysis.timeline:
            when = t.date.isoformat() + (f" – {t.end_date.isoformat()}" if t.end_date else "")
            if t.precision != "day":
                when += f" ({t.precision})"
            if t.resolved_from == "story":
                when += " *"
            if t.kind == "report":
                when += " (report)"
            if t.rank:
                when = f"#{t.rank} {when}"
            table.add_row(when, escape(t.text), _cite(t.sources, numbers))
        console.print(table)
        if any(t.resolved_from == "story" for t in analysis.timeline):
            console.print("[dim]* dated from the story's other articles (the article gives no date)[/dim]")
    else:
        console.print("[dim](no dated events)[/dim]")

    console.rule("[bold]Quotes by speaker")
    if analysis.quotes:
        by_speaker: dict[str, list] = {}
        for q in analysis.quotes:
            by_speaker.setdefault(q.speaker or "(unknown speaker)", []).append(q)
        for speaker, qs in sorted(by_speaker.items(), key=lambda kv: -len(kv[1])):
            kind = qs[0].speaker_kind
            console.print(f"[bold]{escape(speaker)}[/bold] [dim]({kind})[/dim]")
            for q in qs:
                text = f"“{q.text}”" if q.kind == "direct" else q.text
                console.print(f"   {escape(text)} [cyan][{numbers.get(q.article_id, '?')}][/cyan]")
    else:
        console.print("[dim](no quotes found)[/dim]")

    console.rule("[bold]Agreement and difference")
    shared = [g for g in analysis.claims if g.kind != "unique"]
    if shared:
        for g in shared:
            tag = "[green]consensus[/green]" if g.kind == "consensus" else "[yellow]partial[/yellow]"
            console.print(f"{tag} {escape(g.label)} [cyan]{_cite(g.claims, numbers)}[/cyan] [dim]{escape(', '.join(g.outlets))}[/dim]")
            for d in g.differences:
                console.print(f"    [red]differs[/red] {escape(d)}")
    else:
        console.print("[dim](no claim reported by more than one source)[/dim]")
    unique: dict[str, list] = {}
    for g in analysis.claims:
        if g.kind == "unique":
            first = g.claims[0]
            origin = copy_of.get(first.article_id, first.article_id)
            a = articles_by_id.get(origin) or articles_by_id.get(first.article_id)
            label = (a.outlet if a and a.outlet else f"article [{numbers.get(origin, '?')}]")
            unique.setdefault(label, []).append(g)
    for outlet, gs in unique.items():
        console.print(f"[bold]Only {escape(outlet)}[/bold] ({len(gs)} claims)")
        for g in gs[:max_unique]:
            console.print(f"   {escape(g.label)} [cyan]{_cite(g.claims, numbers)}[/cyan]")
        if len(gs) > max_unique:
            console.print(f"   [dim]… and {len(gs) - max_unique} more[/dim]")

    console.rule("[bold]Sources")
    for aid, k in numbers.items():
        a = articles_by_id[aid]
        extra = f" (copy of [{numbers[copy_of[aid]]}])" if aid in copy_of and copy_of[aid] in numbers else ""
        console.print(
            f"[cyan][{k}][/cyan] {aid}  {escape(a.outlet or '(outlet unknown)')}  {_date(a)}  "
            f"{escape((a.title or a.paragraphs[0][:60] + '…'))}{extra}"
        )


def analysis_json(analysis, articles_by_id: dict[str, Article]) -> dict[str, Any]:
    numbers = {aid: k + 1 for k, aid in enumerate(articles_by_id)}
    return to_dict(analysis) | {
        "articles": [
            {"number": numbers[aid], "id": aid, "outlet": a.outlet, "title": a.title,
             "published": a.published.isoformat() if a.published else None}
            for aid, a in articles_by_id.items()
        ]
    }


@app.command()
def analyze(
    story_id: str = typer.Argument(..., help="Story id (or a unique prefix)."),
    db: Optional[Path] = DbOption,
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

# ---- serving commands ----


@app.command()
def serve(
    db: Optional[Path] = DbOption,
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0 for every interface)."),
    port: int = typer.Option(8000, help="Port to listen on."),
    max_body_bytes: int = typer.Option(5_000_000, help="Largest request body accepted (413 above)."),
    max_batch: int = typer.Option(100, help="Most articles in one POST /articles (422 above)."),
    log_level: str = typer.Option("info", help="uvicorn log level (warning for quiet)."),
    analysis: str = typer.Option("auto", help="auto: compute a story's analysis when first read (cached); "
                                 "stored: only show analyses already in the store."),
    ingest_process: bool = typer.Option(True, "--ingest-process/--ingest-thread",
                                        help="Ingest POSTed articles in a worker process (keeps reads fast) or a thread."),
    workers: int = typer.Option(1, help="Server processes (each with its own ingest worker; SQLite serialises writes)."),
    cache_mb: int = typer.Option(512, help="Memory for encoded read responses, per server process (MB)."),
    max_pending_writes: int = typer.Option(64, help="POSTs waiting for the ingest worker before new ones get 503."),
    ingest_nice: int = typer.Option(0, help="CPU niceness of the ingest worker (higher, e.g. 5: reads go first when the cores are busy; writes may then wait long)."),
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
        os.environ[SERVE_ENV] = json.dumps({"db": str(path), "max_body_bytes": max_body_bytes, "max_batch": max_batch,
                                            "analysis": analysis, "ingest_process": ingest_process,
                                            "cache_bytes": cache_mb * 1024 * 1024, "max_pending_writes": max_pending_writes,
                                            "ingest_nice": ingest_nice})
        uvicorn.run("storyline.serve.app:app_from_env", factory=True, host=host, port=port, log_level=log_level,
                    workers=workers)
        return
    try:
        application = create_app(path, max_body_bytes=max_body_bytes, max_batch=max_batch,
                                 analysis=stored_analysis if analysis == "stored" else default_analysis,
                                 ingest_process=ingest_process, cache_bytes=cache_mb * 1024 * 1024,
                                 max_pending_writes=max_pending_writes, ingest_nice=ingest_nice, freeze_gc=True)
    except StoreError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    uvicorn.run(application, host=host, port=port, log_level=log_level)


@app.command()
def watch(
    folder: Path = typer.Argument(..., help="Folder to watch (recursive): new or changed files are ingested."),
    db: Optional[Path] = DbOption,
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
    feeds: Annotated[list[str], typer.Argument(
        help="RSS/Atom feeds, sitemaps or sitemap indexes (.xml or .xml.gz): URLs or files.")],
    db: Annotated[Path | None, typer.Option("--db", help="SQLite store (default: $STORYLINE_DB or ./storyline.db).",
                                            show_default=False)] = None,
    interval: Annotated[float | None, typer.Option(
        help="Seconds between polls (default: follow.interval_s, 600).")] = None,
    once: Annotated[bool, typer.Option(
        "--once", help="Poll once and exit (exit code 1 on errors or rejections).")] = False,
    max_pages: Annotated[int | None, typer.Option(
        "--max-pages", help="New pages fetched per poll (default 100).")] = None,
    no_stories: Annotated[bool, typer.Option(
        "--no-stories", help="Only clean and store (no copies, no stories).")] = False,
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
            err.print(f"following {len(feeds)} feed(s) every {cfg.interval_s if interval is None else interval:g}s "
                      "(Ctrl-C to stop)")
            follower.run(interval, on_report=show)
        except KeyboardInterrupt:
            follower.stop.set()
        finally:
            follower.close()

# ---- spark commands ----


@app.command("spark-run")
def spark_run(
    input: str = typer.Argument(..., help="JSONL, Parquet, or a folder of text/HTML files (local path or any URI Spark reads)."),
    output: str = typer.Argument(..., help="Folder (or URI) for the Parquet tables."),
    master: str = typer.Option("local[2]", "--master", help="local[N], spark://host:7077, yarn, k8s://..."),
    fmt: str = typer.Option("auto", "--format", help="auto, jsonl, parquet or files."),
    window_days: float = typer.Option(7.0, "--window-days", help="Stories are clustered per time window of this many days."),
    link: str = typer.Option("scorer", "--link", help="How story pieces of different windows are linked: scorer (the clusterer's own story-pair score) or cosine (centroids)."),
    link_threshold: float = typer.Option(0.9, "--link-threshold", help="--link cosine: centroid cosine joining story pieces of neighbouring windows."),
    partitions: int = typer.Option(0, "--partitions", help="Partitions for the articles (0: twice the cores)."),
    config_file: Optional[Path] = typer.Option(None, "--config", help="JSON file with Storyline settings."),
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
    options = SparkOptions(input_format=fmt, window_days=window_days, link=link, link_threshold=link_threshold, partitions=partitions)
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


# commands in files of their own register on the same app
from . import network  # noqa: E402,F401


@app.command()
def doctor(as_json: bool = JsonOption, db: Optional[Path] = DbOption) -> None:
    """Check that the HTML path, dates, spaCy's model and the embedding model work; say how to fix what does not."""
    from ..config import Config
    from ..doctor import run_checks

    path = db or default_db_path()
    config = Config()
    if Path(path).exists():
        with _opened(db) as store:
            config = store.load_config() or config
    checks = run_checks(config)
    if as_json:
        _print_json([to_dict(c) for c in checks])
    else:
        for c in checks:
            mark = "[green]ok[/green]  " if c.ok else "[red]FAIL[/red]"
            err.print(f"{mark} {c.name:<11} {c.seconds:5.1f} s  ", end="")
            err.print(c.detail, markup=False, highlight=False, soft_wrap=True)
            if c.fix:
                err.print(f"      fix: {c.fix}", markup=False, highlight=False, soft_wrap=True)
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


def main() -> None:
    """The `storyline` command: an error that is not the input's (a bug, a missing dependency) ends it with
    a message and exit code 3, never a bare trace; bad settings with exit code 2."""
    from ..config import ConfigError

    try:
        app()
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: report, exit non-zero
        try:
            _internal_error("storyline", exc)
        except typer.Exit as done:
            sys.exit(done.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
