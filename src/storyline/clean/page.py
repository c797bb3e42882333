"""Whole web pages given as text (menus, teasers, footers around the article): telling one from an article
already clean, and keeping its main text only with the line classifier (:mod:`storyline.boilerplate`)."""

from __future__ import annotations

from ..config import CleanConfig
from ..model import RemovedLine
from .lines import hard_wrapped
from .rules import furniture_reason


def looks_like_page(lines: list[str], config: CleanConfig) -> bool:
    """A whole web page's text (many lines, many of them short), not an article already clean
    (nor a hard-wrapped one, whose lines are all short because of the wrapping)."""
    content = [s for s in (ln.strip() for ln in lines) if s]
    if len(content) < config.page_min_lines or hard_wrapped(content):
        return False
    short = sum(1 for s in content if len(s.split()) < config.bp_good_words)
    if short < config.page_min_short_share * len(content):
        return False
    # and some sign of site furniture: menus (many lines of 1-3 words) or lines the rules know
    tiny = sum(1 for s in content if len(s.split()) <= 3)
    if tiny >= config.page_min_tiny_share * len(content):
        return True
    return sum(1 for s in content if furniture_reason(s)) >= config.page_min_furniture


def main_text(
    lines: list[str], keep: list[tuple[int, str]], removed: list[RemovedLine], config: CleanConfig
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Run the line classifier over a page; returns (kept lines, the lines just above the main text)."""
    from ..boilerplate import keep_mask

    kept_pos = {i for i, s in keep if s}
    seq = [(i, ln.strip()) for i, ln in enumerate(lines) if ln.strip()]
    mask = keep_mask([s for _, s in seq], config, forced_bad=[i not in kept_pos for i, _ in seq])
    keep_now = {i for (i, _), m in zip(seq, mask, strict=True) if m and i in kept_pos}
    if not keep_now:  # nothing looked like prose: keep what the rules kept (never lose everything)
        return keep, []
    first = min(keep_now)
    above = [(i, s) for i, s in seq if i < first and i in kept_pos][-config.page_header_lines :]
    above_pos = {i for i, _ in above}
    for i, s in keep:
        if s and i not in keep_now and i not in above_pos:
            removed.append(RemovedLine(s, "classifier:boilerplate", i))
    new_keep = [(i, s) for i, s in keep if not s or i in keep_now]
    return new_keep, above
