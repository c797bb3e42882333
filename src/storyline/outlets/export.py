"""The outlet graph as CSV (one row per pair, or per outlet), JSON, and GraphML (for Gephi and other graph
tools: outlets are nodes, source -> copier pairs are directed edges weighted by their reuse count)."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import asdict
from typing import Any

from ..model import to_dict
from .coverage import StoryCoverage
from .graph import OutletGraph, OutletStats, PairStats

UNITS = {
    "lag_hours_median": "hours",
    "lag_hours_p90": "hours",
    "delay_hours_median": "hours",
    "delay_hours_p90": "hours",
}

PAIR_FIELDS = (
    "source",
    "copier",
    "total",
    "copies",
    "exact",
    "near",
    "rewrites",
    "partial",
    "copier_articles",
    "share",
    "partial_share",
    "lag_count",
    "lag_hours_median",
    "lag_hours_p90",
    "source_kept",
    "added",
    "cited",
    "named",
    "cited_share",
)
OUTLET_FIELDS = (
    "outlet",
    "articles",
    "original",
    "original_share",
    "stories",
    "first",
    "first_share",
    "delay_count",
    "delay_hours_median",
    "delay_hours_p90",
    "top_sources",
    "top_copiers",
)


def pair_dict(p: PairStats) -> dict[str, Any]:
    d = asdict(p)
    d.update(
        copies=p.copies,
        total=p.total,
        share=round(p.share, 4),
        partial_share=round(p.partial_share, 4),
        cited_share=round(p.cited_share, 4),
    )
    return {k: d[k] for k in PAIR_FIELDS}


def outlet_dict(o: OutletStats) -> dict[str, Any]:
    d = asdict(o)
    d.update(
        original_share=round(o.original_share, 4),
        first_share=round(o.first_share, 4),
        top_sources=[{"outlet": n, "reuses": c} for n, c in o.top_sources],
        top_copiers=[{"outlet": n, "reuses": c} for n, c in o.top_copiers],
    )
    return {k: d[k] for k in OUTLET_FIELDS}


def coverage_dict(cov: StoryCoverage) -> dict[str, Any]:
    """A story's coverage as JSON: its fields (dates ISO) and ``first_original``."""
    return {**to_dict(cov), "first_original": to_dict(cov.first_original)}


def _pairs(graph: OutletGraph) -> list[PairStats]:
    return sorted(graph.pairs.values(), key=lambda p: (-p.total, p.source, p.copier))


def _outlets(graph: OutletGraph) -> list[OutletStats]:
    return sorted(graph.outlets.values(), key=lambda o: (-o.articles, o.outlet))


def to_json(graph: OutletGraph) -> str:
    """The whole graph: outlets (most articles first), pairs (most reuses first), units of the lag fields."""
    rev = graph.revision
    return json.dumps(
        {
            "revision": list(rev) if isinstance(rev, tuple) else rev,
            "units": UNITS,
            "outlets": [outlet_dict(o) for o in _outlets(graph)],
            "pairs": [pair_dict(p) for p in _pairs(graph)],
        },
        ensure_ascii=False,
    )


def to_csv(graph: OutletGraph, table: str = "pairs") -> str:
    """``table="pairs"``: one row per source -> copier pair; ``"outlets"``: one row per outlet (top sources
    and copiers as "name (count); ..."). Lags and delays are in hours."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if table == "pairs":
        w.writerow(PAIR_FIELDS)
        for p in _pairs(graph):
            d = pair_dict(p)
            w.writerow(["" if d[k] is None else d[k] for k in PAIR_FIELDS])
    elif table == "outlets":
        w.writerow(OUTLET_FIELDS)
        for o in _outlets(graph):
            d = outlet_dict(o)
            d["top_sources"] = "; ".join(f"{n} ({c})" for n, c in o.top_sources)
            d["top_copiers"] = "; ".join(f"{n} ({c})" for n, c in o.top_copiers)
            w.writerow(["" if d[k] is None else d[k] for k in OUTLET_FIELDS])
    else:
        raise ValueError(f"table must be 'pairs' or 'outlets', not {table!r}")
    return buf.getvalue()


# characters XML 1.0 cannot carry at all (escaping does not help): control characters, surrogates, U+FFFE/F
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: Any) -> str:
    """A value as XML character data: characters XML 1.0 cannot hold are dropped (ElementTree escapes the rest)."""
    return _NOT_XML.sub("", str(value))


_NODE_KEYS = (
    ("label", "string"),
    ("articles", "int"),
    ("original_share", "double"),
    ("stories", "int"),
    ("first", "int"),
    ("delay_hours_median", "double"),
)
_EDGE_KEYS = (
    ("weight", "double"),
    ("copies", "int"),
    ("rewrites", "int"),
    ("partial", "int"),
    ("share", "double"),
    ("lag_hours_median", "double"),
    ("lag_hours_p90", "double"),
    ("source_kept", "double"),
    ("added", "double"),
    ("cited_share", "double"),
)


def to_graphml(graph: OutletGraph) -> str:
    """GraphML (``edgedefault="directed"``): node ``label`` is the outlet's name; an edge runs from the source
    outlet to the copier, ``weight`` = its reuses (copies + rewrites + partial reuses). Lags in hours."""
    ns = "http://graphml.graphdrawing.org/xmlns"
    root = ET.Element("graphml", {"xmlns": ns})
    for name, typ in _NODE_KEYS:
        ET.SubElement(root, "key", {"id": f"n_{name}", "for": "node", "attr.name": name, "attr.type": typ})
    for name, typ in _EDGE_KEYS:
        ET.SubElement(root, "key", {"id": f"e_{name}", "for": "edge", "attr.name": name, "attr.type": typ})
    g = ET.SubElement(root, "graph", {"id": "outlets", "edgedefault": "directed"})
    ids: dict[str, str] = {}
    names = sorted(
        {o.outlet for o in graph.outlets.values()} | {n for p in graph.pairs.values() for n in (p.source, p.copier)}
    )
    for k, name in enumerate(names):
        ids[name] = f"n{k}"
        node = ET.SubElement(g, "node", {"id": ids[name]})
        o = graph.outlets.get(name)
        values: dict[str, object] = {"label": name}
        if o is not None:
            values.update(
                articles=o.articles,
                original_share=round(o.original_share, 4),
                stories=o.stories,
                first=o.first,
                delay_hours_median=o.delay_hours_median,
            )
        for key, _ in _NODE_KEYS:
            if values.get(key) is not None:
                ET.SubElement(node, "data", {"key": f"n_{key}"}).text = xml_text(values[key])
    for k, p in enumerate(_pairs(graph)):
        edge = ET.SubElement(g, "edge", {"id": f"e{k}", "source": ids[p.source], "target": ids[p.copier]})
        edge_values: dict[str, object] = {
            "weight": p.total,
            "copies": p.copies,
            "rewrites": p.rewrites,
            "partial": p.partial,
            "share": round(p.share, 4),
            "lag_hours_median": p.lag_hours_median,
            "lag_hours_p90": p.lag_hours_p90,
            "source_kept": p.source_kept,
            "added": p.added,
            "cited_share": round(p.cited_share, 4),
        }
        for key, _ in _EDGE_KEYS:
            if edge_values.get(key) is not None:
                ET.SubElement(edge, "data", {"key": f"e_{key}"}).text = xml_text(edge_values[key])
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
