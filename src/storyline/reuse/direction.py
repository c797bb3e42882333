"""Direction: who published first. Dates, then citation cues naming the other article's outlet ("TASS
reported", "according to The Washington Post"), then ingest order; the rule that decided and how sure it is."""

from __future__ import annotations

import re
from functools import lru_cache

from ..model import Article

_CITE_BEFORE = r"(?:according\s+to|reported\s+by|cited\s+by|quoted\s+by|citing|quoting|via|told|source:|sources?\s+at|from|by)\s+(?:the\s+)?"
_CITE_AFTER = r"(?:'s)?\s+(?:reported|reports|said|says|wrote|writes|quoted|cited|has\s+reported|news\s+agency|agency|quote|learnt|learned)"


@lru_cache(maxsize=4096)
def _outlet_patterns(outlet: str) -> tuple[re.Pattern[str], re.Pattern[str], str | None] | None:
    name = re.sub(r"^\s*the\s+", "", outlet.strip(), flags=re.I)
    if len(name) < 2:
        return None
    esc = re.escape(name).replace(r"\ ", r"\s+")
    strong = re.compile(rf"(?:{_CITE_BEFORE}{esc}\b|\b{esc}{_CITE_AFTER}\b|/\s*{esc}\s*/|\(\s*{esc}\s*\))", re.I)
    bare = re.compile(rf"(?<![\w]){esc}(?![\w])", re.I if not name.isupper() else 0)
    # every match of either pattern contains the name's first word: in ASCII text, a text without it
    # (compared lower-cased) matches neither, and the regexes (which try every position) are skipped
    first = name.split(" ")[0].lower()
    return strong, bare, first if first and first.isascii() else None


def citation_strength(text: str, outlet: str | None) -> float:
    """How clearly ``text`` credits ``outlet`` as its source: 0 (no mention), 0.6 (named), 0.85 (credited)."""
    if not outlet:
        return 0.0
    pats = _outlet_patterns(outlet)
    if pats is None:
        return 0.0
    strong, bare, first = pats
    if first is not None and text.isascii() and first not in text.lower():
        return 0.0
    if strong.search(text):
        return 0.85
    if bare.search(text):
        return 0.6
    return 0.0


def cites(article: Article, outlet: str | None) -> bool:
    """Whether ``article`` credits ``outlet`` as its source ("TASS reported", "according to TASS", "(TASS)"),
    not merely names it: the cue the direction rule uses, public so that others (an outlet network) can too."""
    return citation_strength(article.text, outlet) >= 0.85


def _same_outlet(a: Article, b: Article) -> bool:
    return bool(a.outlet and b.outlet and a.outlet.strip().lower() == b.outlet.strip().lower())


def decide_direction(a: Article, b: Article) -> tuple[Article, Article, str, float]:
    """(source, target, rule, confidence): who published first."""
    # 1. dates, compared at the precision both have
    if a.published and b.published:
        both_minute = a.date_precision == "minute" and b.date_precision == "minute"
        da = a.published if both_minute else a.published.date()
        db = b.published if both_minute else b.published.date()
        if da != db:
            src, tgt = (a, b) if da < db else (b, a)
            if both_minute:
                minutes = abs((a.published - b.published).total_seconds()) / 60
                conf = 0.8 if minutes < 60 else 0.9
            else:
                days = abs((da - db).days)
                conf = 0.9 if days == 1 else 0.95
            # a citation cue pointing the other way lowers the confidence (dates may be wrong)
            if not _same_outlet(a, b) and citation_strength(src.text, tgt.outlet) >= 0.85:
                conf -= 0.2
            return src, tgt, "date", round(conf, 3)
    # 2. citation cues: the copy names the original's outlet
    if not _same_outlet(a, b):
        a_cites_b = citation_strength(a.text, b.outlet)
        b_cites_a = citation_strength(b.text, a.outlet)
        if a_cites_b != b_cites_a:
            if a_cites_b > b_cites_a:
                return b, a, "citation", round(a_cites_b - 0.5 * b_cites_a, 3)
            return a, b, "citation", round(b_cites_a - 0.5 * a_cites_b, 3)
    # 3. ingest order
    if a.seq is not None and b.seq is not None and a.seq != b.seq:
        src, tgt = (a, b) if a.seq < b.seq else (b, a)
        return src, tgt, "ingest-order", 0.55
    src, tgt = (a, b) if a.id <= b.id else (b, a)
    return src, tgt, "ingest-order", 0.5
