"""What a POST carries and what it gets back: :class:`ArticleIn` and its limits, :func:`ingest_answers` (the
pipeline run over the posted articles, one answer each) and :class:`WriteQueueFull` (503 when too many wait)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..model import RawDocument
from ..pipeline import Pipeline

DEFAULT_MAX_BODY_BYTES = 5_000_000
DEFAULT_MAX_BATCH = 100
MAX_TEXT_CHARS = 2_000_000


class ArticleIn(BaseModel):
    """One article to ingest: ``text`` (plain, as scraped) or ``html``; metadata optional."""

    model_config = ConfigDict(extra="ignore")

    text: str | None = Field(None, max_length=MAX_TEXT_CHARS, description="Plain text as scraped.")
    html: str | None = Field(None, max_length=MAX_TEXT_CHARS, description="Raw HTML (used when no text).")
    url: str | None = Field(None, max_length=2048)
    title: str | None = Field(None, max_length=1000)
    date: str | None = Field(None, max_length=100, description="Publication date (ISO or as written).")
    outlet: str | None = Field(None, max_length=300)
    author: str | None = Field(None, max_length=300)


class WriteQueueFull(Exception):
    def __init__(self, pending: int):
        super().__init__(f"{pending} writes pending")
        self.pending = pending


def ingest_answers(pipeline: Pipeline, items: list[ArticleIn]) -> list[dict[str, Any]]:
    """Run the pipeline on the posted articles; one answer per input, in input order."""
    docs: list[RawDocument] = []
    used: set[str] = set()
    for i, it in enumerate(items):
        base = it.url or "http-post"
        source = base if (it.url and base not in used) else f"{base}#{i}"
        used.add(source)
        meta = {k: getattr(it, k) for k in ("url", "title", "date", "outlet", "author") if getattr(it, k)}
        if it.text is not None:
            docs.append(RawDocument(source=source, text=it.text, meta=meta))
        else:
            docs.append(RawDocument(source=source, html=it.html, meta=meta))
    report = pipeline.ingest(docs)
    stored = {r.source: r for r in report.stored}
    dups = {src: (aid, reason) for src, aid, reason in report.duplicates_with_reasons()}
    rejected = {r.source: r.reason for r in report.rejected}
    store = pipeline.store
    answers = []
    for i, doc in enumerate(docs):
        src = doc.source
        if src in stored:
            r = stored[src]
            answers.append(
                {
                    "index": i,
                    "id": r.article_id,
                    "status": "stored",
                    "reason": None,
                    "story_id": r.story_id,
                    "event_id": r.event_id,
                    "copies_of": r.copies_of,
                }
            )
        elif src in dups:
            aid, reason = dups[src]
            copies = [
                {"source_id": e.source_id, "relation": e.relation, "confidence": e.confidence}
                for e in store.edges_for(aid)
                if e.target_id == aid and e.relation != "independent"
            ]
            answers.append(
                {
                    "index": i,
                    "id": aid,
                    "status": "duplicate",
                    "reason": reason,
                    "story_id": store.story_of(aid),
                    "event_id": None,
                    "copies_of": copies,
                }
            )
        else:
            answers.append(
                {
                    "index": i,
                    "id": None,
                    "status": "rejected",
                    "reason": rejected.get(src, "not stored"),
                    "story_id": None,
                    "event_id": None,
                    "copies_of": [],
                }
            )
    return answers
