"""Furniture rules: the lines any site's pages carry around an article (navigation, "Most Visited", "Back to
top", photo credits, tracking tokens, author boxes, cookie notices), the end-of-article markers after which
everything is furniture, and the normal form of a line that learnt furniture counts (:mod:`.furniture`)."""

from __future__ import annotations

import re
from functools import lru_cache

from ..model import normalise_for_hash

# Whole-line furniture: the line is nothing but one of these.
_FURNITURE_LINE = [
    (r"most (visited|viewed|read|popular|shared)( in [\w\s]+| stories| articles| news)?", "navigation"),
    (r"top( [\w\s]+)? (stories|news|headlines|articles)", "navigation"),
    (
        r"(trending|latest|related|recommended|popular|more)( now| news| stories| articles| posts| videos| from [\w\s]+)?:?",
        "navigation",
    ),
    (r"(read|see) (more|also|next)( on| about| from)?[\w\s:]*", "navigation"),
    (r"go to (the )?home ?page|home|menu|search|skip to (main )?content|main menu|navigation", "navigation"),
    (r"back to top|scroll to top|to top", "navigation"),
    (r"fbpx|adsbygoogle.*|googletag.*|window\.\w+.*|var \w+ ?=.*", "tracking"),
    (
        r"(photo|image|picture|video|credit|source|file photo)s?(\s*(:|by|/|©|-|–)\s*[\w .,/&'’-]{0,60}|(\s+[\w.&'’-]+){1,4})?",
        "photo-credit",
    ),
    (
        r"about the author|author bio(graphy)?|about us|contact us|privacy policy|terms (of use|and conditions)|cookie (policy|settings)",
        "author-box",
    ),
    (
        r"(share|tweet|email|print|comment)s?( (this|on|via) [\w\s]+)?|share on (facebook|twitter|x|whatsapp|telegram|linkedin)",
        "social",
    ),
    (
        r"(follow|like|join) us( on [\w\s,]+)?|subscribe( now| to [\w\s]+)?|sign (up|in)( for [\w\s]+)?|log ?in|register|newsletter",
        "social",
    ),
    (r"advertisement|advertising|sponsored( content)?|ad|ads|promoted", "advertising"),
    (r"(all rights reserved|copyright|©).{0,120}", "copyright"),
    (r"tags?:.{0,200}|topics?:.{0,200}|filed under:?.{0,120}", "tags"),
    (
        r"(click|tap) here.{0,80}|loading\.*|please wait\.*|comments?( \(\d+\))?|\d+ comments?|leave a (comment|reply)",
        "navigation",
    ),
    (r"clear|close|x|×|•|\||›|»|«|…", "navigation"),
]
_FURNITURE_RE = [(re.compile(r"^\W*(?:" + p + r")\W*$", re.I), reason) for p, reason in _FURNITURE_LINE]
_FURNITURE_ANY = re.compile(r"^\W*(?:" + "|".join(f"(?:{p})" for p, _ in _FURNITURE_LINE) + r")\W*$", re.I)

# A line that is only furniture phrases glued together ("Back to top    Go to home page clear").
_FURNITURE_PHRASES = re.compile(
    r"back to top|go to (the )?home ?page|scroll to top|skip to content|\bclear\b|\bshare\b|\bprint\b|\bemail\b|\bmenu\b|\bhome\b",
    re.I,
)

# End-of-article markers: the marker line and everything after it is furniture.
_END_MARKERS = [
    (
        re.compile(
            r"(found|notice[d]?|see|spot(ted)?) an? (spelling|typo|grammar|grammatical)? ?(error|mistake|typo)", re.I
        ),
        "after:spelling-notice",
    ),
    (re.compile(r"^\W*spelling error report\W*$", re.I), "after:spelling-notice"),
    (re.compile(r"^\W*about the author\W*$", re.I), "after:author-box"),
    (
        re.compile(
            r"^\W*(related (articles|stories|news|posts)|read also|you may also like|more (stories|from)[\w\s]*|recommended for you)\W*$",
            re.I,
        ),
        "after:related",
    ),
]
# End markers that only count near the end (in the last third of the lines), since the words can appear in a body.
_LATE_ONLY = {"after:related", "after:author-box"}

_HAS_LETTERS = re.compile(r"[^\W\d_]{2}")  # lines of bare numbers (list items, table cells) are never learnt


@lru_cache(maxsize=65536)
def _norm_line(line: str) -> str:
    return re.sub(r"\W+", " ", normalise_for_hash(line)).strip()


# Cookie and consent banners (any length: they are often long sentences).
_CONSENT = re.compile(
    r"\b(this|our) (web ?site|site|page) uses cookies\b|\bwe use cookies\b|\bnecessary cookies\b|"
    r"\baccept (all )?cookies\b|\bcookie (policy|settings|preferences|consent)\b|\buse of cookies\b",
    re.I,
)


def furniture_reason(line: str) -> str | None:
    """Why a single line is site furniture, or None if it may be content."""
    s = line.strip()
    if not s:
        return None
    if "ookie" in s and _CONSENT.search(s) and len(s) < 1500:
        return "rule:cookie-notice"
    if len(s) > 160:
        return None
    if not _FURNITURE_ANY.match(s):
        if len(s) > 80:
            return None
        residue = _FURNITURE_PHRASES.sub(" ", s)
        if residue != s and not re.sub(r"\W+", "", residue):
            return "rule:navigation"
        return None
    for rx, reason in _FURNITURE_RE:
        if rx.match(s):
            return "rule:" + reason
    residue = _FURNITURE_PHRASES.sub(" ", s)
    if residue != s and not re.sub(r"\W+", "", residue):
        return "rule:navigation"
    return None


_END_ANY = re.compile(
    r"spelling|typo|grammar|mistake|error|author|related|read also|may also like|more |recommended", re.I
)


def _end_marker(line: str) -> str | None:
    if len(line) >= 200 or not _END_ANY.search(line):
        return None
    for rx, reason in _END_MARKERS:
        if rx.search(line) and len(line) < 200:
            return reason
    return None
