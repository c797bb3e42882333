"""Score Storyline's ranked timelines on a timeline-summarization benchmark (Timeline17), beside two baselines.

    python eval/get_timeline_data.py --source GITDIR --tilse GITDIR   # once: builds eval/data/ (eval/SOURCES.md)
    python eval/timeline.py [--data eval/data/t17] [--tune] [--max-articles N] [--topics A,B]

Data: any collection in the news-tls format (one folder per topic with ``articles.jsonl`` or
``articles.jsonl.gz`` — ``{"id", "time", "text"}`` per line — and ``timelines.jsonl``, one reference
timeline per line as ``[[date, [sentence, ...]], ...]``). Every reference timeline is one task.

Setting (as news-tls, Gholipour Ghalandari & Ifrim 2020, and Martschat & Markert 2018): for a task with
a reference timeline of l dates and k sentences a date on average (rounded), every system gives l dates
and k sentences a date, from the topic's articles published between the reference's first and last
date, and only dates in that span. Articles are given as text with their publication day; the text
(tokenized in the source) is detokenized first. No system sees the topic's keywords.

Systems, all in the same run on the same articles:
- Storyline: :func:`storyline.timeline.rank_timeline` (its dates, sentences and settings);
- PubCount+lead: the l days with the most articles published, each with the lead sentences of k
  articles of that day (published order);
- MentionCount: the l days named by the most sentences (resolved by Storyline's date resolver, so
  that only the ranking and the choice of sentences differ), each with the first k sentences naming it.
Both baselines use Storyline's sentence splitter and drop the report stamp ("Mon Apr 27, 2009 3:10 am
BST MEXICO CITY (Reuters) -") from a sentence, as Storyline does.

Metrics (tilse, Martschat & Markert 2017, reimplemented here; eval/SOURCES.md): Date-F1, and ROUGE-1 /
ROUGE-2 F1 in the concat, agreement, align (date costs, one-to-one) and align+ m:1 (date and content
costs, many-to-one: news-tls's "alignment-based ROUGE", AR-n) variants. ROUGE counts follow ROUGE-1.5.5
with stemming and stopword removal (``-m -s``, its smart_common_words list, tokens that start with a
letter, a digit or $, Porter stems of tokens longer than 3 characters); tilse's evaluation runs the Perl
script, this one approximates it in Python. Per task P and R, averaged over tasks, F1 of the averages
(news-tls's ``get_average_results``).

Split: topics sorted by name (Python's ``sorted``: upper case first); the first half (floor) is the
TUNING part (``--tune`` grid-searches the ranking weights there only), the rest is HELD OUT.
Published: news-tls Table 4 (T17, all 19 tasks, leave-one-out over tasks, Perl ROUGE, keyword filter).
"""

from __future__ import annotations

import argparse
import collections
import gzip
import itertools
import json
import re
import string
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from storyline.config import AnalysisConfig  # noqa: E402
from storyline.model import Article  # noqa: E402
from storyline.text import article_sentences  # noqa: E402
from storyline.timeline import rank_timeline, sentence_mentions  # noqa: E402
from storyline.timeline.resolve import strip_report_stamp  # noqa: E402

# news-tls (Gholipour Ghalandari & Ifrim 2020, ACL), Table 4, T17: AR1-F, AR2-F, Date-F1 (all 19 tasks);
# MENTIONCOUNT: Table 6 (date selection with PM-MEAN + CENTROID-OPT; only Date-F1 is given)
PUBLISHED = [
    ("DATEWISE (news-tls)", 0.120, 0.035, 0.544),
    ("MARTSCHAT2018", 0.105, 0.030, 0.544),
    ("TRAN2013", 0.094, 0.022, 0.517),
    ("PUBCOUNT (news-tls)", 0.105, 0.027, 0.481),
    ("MENTIONCOUNT (news-tls)", None, None, 0.528),
    ("CLUST (news-tls)", 0.082, 0.020, 0.407),
    ("CHIEU2004", 0.066, 0.019, 0.251),
]


# --------------------------------------------------------------------------- data


def default_data() -> Path:
    for p in (ROOT / "eval" / "data" / "t17", ROOT.parent / "shared" / "data" / "t17"):
        if p.exists():
            return p
    return ROOT / "eval" / "data" / "t17"


def detokenize(s: str) -> str:
    """PTB-tokenized text ("Mexico 's `` flu '' -LRB- H1N1 -RRB- ,") back to plain text."""
    s = s.replace("-LRB-", "(").replace("-RRB-", ")").replace("-LSB-", "[").replace("-RSB-", "]")
    s = s.replace("-LCB-", "{").replace("-RCB-", "}").replace("\\/", "/")
    s = re.sub(r"``\s*", '"', s)
    s = re.sub(r"\s*''", '"', s)
    s = re.sub(r"\s+([.,;:!?%)\]}])", r"\1", s)
    s = re.sub(r"([(\[{$])\s+", r"\1", s)
    s = re.sub(r"\s+('s|'re|'ve|'ll|'d|'m|n't)\b", r"\1", s, flags=re.I)
    return re.sub(r"\s+", " ", s).strip()


def _read_jsonl(path: Path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


@dataclass
class Topic:
    name: str
    articles: list[Article]
    timelines: list[dict[date, list[str]]]


def load(data: Path, max_articles: int = 0, only: set[str] | None = None) -> list[Topic]:
    topics = []
    for d in sorted(p for p in data.iterdir() if p.is_dir()):
        if only and d.name not in only:
            continue
        src = next((d / n for n in ("articles.jsonl", "articles.jsonl.gz") if (d / n).exists()), None)
        if src is None or not (d / "timelines.jsonl").exists():
            continue
        arts = []
        for raw in _read_jsonl(src):
            paras = [detokenize(x) for x in str(raw.get("text") or "").split("\n") if x.strip()]
            if not paras:
                continue
            t = datetime.fromisoformat(str(raw["time"])[:10])
            arts.append(Article(id=str(raw["id"]), source=str(raw["id"]), paragraphs=paras, published=t))
        arts.sort(key=lambda a: (a.published, a.id))
        if max_articles and len(arts) > max_articles:  # an even sample over time, reproducible
            step = len(arts) / max_articles
            arts = [arts[int(i * step)] for i in range(max_articles)]
        tls = []
        for raw_tl in _read_jsonl(d / "timelines.jsonl"):
            tl = {date.fromisoformat(str(t)[:10]): [s.strip() for s in sents if s.strip()] for t, sents in raw_tl}
            tls.append({k: v for k, v in tl.items() if v})
        topics.append(Topic(d.name, arts, tls))
    return topics


@dataclass
class Task:
    topic: str
    index: int
    articles: list[Article]
    reference: dict[date, list[str]]
    start: date
    end: date
    l: int  # noqa: E741 — the name the literature gives the number of dates
    k: int


def tasks_of(topic: Topic) -> list[Task]:
    out = []
    for i, ref in enumerate(topic.timelines):
        if not ref:
            continue
        start, end = min(ref), max(ref)
        arts = [a for a in topic.articles if start <= a.published.date() <= end]  # type: ignore[union-attr]
        k = round(sum(len(s) for s in ref.values()) / len(ref))
        out.append(Task(topic.name, i, arts, ref, start, end, len(ref), max(1, k)))
    return out


# --------------------------------------------------------------------------- systems


def storyline_system(task: Task, config: AnalysisConfig, cache: dict) -> dict[date, list[str]]:
    entries = rank_timeline(task.articles, task.l, task.k, config, start=task.start, end=task.end, cache=cache)
    return {e.date: e.sentences for e in entries}


@lru_cache(maxsize=200_000)
def _clean_sentence(text: str) -> str:
    return strip_report_stamp(text)


def _sentences(a: Article) -> list[str]:
    return [_clean_sentence(s.text) for s in article_sentences(a)]


def pubcount_lead(task: Task) -> dict[date, list[str]]:
    by_day: dict[date, list[Article]] = collections.defaultdict(list)
    for a in task.articles:
        by_day[a.published.date()].append(a)  # type: ignore[union-attr]
    days = sorted(by_day, key=lambda d: (-len(by_day[d]), d))[: task.l]
    out = {}
    for d in days:
        leads = []
        for a in by_day[d]:
            lead = next((s for s in _sentences(a) if len(s.split()) >= 6), None)
            if lead and lead not in leads:
                leads.append(lead)
            if len(leads) >= task.k:
                break
        if leads:
            out[d] = leads
    return out


def mentioncount(task: Task, mention_cache: dict) -> dict[date, list[str]]:
    counts: collections.Counter[date] = collections.Counter()
    sents: dict[date, list[str]] = collections.defaultdict(list)
    for a in task.articles:
        key = a.id
        if key not in mention_cache:
            base = a.published.date()  # type: ignore[union-attr]
            found = []
            for s in _sentences(a):
                days = {m.date for m in sentence_mentions(s, base) if m.precision == "day"}
                if days:
                    found.append((s, days))
            mention_cache[key] = found
        for s, days in mention_cache[key]:
            for d in days:
                if task.start <= d <= task.end:
                    counts[d] += 1
                    if len(sents[d]) < task.k and s not in sents[d]:
                        sents[d].append(s)
    days = sorted(counts, key=lambda d: (-counts[d], d))[: task.l]
    return {d: sents[d] for d in days}


# --------------------------------------------------------------------------- metrics (tilse, reimplemented)


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    for p in (ROOT / "eval" / "data" / "rouge" / "smart_common_words.txt",):
        if p.exists():
            return frozenset(w.strip() for w in p.read_text(encoding="utf-8").splitlines() if w.strip())
    print("warning: no ROUGE-1.5.5 stopword list (eval/get_timeline_data.py --tilse); scoring without", file=sys.stderr)
    return frozenset()


@lru_cache(maxsize=1)
def _tools():
    from nltk.stem.porter import PorterStemmer
    from nltk.tokenize import TreebankWordTokenizer

    return TreebankWordTokenizer(), PorterStemmer(mode=PorterStemmer.ORIGINAL_ALGORITHM)


@lru_cache(maxsize=500_000)
def raw_tokens(sentence: str) -> tuple[str, ...]:
    """Treebank tokens (so that plain and pre-tokenized text give the same tokens)."""
    tok, _ = _tools()
    s = sentence.replace("``", '"').replace("''", '"')
    return tuple(t for t in tok.tokenize(s) if t)


@lru_cache(maxsize=500_000)
def rouge_tokens(sentence: str) -> tuple[str, ...]:
    """ROUGE-1.5.5 with -m -s: lower case, no stopwords, tokens starting with [a-z0-9$], Porter stems (len > 3)."""
    _, stem = _tools()
    sw = _stopwords()
    out = []
    for t in raw_tokens(sentence):
        t = t.lower().replace("``", '"')
        if t in sw or not re.match(r"[a-z0-9$]", t):
            continue
        out.append(stem.stem(t) if len(t) > 3 else t)
    return tuple(out)


def _ngrams(sents: list[str], n: int) -> collections.Counter:
    toks = [t for s in sents for t in rouge_tokens(s)]
    return collections.Counter(zip(*(toks[i:] for i in range(n)), strict=False))


@dataclass
class Counts:
    """ROUGE-n counts as tilse keeps them: hits, the precision and the recall denominators."""

    hit: float = 0.0
    p: float = 0.0
    r: float = 0.0

    def add(self, other: Counts, weight: float = 1.0) -> None:
        self.hit, self.p, self.r = self.hit + weight * other.hit, self.p + other.p, self.r + other.r


def rouge_counts(pred: list[str], refs: list[list[str]], n: int) -> Counts:
    """Hits against every reference summary; p = refs x |pred n-grams|; r = sum of |ref n-grams|."""
    pc = _ngrams(pred, n)
    hit, r = 0, 0
    for ref in refs:
        rc = _ngrams(ref, n)
        hit += sum(min(c, rc[g]) for g, c in pc.items())
        r += sum(rc.values())
    return Counts(hit, len(refs) * sum(pc.values()), r)


def _prf(hit_p: float, p: float, hit_r: float, r: float) -> tuple[float, float, float]:
    prec = hit_p / p if p else 0.0
    rec = hit_r / r if r else 0.0
    return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)


Timeline = dict[date, list[str]]


def date_prf(pred: Timeline, refs: list[Timeline]) -> tuple[float, float, float]:
    pd, rd = set(pred), set().union(*refs)
    shared = len(pd & rd)
    return _prf(shared, len(pd), shared, len(rd))


def concat(pred: Timeline, refs: list[Timeline], n: int) -> tuple[float, float, float]:
    ps = [s for d in sorted(pred) for s in pred[d]]
    c = rouge_counts(ps, [[s for d in sorted(r) for s in r[d]] for r in refs], n)
    return _prf(c.hit, c.p, c.hit, c.r)


def agreement(pred: Timeline, refs: list[Timeline], n: int) -> tuple[float, float, float]:
    """Daily summaries compared on the dates they share; every date's words count in the denominators."""
    ref_dates = set().union(*refs)
    prec, rec = Counts(), Counts()
    for d in set(pred) | ref_dates:
        c = rouge_counts(pred.get(d, []), [r.get(d, []) for r in refs], n)
        if d in pred:
            prec.hit, prec.p = prec.hit + c.hit, prec.p + c.p
        if d in ref_dates:
            rec.hit, rec.r = rec.hit + c.hit, rec.r + c.r
    return _prf(prec.hit, prec.p, rec.hit, rec.r)


def _raw_counter(sents: list[str]) -> collections.Counter:
    punct = set(string.punctuation)
    return collections.Counter(t for s in sents for t in raw_tokens(s) if t not in punct)


def rouge1_approx(pred: collections.Counter, refs: list[collections.Counter]) -> float:
    """tilse's content cost: ROUGE-1 F1 on raw tokens (case kept, no stemming, punctuation dropped)."""
    hit = sum(min(c, rc[t]) for rc in refs for t, c in pred.items())
    p, r = len(refs) * sum(pred.values()), sum(sum(rc.values()) for rc in refs)
    return _prf(hit, p, hit, r)[2]


def _date_factor(a: date, b: date) -> float:
    return 1.0 / (abs(a.toordinal() - b.toordinal()) + 1)


def align(
    pred: Timeline, refs: list[Timeline], n: int, content: bool = True, many_to_one: bool = True
) -> tuple[float, float, float]:
    """Alignment-based ROUGE: each predicted date aligned to a reference date (precision), each reference
    date to a predicted one (recall), at costs (1 - date factor) [* (1 - ROUGE-1 approximation)], one-to-one
    (Hungarian) or many-to-one (cheapest); an aligned pair's hits weigh 1 / (days apart + 1); an unaligned
    date's words count in the denominator only."""
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    pds, rds = sorted(pred), sorted(set().union(*refs))
    if not pds or not rds:
        return 0.0, 0.0, 0.0
    ref_at = {d: [r.get(d, []) for r in refs] for d in rds}
    cost = np.zeros((len(pds), len(rds)))
    if content:
        pc = {d: _raw_counter(pred[d]) for d in pds}
        rc = {d: [_raw_counter(x) for x in ref_at[d]] for d in rds}
    for i, pdt in enumerate(pds):
        for j, rdt in enumerate(rds):
            c = 1.0 - _date_factor(pdt, rdt)
            if content and c > 0:
                c *= 1.0 - rouge1_approx(pc[pdt], rc[rdt])
            cost[i, j] = c

    def assign(m) -> dict[int, int]:
        rows, cols = (np.arange(m.shape[0]), m.argmin(axis=1)) if many_to_one else linear_sum_assignment(m)
        return dict(zip(rows.tolist(), cols.tolist(), strict=True))

    prec, rec = Counts(), Counts()
    hit = assign(cost)
    for i in range(len(pds)):
        if i in hit:
            j = hit[i]
            c = rouge_counts(pred[pds[i]], ref_at[rds[j]], n)
            prec.hit += _date_factor(pds[i], rds[j]) * c.hit
            prec.p += c.p
        else:
            prec.p += len(refs) * sum(_ngrams(pred[pds[i]], n).values())
    hit = assign(cost.T)
    for j in range(len(rds)):
        if j in hit:
            i = hit[j]
            c = rouge_counts(pred[pds[i]], ref_at[rds[j]], n)
            rec.hit += _date_factor(pds[i], rds[j]) * c.hit
            rec.r += c.r
        else:
            rec.r += sum(sum(_ngrams(x, n).values()) for x in ref_at[rds[j]])
    return _prf(prec.hit, prec.p, rec.hit, rec.r)


METRICS = {
    "date": lambda p, r: date_prf(p, r),
    "concat1": lambda p, r: concat(p, r, 1),
    "concat2": lambda p, r: concat(p, r, 2),
    "agree1": lambda p, r: agreement(p, r, 1),
    "agree2": lambda p, r: agreement(p, r, 2),
    "align1": lambda p, r: align(p, r, 1, content=False, many_to_one=False),
    "align2": lambda p, r: align(p, r, 2, content=False, many_to_one=False),
    "ar1": lambda p, r: align(p, r, 1),
    "ar2": lambda p, r: align(p, r, 2),
}


def score(pred: Timeline, ref: Timeline, metrics=METRICS) -> dict[str, tuple[float, float, float]]:
    return {m: f(pred, [ref]) for m, f in metrics.items()}


def average(results: list[dict[str, tuple[float, float, float]]]) -> dict[str, float]:
    """news-tls: precision and recall averaged over tasks, F1 of the averages."""
    out = {}
    for m in results[0] if results else {}:
        p = sum(r[m][0] for r in results) / len(results)
        rc = sum(r[m][1] for r in results) / len(results)
        out[m] = 2 * p * rc / (p + rc) if p + rc else 0.0
    return out


# --------------------------------------------------------------------------- runs


@dataclass
class Run:
    tune: list[Task]
    held: list[Task]
    cache: dict = field(default_factory=dict)
    mention_cache: dict = field(default_factory=dict)


def evaluate(tasks: list[Task], system) -> list[dict]:
    return [score(system(t), t.reference) for t in tasks]


GRID = {
    "timeline_later_weight": [0.0, 1.0],
    "timeline_sentence_weight": [0.0, 0.25],
    "timeline_published_weight": [0.0, 0.5],
    "timeline_next_day_weight": [0.5, 2.0],
}


def tune(run: Run, base: AnalysisConfig) -> AnalysisConfig:
    """Grid over the date-ranking weights on the tuning part, by Date-F1 + AR-1 F1 (cheap metrics only)."""
    cheap = {"date": METRICS["date"], "ar1": METRICS["ar1"]}
    best, best_cfg = -1.0, base
    for vals in itertools.product(*GRID.values()):
        cfg = replace(base, **dict(zip(GRID, vals, strict=True)))
        res = average([score(storyline_system(t, cfg, run.cache), t.reference, cheap) for t in run.tune])
        obj = res["date"] + res["ar1"]
        print(
            f"  tune {dict(zip(GRID, vals, strict=True))}: Date-F1 {res['date']:.3f} AR1 {res['ar1']:.3f}",
            file=sys.stderr,
        )
        if obj > best + 1e-9:
            best, best_cfg = obj, cfg
    return best_cfg


COLS = [
    ("date", "Date-F1"),
    ("concat1", "cat R1"),
    ("concat2", "cat R2"),
    ("agree1", "agr R1"),
    ("agree2", "agr R2"),
    ("align1", "aln R1"),
    ("align2", "aln R2"),
    ("ar1", "AR1"),
    ("ar2", "AR2"),
]


def _fmt(x: float | None) -> str:
    return f"{x:.3f}" if x is not None else "  -  "


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=default_data())
    ap.add_argument("--tune", action="store_true", help="grid-search the date-ranking weights on the tuning part")
    ap.add_argument("--max-articles", type=int, default=0, help="at most this many articles per topic (0: all)")
    ap.add_argument("--topics", default="", help="comma-separated topic folders (default: all)")
    ap.add_argument(
        "--set", action="append", default=[], help="override an AnalysisConfig field, e.g. timeline_redundancy=0.6"
    )
    args = ap.parse_args(argv)
    if not args.data.exists():
        print(f"no data at {args.data}: run eval/get_timeline_data.py first (eval/SOURCES.md)", file=sys.stderr)
        return 2
    t0 = time.time()
    topics = load(args.data, args.max_articles, set(filter(None, args.topics.split(","))) or None)
    names = [t.name for t in topics]
    half = len(names) // 2
    run = Run([x for t in topics[:half] for x in tasks_of(t)], [x for t in topics[half:] for x in tasks_of(t)])
    config = AnalysisConfig()
    for kv in args.set:
        key, v = kv.split("=", 1)
        config = replace(config, **{key: type(getattr(config, key))(v)})
    if args.tune:
        config = tune(run, config)
        print("tuned:", {k: getattr(config, k) for k in GRID}, file=sys.stderr)
    systems = {
        "Storyline": lambda t: storyline_system(t, config, run.cache),
        "PubCount+lead (baseline)": pubcount_lead,
        "MentionCount (baseline)": lambda t: mentioncount(t, run.mention_cache),
    }
    timings: dict[str, float] = {}
    per_task: dict[str, dict[str, list]] = {}
    for part, tasks in (("tuning", run.tune), ("held-out", run.held)):
        for name, system in systems.items():
            t1 = time.time()
            per_task.setdefault(part, {})[name] = evaluate(tasks, system)
            timings[name] = timings.get(name, 0.0) + time.time() - t1
    table = []
    for part in ("tuning", "held-out", "all"):
        for name in systems:
            res_list = (
                (per_task["tuning"][name] + per_task["held-out"][name]) if part == "all" else per_task[part][name]
            )
            res = average(res_list) if res_list else {}
            table.append((part, name, [res.get(c) for c, _ in COLS]))
    n_art = sum(len(t.articles) for t in topics)
    print(
        f"Timeline17 ({args.data}): {len(topics)} topics, {len(run.tune) + len(run.held)} tasks, {n_art} articles"
        + (f" (at most {args.max_articles} per topic)" if args.max_articles else "")
    )
    print(
        f"tuning part: {', '.join(names[:half])} ({len(run.tune)} tasks); "
        f"held out: {', '.join(names[half:])} ({len(run.held)} tasks)"
    )
    print(
        "F1 (P and R averaged over tasks); cat = concat, agr = agreement, aln = align (date costs, 1:1), "
        "AR = align+ m:1 (news-tls's alignment-based ROUGE)"
    )
    head = f"{'part':<9} {'system':<26} " + " ".join(f"{h:>7}" for _, h in COLS)
    print(head)
    print("-" * len(head))
    for part, name, vals in table:
        print(f"{part:<9} {name:<26} " + " ".join(f"{_fmt(v):>7}" for v in vals))
    for name, ar1, ar2, df1 in PUBLISHED:
        vals = {"date": df1, "ar1": ar1, "ar2": ar2}
        print(f"{'published':<9} {name:<26} " + " ".join(f"{_fmt(vals.get(c)):>7}" for c, _ in COLS))
    print(
        "all = tuning + held-out tasks (includes the tuning part: compare with the published rows, which are over "
        "all 19 tasks; the held-out rows are the honest ones)"
    )
    print("published: news-tls Table 4 (all 19 T17 tasks, leave-one-out, ROUGE-1.5.5, keyword-filtered sentences)")
    print(
        f"time: {time.time() - t0:.0f} s in all; systems and scoring: "
        + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
    )
    print("settings:", {k: getattr(config, k) for k in vars(config) if k.startswith("timeline_")})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
