"""Helpers shared by the analysis tests: the seeds as clean articles, and copies found from the data."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from storyline.clean import Cleaner
from storyline.ingest import read_inputs
from storyline.model import Article
from storyline.text import article_sentences, content_words

SEEDS = Path(__file__).resolve().parents[1] / "examples" / "seeds"


@lru_cache(maxsize=1)
def seed_articles() -> tuple[Article, ...]:
    docs = list(read_inputs([str(SEEDS)]))
    cleaner = Cleaner()
    cleaner.fit(docs)
    return tuple(cleaner.transform(d) for d in docs)


def by_file(prefix: str) -> Article:
    """The seed article whose file name starts with ``prefix`` (e.g. "002")."""
    (a,) = [a for a in seed_articles() if Path(a.source).name.startswith(prefix)]
    return a


def lexical_copies(articles, min_share: float = 0.6) -> dict[str, str]:
    """copy id -> original id by a simple rule: most sentences of one article have a close
    word-overlap match in the other (Jaccard >= 0.5). The dated (else first) article is the original."""
    sets = {a.id: [set(content_words(s.text)) for s in article_sentences(a)] for a in articles}

    def covered(x, y) -> float:
        xs = [s for s in sets[x] if len(s) >= 3]
        if not xs:
            return 0.0
        hit = sum(1 for s in xs if any(len(s & t) / len(s | t) >= 0.5 for t in sets[y]))
        return hit / len(xs)

    out: dict[str, str] = {}
    arts = list(articles)
    for i, a in enumerate(arts):
        for b in arts[i + 1 :]:
            if min(covered(a.id, b.id), covered(b.id, a.id)) >= min_share:
                first, second = (a, b) if (a.published is not None,) >= (b.published is not None,) else (b, a)
                if a.published and b.published:
                    first, second = (a, b) if a.published <= b.published else (b, a)
                out[second.id] = first.id
    return out
