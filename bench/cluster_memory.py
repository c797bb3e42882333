"""Marginal memory per article of the story clusterer: tracemalloc growth while 4,000 articles are
added to a clusterer already holding 2,000 (synthetic stories as in bench/cluster.py).

    python bench/cluster_memory.py
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
import importlib.util  # noqa: E402 - after the path to the package, as in every bench script
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

from storyline.cluster import StoryClusterer  # noqa: E402
from storyline.config import ClusterConfig, EmbedConfig  # noqa: E402
from storyline.embed import get_embedder  # noqa: E402

spec = importlib.util.spec_from_file_location("bc", str(Path(__file__).with_name("cluster.py")))
assert spec is not None and spec.loader is not None
bc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bc)

emb = get_embedder(EmbedConfig())
arts = bc.synthetic_articles(6000)
rng = np.random.default_rng(0)
bases: dict[str, np.ndarray] = {}
vecs = np.zeros((len(arts), emb.dim), np.float32)
for i, a in enumerate(arts):
    k = a.source.split(":")[0]
    if k not in bases:
        b = rng.normal(size=emb.dim)
        bases[k] = b / np.linalg.norm(b)
    v = bases[k] + rng.normal(size=emb.dim) * (0.4 / np.sqrt(emb.dim))
    vecs[i] = v / np.linalg.norm(v)
c = StoryClusterer(ClusterConfig(), emb)
c.partial_fit(arts[:2000], embeddings=vecs[:2000])
tracemalloc.start(5)
s1 = tracemalloc.take_snapshot()
c.partial_fit(arts[2000:6000], embeddings=vecs[2000:6000])
s2 = tracemalloc.take_snapshot()
tot = sum(st.size_diff for st in s2.compare_to(s1, "filename"))
print(
    "marginal heap per added article (bytes):",
    round(tot / 4000),
    "events",
    sum(len(g.events) for g in c._groups),
    "stories",
    len(c.story_ids()),
    "surfaces",
    len(c.vocab.surface),
)
for st in s2.compare_to(s1, "lineno")[:8]:
    print(" ", st)
