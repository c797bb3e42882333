"""The cleaning stage: :class:`Cleaner` learns recurring furniture (``fit``/``partial_fit``) and turns each raw
document into an :class:`~storyline.model.Article` (or a :class:`~storyline.model.Rejection`)."""

from __future__ import annotations

import re
from collections import Counter

from lxml.etree import LxmlError

from ..config import CleanConfig
from ..language import SENTENCE_END, detect_language, is_prose_line, other_language
from ..model import Article, RawDocument, Rejection, RemovedLine, content_id
from .furniture import FurnitureModel
from .html import from_html
from .lines import _continues, _is_body_line, hard_wrapped
from .metadata import apply_meta, finish, read_header, text_metadata
from .page import looks_like_page, main_text
from .rules import _HAS_LETTERS, _LATE_ONLY, _end_marker, _norm_line, furniture_reason

# Failures that belong to one document and are reported on it as a rejection: text no encoding explains,
# markup the parser gives up on, markup nested too deep to walk. Every other exception (a missing dependency,
# memory, a bug) is not the input's fault: it propagates and stops the command, which names it.
DOCUMENT_ERRORS: tuple[type[BaseException], ...] = (UnicodeError, LxmlError, RecursionError)


def _document_error_reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeError):
        return "undecodable text"
    if isinstance(exc, RecursionError):
        return "markup nested too deeply"
    return "unparsable markup"


class Cleaner:
    """Turns raw documents into articles. ``fit``/``partial_fit`` learn recurring furniture."""

    def __init__(
        self, config: CleanConfig | None = None, furniture: FurnitureModel | None = None, learnt: set[str] | None = None
    ):
        self.config = config or CleanConfig()
        self.furniture = furniture or FurnitureModel()
        # a precomputed set of learnt furniture lines (see :meth:`learnt_lines`) replaces the model's counts;
        # worker processes clean with it instead of a copy of the whole model
        self.learnt = learnt

    # -- learning -------------------------------------------------------------------------
    def candidate_lines(self, raw: RawDocument) -> set[str]:
        if raw.text is None:
            return set()
        out = set()
        limit = self.config.learn_max_words
        for line in raw.text.splitlines():
            if not line or line.count(" ") > 3 * limit or len(line) > 20 * limit:  # long lines are never learnt
                continue
            n = _norm_line(line.strip())
            if n and len(n.split()) <= self.config.learn_max_words and _HAS_LETTERS.search(n):
                out.add(n)
        return out

    def partial_fit(self, raws: list[RawDocument]) -> Cleaner:
        self._recent = {}  # candidate lines of this batch, reused by learnt_lines()
        for raw in raws:
            lines = self.candidate_lines(raw)
            self._recent[id(raw)] = (raw, lines)
            if not lines:
                continue
            self.furniture.docs += 1
            self.furniture.line_docs.update(lines)
            outlet = raw.meta.get("outlet")
            if outlet:
                self.furniture.outlet_line_docs[outlet].update(lines)
        return self

    def fit(self, raws: list[RawDocument]) -> Cleaner:
        self.furniture = FurnitureModel()
        return self.partial_fit(raws)

    def learnt_lines(self, raws: list[RawDocument]) -> set[str]:
        """The normalised lines of these documents that the model now counts as furniture."""
        out: set[str] = set()
        recent = getattr(self, "_recent", {})
        for raw in raws:
            outlet = raw.meta.get("outlet")
            hit = recent.get(id(raw))
            lines = hit[1] if hit is not None and hit[0] is raw else self.candidate_lines(raw)
            out.update(n for n in lines if self._learnt(n, outlet))
        return out

    def _learnt(self, norm: str, outlet: str | None) -> bool:
        if self.learnt is not None:
            return norm in self.learnt
        k = self.config.learn_min_docs
        if not norm or len(norm.split()) > self.config.learn_max_words:
            return False
        if outlet and self.furniture.outlet_line_docs.get(outlet, Counter()).get(norm, 0) >= k:
            return True
        return (
            self.furniture.line_docs.get(norm, 0) >= max(k, 0.05 * self.furniture.docs)
            if self.furniture.docs >= 2 * k
            else False
        )

    # -- transform ------------------------------------------------------------------------
    def transform(self, raw: RawDocument) -> Article | Rejection:
        try:
            if raw.html is not None and raw.text is None:
                article = self._from_html(raw)
            else:
                article = self._from_text(raw)
        except DOCUMENT_ERRORS as exc:  # this document's own bytes or markup; anything else is a bug and stops
            return Rejection(raw.source, f"{_document_error_reason(exc)}: {type(exc).__name__}: {exc}")
        if article is None:
            return Rejection(raw.source, "no article text found (nothing left after removing page furniture)")
        if article.word_count < self.config.min_body_words:
            return Rejection(raw.source, f"too short: {article.word_count} words of body after cleaning")
        return article

    def __call__(self, raw: RawDocument) -> Article | Rejection:
        return self.transform(raw)

    def _from_html(self, raw: RawDocument) -> Article | None:
        return from_html(raw, self.config)  # the HTML path (:mod:`.html`)

    def _from_text(self, raw: RawDocument) -> Article | None:
        assert raw.text is not None
        outlet_hint = raw.meta.get("outlet")
        lines = raw.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        # the header and paragraph rules below lean on English; a text surely in another language gets
        # language-neutral ones instead (furniture rules and learnt lines apply to every text)
        other = other_language(lines)
        removed: list[RemovedLine] = []
        keep: list[tuple[int, str]] = []

        # 1. end markers: cut the marker and what follows
        n = len(lines)
        cut_at = n
        for i, line in enumerate(lines):
            reason = _end_marker(line)
            if reason and (reason not in _LATE_ONLY or i >= n * 0.6):
                cut_at = i
                for j in range(i, n):
                    if lines[j].strip():
                        removed.append(RemovedLine(lines[j].strip(), reason, j))
                break

        # 2. line rules and learnt furniture
        wrapped = hard_wrapped([x for x in (ln.strip() for ln in lines) if x])
        prev = ""
        for i, line in enumerate(lines[:cut_at]):
            s = line.strip()
            if not s:
                keep.append((i, ""))
                prev = ""
                continue
            if _continues(prev, s, wrapped):  # the rest of a sentence wrapped onto this line is never furniture
                keep.append((i, s))
                prev = s
                continue
            prev = s
            reason = furniture_reason(s)
            if (
                reason is None
                and len(s) <= 20 * self.config.learn_max_words
                and self._learnt(_norm_line(s), outlet_hint)
            ):
                reason = "learned:recurring-line"
            if reason:
                removed.append(RemovedLine(s, reason, i))
            else:
                keep.append((i, s))

        # 2b. a whole web page (menus, teasers, footers around the article): keep its main text only
        page_header: list[tuple[int, str]] = []
        if looks_like_page(lines, self.config):
            keep, page_header = main_text(lines[:cut_at], keep, removed, self.config)

        # 3. header: title, date, byline lines before the body
        header: list[tuple[int, str]] = []
        body_start = 0
        content = [(i, s) for i, s in keep if s]
        for k, (i, s) in enumerate(content):
            nxt = content[k + 1][1] if k + 1 < len(content) and content[k + 1][0] == i + 1 else ""
            prose = is_prose_line(s) if other else _is_body_line(s)
            if prose or _continues(s, nxt, wrapped):  # a sentence wrapped onto the next line is body
                body_start = k
                break
            header.append((i, s))
            body_start = k + 1
        if body_start >= len(content):  # no line looked like prose: treat all as body
            header, body_start = [], 0

        article = Article(id="", source=raw.source, paragraphs=[])
        title_norm, header_removed_positions = read_header(article, page_header, header, other, removed)

        # 4. paragraphs: blank lines or one line per paragraph, whichever the text uses
        header_at = {i for i, _ in header}
        paragraphs: list[str] = []
        buf: list[str] = []
        for i, s in keep:
            if i in header_removed_positions:
                continue
            if not s:
                if buf:
                    paragraphs.append(" ".join(buf))
                    buf = []
                continue
            if title_norm and not paragraphs and not buf and _norm_line(s) == title_norm:
                removed.append(RemovedLine(s, "repeated-title", i))
                continue
            buf.append(s)
            # scraped text often has one paragraph per line; a line ending a sentence closes a paragraph
            # (in another language: a sentence end of any script; a header line left in the body stands alone)
            ends = re.search(r"[.!?\"”’)]\s*$", s) or len(s) > 300
            if ends or (other and (SENTENCE_END.search(s) or i in header_at)):
                paragraphs.append(" ".join(buf))
                buf = []
        if buf:
            paragraphs.append(" ".join(buf))
        paragraphs = [" ".join(p.split()) for p in paragraphs if p.strip()]
        if not paragraphs:
            return None
        article.paragraphs = paragraphs
        article.id = content_id(paragraphs)
        article.removed = sorted(removed, key=lambda r: r.position)
        text_metadata(article, header=[s for _, s in header])
        apply_meta(article, raw.meta)
        finish(article, raw)
        return article


def guess_language(text: str) -> str | None:
    """The ISO 639-1 code of the text's language (:func:`storyline.language.detect_language`), or None."""
    return detect_language(text)[0]


def clean(raw: RawDocument, config: CleanConfig | None = None) -> Article | Rejection:
    """Clean one document with the general rules only (no corpus learning)."""
    return Cleaner(config).transform(raw)
