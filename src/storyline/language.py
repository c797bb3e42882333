"""Language of a text (py3langid, its bundled model), and what Storyline's English-only stages do about it.

:func:`detect_language` gives an ISO 639-1 code (``en``, ``ru``, ``ar``, ``fa``...; an ISO 639-3 code for
the few languages without a two-letter one) and the model's probability. The stages that only work on
English (quotes: an English spaCy model; the timeline's relative dates: dateparser in English) skip an
article whose language is known and not English, and say so in its ``notes`` (:func:`language_notes`).
"""

from __future__ import annotations

import heapq
import re
from functools import lru_cache
from typing import Any

# Stages that work on English only, and what each does with another language (the article's notes say it).
ENGLISH_ONLY: dict[str, str] = {
    "quotes": "quotes: English only, skipped",
    "timeline": "timeline: relative dates are read in English only; only publication and ISO dates used",
}
# py3langid labels that are not ISO 639-1 codes, mapped to the 639-1 code of their macrolanguage
# (Arabic and Chinese varieties, Northern Uzbek, ...); "zxx" is "no linguistic content".
_TO_639_1 = {
    "ary": "ar",
    "arz": "ar",
    "uzs": "uz",
    "wuu": "zh",
    "yue": "zh",
    "gug": "gn",
    "sdh": "ku",
    "ltg": "lv",
    "fuv": "ff",
    "kik": "ki",
}
_NO_LANGUAGE = {"zxx", "und"}
_LETTERS = re.compile(r"[^\W\d_]")
# characters read (whitespace collapsed): at 300, all 220 DUC 2004 documents are "en" (p >= 0.94) and the 92 aeb
# article bodies get the same labels as from 2,000 characters, for 0.2 ms an article (600: 0.3 ms, same labels)
SAMPLE_CHARS = 300
MIN_LETTERS = 20  # fewer letters than this: no answer


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, sample_chars: int = SAMPLE_CHARS) -> tuple[str | None, float | None]:
    """(ISO 639-1 code, probability) of ``text``'s language; (None, None) for text with too few letters."""
    sample = " ".join(text[: 2 * sample_chars].split())[:sample_chars]
    if len(_LETTERS.findall(sample)) < MIN_LETTERS:
        return None, None
    lang, prob = _identifier().classify(sample)
    if lang in _NO_LANGUAGE:
        return None, None
    return _TO_639_1.get(lang, lang), round(float(prob), 3)


def is_english(language: str | None) -> bool:
    """True unless the language is known and not English (an undetected language is treated as before: English)."""
    return language is None or language == "en"


def language_notes(language: str | None) -> list[str]:
    """The notes an article in ``language`` gets: one per English-only stage that will skip it."""
    if is_english(language):
        return []
    return [f"{note} (language {language})" for note in ENGLISH_ONLY.values()]


# ----------------------------------------------------------------------------- language-neutral text rules
# The plain-text cleaner's header and paragraph rules lean on English (stopwords, month names); for a text
# confidently in another language it uses these instead.

_WORD = re.compile(r"\w+")
# a sentence's end in any script: . ! ? … and the Arabic/Urdu, CJK and Devanagari marks, then closing quotes
SENTENCE_END = re.compile(r"[.!?…؟۔。！？।॥][\"'”’»)\]」』]*\s*$")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


def is_prose_line(line: str) -> bool:
    """A line of running text in any language: a long one, or a finished sentence of several words
    (in scripts written without spaces, of several characters)."""
    n = len(_WORD.findall(line))
    if n >= 25:
        return True
    return bool(SENTENCE_END.search(line)) and (n >= 8 or len(line) >= 40)


@lru_cache(maxsize=16)
def _date_parser(language: str) -> Any:
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=[language],
        settings={
            "REQUIRE_PARTS": ["day", "month", "year"],
            "PREFER_DATES_FROM": "past",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "PARSERS": ["absolute-time"],
        },
    )


def parse_full_date(text: str, language: str) -> Any:
    """A calendar date with day, month and year all written (e.g. "12 марта 2024, 14:35") in ``language``,
    as a datetime; None when the line is no such date or dateparser does not know the language."""
    if len(_WORD.findall(text)) > 8 or not _YEAR.search(text):
        return None
    import warnings

    try:
        parser = _date_parser(language)
    except ValueError:  # a language dateparser has no data for
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            dt = parser.get_date_data(text).date_obj
        except (ValueError, TypeError, OverflowError):  # dateparser's answers to odd input: no date
            return None
    return dt if dt is not None and 1900 <= dt.year <= 2100 else None


_LABELLED_NAME = re.compile(r"^\s*[^\W\d_]{2,20}\s*:\s*([^\W\d_][\w.'’-]*(?:\s+[^\W\d_][\w.'’-]*){0,3})\s*$")
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")


def header_field(line: str, language: str) -> tuple[str, Any, Any] | None:
    """A header line of a text in ``language`` read as its date, ("published", datetime, precision), e.g.
    "12 марта 2024, 14:35" (dateparser in that language), or its byline, ("author", name, None), e.g.
    "Автор: Анна Смирнова" (a label, a colon and one to four capitalised words); None for neither."""
    dt = parse_full_date(line, language)
    if dt is not None:
        if _TIME.search(line):
            return "published", dt, "minute"
        return "published", dt.replace(hour=0, minute=0, second=0, microsecond=0), "day"
    m = _LABELLED_NAME.match(line)
    if m and all(w[:1].isupper() for w in m.group(1).split()):
        return "author", m.group(1).strip(), None
    return None


def other_language(lines: list[str]) -> str | None:
    """The language of a raw text when it is surely not English (None: English, or not sure). A text with
    English's share of stopwords is not looked at further; another one by the detector, on its longest lines
    (menus and furniture are short)."""
    from .text import stopwords, words

    longest = heapq.nlargest(6, (ln.strip() for ln in lines if len(ln) >= 40), key=len)
    sample = " ".join(longest)[:1200]
    toks = words(sample[:600])
    if not toks or sum(1 for t in toks if t in stopwords()) > 0.25 * len(toks):
        return None
    lang, score = detect_language(sample, sample_chars=1200)
    return lang if lang not in (None, "en") and (score or 0.0) >= 0.8 else None
