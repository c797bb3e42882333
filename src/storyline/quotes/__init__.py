"""Who said what: direct and indirect quotes with their speakers.

Direct quotes are found in the text by their marks ("…", “…”, ‘…’, also across sentence
boundaries); indirect ones by their shape in spaCy's dependency parse ("X said that …",
"X told reporters …", "according to X, …"). The speaker comes from the attribution next
to the quote: the subject of the speech verb ("…,” he said; X said: “…”; the NATO
statement said), the object of "quoted"/"quoting"/"citing" ("the paper quoted X as
saying"), the object of "according to". Then:

- a PERSON entity inside the speaker phrase names the speaker;
- a pronoun ("he added") is the nearest person named before it in the article (outside quotes);
- a role ("the Foreign Minister", "the Secretary of State", "the expert") is the person the
  article introduced with that role ("Russian Foreign Minister Sergei Lavrov"), else the
  person named just before;
- an anonymous source ("a senior State Department official", "another Biden administration
  official") stays unnamed, as written;
- organisations (ORG/NORP/GPE: "the NATO statement", "Washington") are organisation speakers.

A quote with no attribution right after another one of the same paragraph continues it.
Person names are normalised across the story's articles: same surname and compatible first
names (Sergey/Sergei, Jen/Jennifer) collapse to the most frequent full form, and a bare
surname ("Lavrov") to that form.

The parts: spans (quote marks, sentence offsets, sentences worth a parse), lexicon (the word lists), mentions
(who an article names: the per-article ArticleContext), speakers (a speaker phrase -> who spoke), direct and
indirect (the two kinds of quotes), names (name forms, one name per person across a story), extractor
(QuoteExtractor, which holds only the model and its settings and is shared by threads, and extract_quotes).
"""

from .extractor import (
    MODEL,
    QuoteExtractor,
    QuoteStats,
    default_extractor,
    extract_quotes,
)
from .names import name_clusters

__all__ = ["MODEL", "QuoteExtractor", "QuoteStats", "default_extractor", "extract_quotes", "name_clusters"]
