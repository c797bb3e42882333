"""The cross-language threshold (cluster/crosslingual.py) checked on the DUC 2004 event clusters.

There is no cross-lingual story benchmark in ../shared/data, so this is a monolingual proxy: each DUC 2004 article's
headline + lead is encoded with the multilingual USE v3 encoder, its best match among all the other articles is
found, and for each threshold the table gives the share of articles linked (best cosine >= threshold) and the
precision (the best match is in the same gold cluster). Across languages the encoder's cosines run lower than
within one, so the proxy overstates how many would be linked and says little about recall; it does show where
topic-level similarity (articles of different events) stops.

    python eval/crosslingual.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "eval"))

from cluster import load_duc  # noqa: E402  (after the sys.path lines above)

from storyline.cluster.crosslingual import lead_text, load_encoder  # noqa: E402
from storyline.config import ClusterConfig  # noqa: E402

THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75)


def main() -> None:
    arts, gold, _, _ = load_duc()
    vecs = np.asarray(load_encoder().encode([lead_text(a) for a in arts]))
    sims = vecs @ vecs.T
    np.fill_diagonal(sims, -1.0)
    labels = np.array([gold[a.id] for a in arts])
    same = labels[:, None] == labels[None, :]
    best, best_sim = sims.argmax(1), sims.max(1)
    right = same[np.arange(len(arts)), best]
    default = ClusterConfig().cross_language_threshold
    print(f"DUC 2004, {len(arts)} articles in {len(set(labels))} clusters; best match of each among all others")
    print("threshold  linked  precision")
    for t in THRESHOLDS:
        linked = best_sim >= t
        precision = float(right[linked].mean()) if linked.any() else 0.0
        mark = "  <- default" if abs(t - default) < 1e-9 else ""
        print(f"{t:9.2f}  {linked.mean():6.2f}  {precision:9.3f}{mark}")
    off = sims[~same]
    print(
        f"cosine: same cluster mean {sims[same & (sims > -1)].mean():.2f}; different mean {off.mean():.2f}, p99 {np.quantile(off, 0.99):.2f}"
    )


if __name__ == "__main__":
    main()
