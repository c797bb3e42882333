"""Window sweep for the Spark story step, in one process (no Spark): the same per-window function
(storyline.spark.cluster_window) and the same linking (link_pieces / link_windows) as spark-run,
against the single-machine Pipeline's stories on the test corpus (tests/spark_corpus.py).

    PYTHONPATH=src python bench/spark_windows.py [--days 0 30 14 7 3] [--link scorer|cosine] [--span 2] [--df prefix|none]

Prints, per window size: windows, pieces, linked stories, ARI vs the stream (linked / pieces), ARI vs
the DUC gold clusters. Settings were chosen on this same corpus (DUC 2004 dev + seeds).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from sklearn.metrics import adjusted_rand_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from spark_corpus import build_corpus  # noqa: E402

from storyline import Config, Pipeline, open_store  # noqa: E402
from storyline import spark as sl  # noqa: E402
from storyline.cluster import embed_text  # noqa: E402
from storyline.embed import get_embedder  # noqa: E402
from storyline.reuse import duplicate_groups  # noqa: E402


def ari(a: dict, b: dict) -> float:
    ids = sorted(set(a) & set(b))
    return float(adjusted_rand_score([a[i] for i in ids], [b[i] for i in ids]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=float, nargs="*", default=[0, 30, 14, 7, 3])
    ap.add_argument("--link", default="scorer", choices=["scorer", "cosine"])
    ap.add_argument("--df", default="prefix", choices=["prefix", "none"])
    ap.add_argument("--diag", action="store_true")
    ap.add_argument("--span", type=int, default=sl.SparkOptions.link_span, help="--link cosine: windows back")
    args = ap.parse_args()
    cfg = Config()
    tmp = Path(tempfile.mkdtemp())
    info = build_corpus(tmp / "stream.jsonl")
    store = open_store(tmp / "single.db")
    Pipeline(store, cfg, chunk_size=100_000).ingest_paths([str(tmp / "stream.jsonl")])
    arts = list(store.iter_articles())
    want = {a.id: store.story_of(a.id) for a in arts}
    gold = {a.id: info["clusters"][int(a.source.rsplit(":", 1)[1]) - 1] for a in arts}  # source = file:line
    seq = {a.id: a.seq for a in arts}
    by_id = {a.id: a for a in arts}
    copies = {}
    for g in duplicate_groups(store.all_edges()):
        g = sorted(g, key=lambda i: (by_id[i].published is None, by_id[i].published or 0, seq[i], i))
        copies.update({c: g[0] for c in g[1:]})
    emb = get_embedder(cfg.embed)
    vecs = dict(zip([a.id for a in arts], emb.encode([embed_text(a) for a in arts]), strict=True))
    print(f"{len(arts)} articles; stream: {len(set(want.values()))} stories, ARI vs gold {ari(want, gold):.3f}")
    print("| window | windows | pieces | stories | ARI vs stream (linked) | ARI vs stream (pieces) | ARI vs DUC gold |")
    for days in args.days:
        wd = days if days > 0 else 1e6
        groups = defaultdict(list)
        for a in arts:
            groups[sl.window_of(a.published.isoformat() if a.published else None, wd)].append(a)
        pieces_of, states, cent = {}, {}, {}
        wdf = {w: sl.article_df([a for a in items if a.id not in copies], cfg) for w, items in groups.items()}
        for w, items in groups.items():
            prior = sl.prior_for(wdf, w) if args.df == "prefix" else None
            rows, _, states[w] = sl.cluster_window(w, items, seq, copies, cfg, prior)
            for p, _, a in rows:
                pieces_of[a] = p
                c = cent.setdefault(p, [w, 0])
                c[1] = c[1] + vecs[a]
        if args.link == "scorer":
            mapping = sl.link_pieces(states, cfg, emb)
        else:
            mapping = sl.link_windows(
                {p: (w, v) for p, (w, v) in cent.items()}, sl.SparkOptions.link_threshold, args.span
            )
        got = {a: mapping[p] for a, p in pieces_of.items()}
        if args.diag:
            from collections import Counter

            for name, x, y in (("stream story split", want, got), ("spark story joins", got, want)):
                for sid in sorted(set(x.values())):
                    c = Counter(y[a] for a in x if x[a] == sid)
                    if len(c) > 1:
                        print(
                            name,
                            sid[:14],
                            dict(c.most_common()),
                            "gold:",
                            dict(Counter(gold[a] for a in x if x[a] == sid)),
                        )
        label = "one window" if days <= 0 else f"{days:g} days"
        print(
            f"| {label} | {len(groups)} | {len(set(pieces_of.values()))} | {len(set(got.values()))} | "
            f"{ari(want, got):.3f} | {ari(want, pieces_of):.3f} | {ari(got, gold):.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
