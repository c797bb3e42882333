"""`storyline outlets`: the outlet table (edited with --set) and every outlet the articles name, with its
place in the copy network."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..model import to_dict
from .common import DbOption, JsonOption, _opened, _print_json, app, console, err


@app.command()
def outlets(
    changes: list[str] | None = typer.Argument(
        None, help="With --set: FIELD=VALUE (name, language, country, domains)."
    ),
    set_domain: str | None = typer.Option(None, "--set", help="Edit the row of this domain (made if missing)."),
    db: Path | None = DbOption,
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
        err.print('[red]error:[/red] FIELD=VALUE needs --set DOMAIN (e.g. --set example.com name="Example News")')
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
                entry = by_key.get(outlet_key(net["outlet"]))
                if entry is None:
                    entry = by_key[outlet_key(net["outlet"])] = {
                        "name": net["outlet"],
                        "domains": [],
                        "language": None,
                        "country": None,
                        "articles": net["articles"],
                        "in_table": False,
                    }
                    data.append(entry)
                entry["network"] = net
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
        cells = [
            Text(d["name"]),
            Text(", ".join(d["domains"])),
            d["language"] or "",
            d["country"] or "",
            str(d["articles"]),
        ]
        if not set_domain:
            net = d.get("network") or {}
            top_s, top_c = net.get("top_sources") or [], net.get("top_copiers") or []
            cells += [
                f"{net['original_share']:.0%}" if net else "",
                f"{net.get('first', '')}",
                Text(f"{top_s[0]['outlet']} ({top_s[0]['reuses']})" if top_s else ""),
                Text(f"{top_c[0]['outlet']} ({top_c[0]['reuses']})" if top_c else ""),
            ]
        table.add_row(*cells)
    console.print(table)
