"""Top-K ranking metrics with binary relevance, averaged over users.

Recall@K = hits / min(K, |relevant|) (so a perfect list scores 1 even for users with more than K
relevant products, as in the EASE and Mult-VAE papers); NDCG@K = DCG / ideal DCG with
1/log2(rank + 1) gains; HitRate@K = share of users with at least one hit; coverage = share of
the catalog that appears in at least one user's top K.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Scores:
    users: int
    recall: float
    ndcg: float
    hit_rate: float
    coverage: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def recall_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    if not relevant:
        return 0.0
    hits = sum(1 for item in ranked[:k] if item in relevant)
    return hits / min(k, len(relevant))


def ndcg_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    if not relevant:
        return 0.0
    dcg = sum(1.0 / np.log2(rank + 2) for rank, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1.0 / np.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return float(dcg / ideal)


def hit_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    return 1.0 if any(item in relevant for item in ranked[:k]) else 0.0


def catalog_coverage(lists: Iterable[Sequence[str]], catalog_size: int, k: int) -> float:
    shown: set[str] = set()
    for ranked in lists:
        shown.update(ranked[:k])
    return len(shown) / catalog_size if catalog_size else 0.0


def score_lists(
    rankings: Mapping[str, Sequence[str]],
    relevant: Mapping[str, Collection[str]],
    k: int,
    catalog_size: int,
) -> Scores:
    """Mean metrics over the users of `relevant` that have at least one relevant product; a
    user missing from `rankings` counts as an empty list (zero), never as skipped."""
    users = [u for u, items in relevant.items() if items]
    if not users:
        return Scores(0, 0.0, 0.0, 0.0, 0.0)
    lists = [list(rankings.get(u, ()))[:k] for u in users]
    rels = [relevant[u] for u in users]
    return Scores(
        users=len(users),
        recall=float(np.mean([recall_at_k(r, rel, k) for r, rel in zip(lists, rels, strict=True)])),
        ndcg=float(np.mean([ndcg_at_k(r, rel, k) for r, rel in zip(lists, rels, strict=True)])),
        hit_rate=float(np.mean([hit_at_k(r, rel, k) for r, rel in zip(lists, rels, strict=True)])),
        coverage=catalog_coverage(lists, catalog_size, k),
    )
