"""The outlet table's rules (pure functions; the store keeps the table, the pipeline applies it at ingest).

One row per publisher: its ``name``, the registered ``domains`` it publishes under, its ``language``
and ``country``. Rules:

* At ingest, an article with a URL is named by the row of its URL's registered domain, whatever name the
  article itself carried (the table is the one spelling of each outlet, and the user may edit it).
* A domain seen for the first time gets a row named by :func:`seed_name`: the outlet the input or the page
  declares; a credit line of the text ("(Reuters)", "/TASS/") only when it names the domain's own outlet
  (a wire story on a portal is published by the portal); else the domain itself. Its language is the first
  article's, when detected with confidence; its country stays empty until edited.
* Editing a row changes how articles ingested afterwards are named. Articles already stored keep the
  outlet they were stored with (stored articles never change: stories, caches and copies were computed
  from them); re-ingest into a new store to rename them.
"""

from __future__ import annotations

import re
from typing import Any

from .model import Article
from .urls import registered_domain

FIELDS = ("name", "language", "country", "domains")
SEED_LANGUAGE_MIN_SCORE = 0.9  # a new row takes the first article's language only when detected this surely
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_SQUASH = re.compile(r"[\W_]+")


def name_matches_domain(name: str, domain: str) -> bool:
    """Whether an outlet name is plausibly the one of this domain: its letters are in the domain's label
    ("TASS" / tass.com, "AP" / apnews.com), start with it ("BBC News" / bbc.co.uk) or its initials are the
    label ("Islamic Republic News Agency" / irna.ir)."""
    label = _SQUASH.sub("", domain.split(".")[0].lower())
    words = [w for w in re.split(r"[\W_]+", name.lower()) if w and w != "the"]
    squashed = "".join(words)
    if len(label) < 2 or len(squashed) < 2:
        return False
    initials = "".join(w[0] for w in words) if len(words) > 1 else ""
    return squashed in label or squashed.startswith(label) or initials == label


def seed_name(article: Article, domain: str) -> str:
    """The name of a new row for ``domain``, from the first article seen on it (see the module's doc)."""
    if article.outlet and article.outlet_from in ("input", "page"):
        return article.outlet
    if article.outlet and article.outlet_from == "text" and name_matches_domain(article.outlet, domain):
        return article.outlet
    return domain


def seed_language(article: Article) -> str | None:
    score = article.language_score or 0.0
    return article.language if article.language and score >= SEED_LANGUAGE_MIN_SCORE else None


def normalise_domain(value: str) -> str:
    """A registered domain from a domain, host name or URL (``www.bbc.co.uk`` -> ``bbc.co.uk``); ValueError
    naming the value when it has none."""
    domain = registered_domain(value)
    if domain is None:
        raise ValueError(f"{value!r} is not a domain (expected e.g. example.com or bbc.co.uk)")
    return domain


def parse_changes(assignments: list[str]) -> dict[str, Any]:
    """``FIELD=VALUE`` words -> the changes to a row: name (not empty), language (an ISO 639 code, or empty
    to clear), country (an ISO 3166-1 alpha-2 code, or empty to clear), domains (comma-separated registered
    domains: the row's whole list). ValueError naming the word at fault."""
    changes: dict[str, Any] = {}
    for word in assignments:
        key, eq, value = word.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not eq or not key:
            raise ValueError(f"{word!r}: expected FIELD=VALUE (fields: {', '.join(FIELDS)})")
        if key not in FIELDS:
            raise ValueError(f"{word!r}: unknown field {key!r} (fields: {', '.join(FIELDS)})")
        if key == "name":
            if not value:
                raise ValueError(f"{word!r}: the name cannot be empty")
            if len(value) > 200:
                raise ValueError(f"{word!r}: the name is longer than 200 characters")
            changes["name"] = value
        elif key == "language":
            if value and not _LANGUAGE.match(value.lower()):
                raise ValueError(f"{word!r}: language must be an ISO 639 code such as en, ru or fa (or empty)")
            changes["language"] = value.lower() or None
        elif key == "country":
            if value and not _COUNTRY.match(value.upper()):
                raise ValueError(f"{word!r}: country must be an ISO 3166-1 alpha-2 code such as GB or IR (or empty)")
            changes["country"] = value.upper() or None
        else:
            domains = [normalise_domain(d) for d in value.split(",") if d.strip()]
            if not domains:
                raise ValueError(f"{word!r}: give at least one domain (comma-separated)")
            changes["domains"] = list(dict.fromkeys(domains))
    return changes
