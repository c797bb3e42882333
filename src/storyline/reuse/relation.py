"""The relation of two aligned articles: coverage both ways, the share of aligned pairs in the same order and
their kinds give exact-duplicate, near-duplicate, rewrite, partial-reuse or independent, with a confidence."""

from __future__ import annotations

import math

import numpy as np

from ..config import ReuseConfig
from .profile import Profile


def _lis_length(seq: list[int]) -> int:
    """Length of the longest strictly increasing subsequence."""
    import bisect

    tails: list[int] = []
    for x in seq:
        i = bisect.bisect_left(tails, x)
        if i == len(tails):
            tails.append(x)
        else:
            tails[i] = x
    return len(tails)


def relation_of(
    pa: Profile, pb: Profile, pairs: list[tuple[int, int, float, str]], config: ReuseConfig
) -> tuple[str, float]:
    """The relation of source profile ``pa`` and target ``pb`` from their alignment, and its confidence."""
    cfg = config
    ns, nt = pa.n, pb.n
    matched = len(pairs)
    cov_s = matched / ns if ns else 0.0
    cov_t = matched / nt if nt else 0.0
    cov_hi, cov_lo = max(cov_s, cov_t), min(cov_s, cov_t)
    kinds = [k for *_, k in pairs]
    n_ident = kinds.count("identical")
    n_lex = n_ident + kinds.count("edited")
    lex_share = n_lex / matched if matched else 0.0
    order = _lis_length([j for _, j, _, _ in pairs]) / matched if matched else 0.0
    mean_p = float(np.mean([p for _, _, p, _ in pairs])) if pairs else 0.0
    long_lex = sum(1 for i, j, _, k in pairs if k != "paraphrase" and min(pa.n_tokens[i], pb.n_tokens[j]) >= 6)
    long_ident = sum(
        1 for i, j, _, k in pairs if k == "identical" and pa.n_tokens[i] >= cfg.partial_min_identical_words
    )
    strong_para = sum(1 for *_, p, k in pairs if k == "paraphrase" and p >= cfg.partial_paraphrase_prob)

    if (
        ns
        and nt
        and (
            pa.body_hash == pb.body_hash
            or (cov_lo >= cfg.exact_min_coverage and n_ident >= cfg.exact_min_coverage * max(ns, nt))
        )
    ):
        relation, conf = (
            "exact-duplicate",
            0.99 if pa.body_hash == pb.body_hash else round(min(cov_lo, n_ident / max(ns, nt)), 3),
        )
    elif (
        cov_hi >= cfg.near_min_coverage
        and cov_lo >= cfg.near_min_other_coverage
        and lex_share >= cfg.near_min_lexical_share
    ):
        relation = "near-duplicate"
        conf = round(min(0.99, 0.5 + 0.25 * cov_hi + 0.25 * lex_share), 3)
    elif (
        cov_hi >= cfg.rewrite_min_coverage
        and cov_lo >= cfg.rewrite_min_other_coverage
        and order >= cfg.rewrite_min_order
    ):
        relation = "rewrite"
        conf = round(min(0.99, 0.4 * mean_p + 0.3 * order + 0.3 * cov_hi), 3)
    elif (
        long_lex >= cfg.partial_min_lexical
        or (long_lex >= 1 and strong_para >= 1)
        or strong_para >= cfg.partial_min_paraphrase
        or long_ident >= 1
    ):
        relation = "partial-reuse"
        evidence = [p for *_, p, k in pairs if k != "paraphrase" or p >= cfg.partial_paraphrase_prob]
        conf = round(min(0.99, 1.0 - math.prod(1.0 - 0.8 * p for p in evidence)), 3)
    else:
        relation = "independent"
        # how sure we are that nothing was taken: fewer and weaker matches -> surer
        conf = round(max(0.5, 1.0 - 0.15 * matched * mean_p), 3)
    return relation, float(conf)
