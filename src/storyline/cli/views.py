"""What several commands print: the article and story tables and briefs, a story's header and events, and
a story's analysis (timeline, quotes, agreement, cited summary) as text or JSON."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ..model import Article, to_dict
from .common import _date, console


def _articles_table(articles: list[Article], title: str = "Articles") -> Table:
    table = Table(title=title, show_lines=False)
    table.add_column("id", no_wrap=True)
    table.add_column("date", no_wrap=True)
    for col in ("outlet", "title", "words"):
        table.add_column(col, overflow="fold")
    for a in articles:
        table.add_row(a.id, _date(a), a.outlet or "", (a.title or a.paragraphs[0][:70] + "…"), str(a.word_count))
    return table


def _article_brief(a: Article) -> dict[str, Any]:
    return {
        "id": a.id,
        "source": a.source,
        "title": a.title,
        "outlet": a.outlet,
        "author": a.author,
        "dateline": a.dateline,
        "published": a.published.isoformat() if a.published else None,
        "date_precision": a.date_precision,
        "language": a.language,
        "words": a.word_count,
    }


def _span(first, last) -> str:
    if not first:
        return ""
    a = first.strftime("%Y-%m-%d")
    b = last.strftime("%Y-%m-%d") if last else a
    return a if a == b else f"{a} – {b}"


def _story_brief(s) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "articles": len(s.article_ids),
        "events": len(s.events),
        "outlets": s.outlets,
        "entities": s.entities,
        "first_date": s.first_date.isoformat() if s.first_date else None,
        "last_date": s.last_date.isoformat() if s.last_date else None,
    }


def _stories_table(stories: list, title: str = "Stories") -> Table:
    table = Table(title=title)
    for col in ("story", "title", "articles", "events", "outlets", "dates"):
        table.add_column(col, overflow="fold")
    for s in stories:
        table.add_row(
            s.id,
            s.title or "",
            str(len(s.article_ids)),
            str(len(s.events)),
            ", ".join(s.outlets),
            _span(s.first_date, s.last_date),
        )
    return table


def _print_story_header(s) -> None:
    console.rule(f"[bold]{s.title or '(untitled story)'}")
    for key, value in (
        ("id", s.id),
        ("articles", str(len(s.article_ids))),
        ("dates", _span(s.first_date, s.last_date)),
        ("outlets", ", ".join(s.outlets)),
        ("entities", ", ".join(s.entities)),
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
        console.print(
            f"{e.title or ''}  ({len(e.article_ids)} article{'s' if len(e.article_ids) != 1 else ''})",
            markup=False,
            highlight=False,
        )
        if articles is not None:
            for aid in e.article_ids:
                a = articles.get(aid)
                if a is None:
                    continue
                line = f"   {a.id}  {_date(a) or 'undated':<10}  {a.outlet or '?':<20}  {a.title or a.paragraphs[0][:70] + '…'}"
                console.print(line, markup=False, highlight=False)


def _story_analysis(store, s, arts: dict[str, Article]):
    """(analysis, articles ordered by date) for a story; the analysis is cached in the store."""
    from ..analyze import analysis_for

    analysis = analysis_for(store, s.id)
    by_date = {a.id: a for a in sorted(arts.values(), key=Article.chronological_key)}
    return analysis, by_date


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
            for c in item.citations if hasattr(item, "citations") else item.claims:
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
            console.print(
                f"{tag} {escape(g.label)} [cyan]{_cite(g.claims, numbers)}[/cyan] [dim]{escape(', '.join(g.outlets))}[/dim]"
            )
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
            label = a.outlet if a and a.outlet else f"article [{numbers.get(origin, '?')}]"
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
            f"{escape(a.title or a.paragraphs[0][:60] + '…')}{extra}"
        )


def analysis_json(analysis, articles_by_id: dict[str, Article]) -> dict[str, Any]:
    numbers = {aid: k + 1 for k, aid in enumerate(articles_by_id)}
    return to_dict(analysis) | {
        "articles": [
            {
                "number": numbers[aid],
                "id": aid,
                "outlet": a.outlet,
                "title": a.title,
                "published": a.published.isoformat() if a.published else None,
            }
            for aid, a in articles_by_id.items()
        ]
    }
