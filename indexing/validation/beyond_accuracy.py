"""What a recommender shows besides hits, over all users' top-K lists.

- coverage: share of the catalog in at least one list (metrics.catalog_coverage);
- diversity: intra-list category diversity, the mean over lists of the share of item pairs in
  different categories (None when the catalog has no categories);
- novelty: mean self-information -log2(p_i) of the listed items, p_i the share of train users
  who touched item i (an item nobody touched counts as touched by one, so it stays finite);
- popularity bias: mean p_i of the listed items (popularity itself is the ceiling).
Recall on cold items is a slice of the accuracy metrics (runner.slice_scores).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from itertools import combinations

import numpy as np

from indexing.validation.metrics import catalog_coverage


@dataclass(frozen=True)
class BeyondAccuracy:
    coverage: float
    diversity: float | None
    novelty: float
    popularity_bias: float

    def as_dict(self) -> dict[str, float | None]:
        return asdict(self)


def intra_list_diversity(ranked: Sequence[str], category: Mapping[str, str]) -> float:
    pairs = list(combinations(ranked, 2))
    if not pairs:
        return 0.0
    return sum(category.get(a, "") != category.get(b, "") for a, b in pairs) / len(pairs)


def beyond_accuracy(
    lists: Iterable[Sequence[str]],
    k: int,
    category: Mapping[str, str],
    train_users: Mapping[str, int],
    n_train_users: int,
) -> BeyondAccuracy:
    """`category`: product -> category for the whole catalog; `train_users`: product ->
    number of train users who touched it."""
    cut = [list(ranked)[:k] for ranked in lists]
    shown = [item for ranked in cut for item in ranked]
    users = max(n_train_users, 1)
    share = np.asarray([max(train_users.get(item, 0), 1) / users for item in shown])
    has_categories = any(category.values())
    return BeyondAccuracy(
        coverage=catalog_coverage(cut, len(category), k),
        diversity=(
            float(np.mean([intra_list_diversity(r, category) for r in cut]))
            if has_categories and cut
            else None
        ),
        novelty=float(np.mean(-np.log2(share))) if len(share) else 0.0,
        popularity_bias=float(np.mean(share)) if len(share) else 0.0,
    )
