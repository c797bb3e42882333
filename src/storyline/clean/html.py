"""The HTML path: trafilatura extracts a page's text and metadata; the text's own cues, the input's fields
and the page's canonical link complete it (:mod:`.metadata`)."""

from __future__ import annotations

from typing import Any

from ..config import CleanConfig
from ..model import Article, RawDocument, content_id
from ..urls import canonical_link
from .dates import _parse_iso
from .metadata import apply_meta, finish, text_metadata


def from_html(raw: RawDocument, config: CleanConfig) -> Article | None:
    import trafilatura

    assert raw.html is not None

    def extract(precision: bool) -> Any:
        return trafilatura.bare_extraction(
            raw.html,
            url=raw.meta.get("url"),
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            favor_precision=precision,
        )

    doc = extract(config.html_favor_precision)
    if (doc is None or not (doc.text or "").strip()) and config.html_favor_precision:
        doc = extract(False)  # the precise pass found nothing: fall back to the default one
    if doc is None or not (doc.text or "").strip():
        return None
    paragraphs = [p.strip() for p in doc.text.split("\n") if p.strip()]
    article = Article(id=content_id(paragraphs), source=raw.source, paragraphs=paragraphs)
    article.title = doc.title or None
    article.author = doc.author or None
    if doc.sitename:
        article.outlet, article.outlet_from = doc.sitename, "page"
    if doc.date:
        parsed = _parse_iso(doc.date)
        if parsed:
            article.published, article.date_precision = parsed
    text_metadata(article, header=[])
    apply_meta(article, raw.meta)
    # the page's own canonical link, else what trafilatura read as its address (og:url, canonical, base)
    finish(article, raw, canonical_link(raw.html) or doc.url or None)
    return article
