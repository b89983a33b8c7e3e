"""The re-ranker's candidates and features: one computation for the build that trains the
model (indexing/rerank) and the service that applies it (service/recommend/reranked.py), so
a model sees at serving time exactly the features it was trained on.

Candidates are the union of three first-stage lists for a user: CF KNN, content KNN around the
user's strongest products, and the most popular products. Every feature is something a shop
engineer can read off one product and one user (FEATURES); a value that does not exist (a
product missing from a list, without a price or a CF vector) is NaN, which LightGBM treats as
missing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

FEATURES = (
    # The two CF dot products are divided by their largest size among the user's candidates:
    # a refit on more events (the served model is fit on the whole log, the training one on
    # its earlier part) changes their scale, not their order.
    "cf_score",  # dot of the user's CF query with the product's CF vector (the CF KNN score)
    "cf_rank",  # position in the CF KNN list (NaN: not in it)
    "content_score",  # cosine to the user's strongest products' content centroid
    "content_rank",  # position in the content KNN list (NaN: not in it)
    "popularity",  # decayed popularity relative to the most popular product (0: not ranked)
    "category_share",  # share of the user's history in the product's categories
    "price_ratio",  # log of the price over the median price of the user's history
    "history_items",  # log1p of how many products the history holds
    "top_item_cf",  # dot of the strongest history product's CF query with the product's CF
)
# Popular products added to every candidate list (after those the user must not see).
POPULAR_CANDIDATES = 10


@dataclass(frozen=True)
class UserContext:
    """What the features need to know about the user, computed once per request."""

    history_items: int
    category_share: dict[str, float]
    median_price: float | None
    cf_query: np.ndarray | None  # the served CF query (indexing.contract.query_blend)
    top_item_query: np.ndarray | None  # the CF query vector of the strongest history product


@dataclass(frozen=True)
class ProductFacts:
    """What the features read about the candidates (and the history): categories, prices and
    CF index vectors, by product id; a product may be missing from any of them."""

    categories: Mapping[str, Sequence[str]]
    prices: Mapping[str, float | None]
    cf_vectors: Mapping[str, np.ndarray]


@dataclass(frozen=True)
class FirstStage:
    """The first-stage lists of one user, best first, without what they must not see."""

    cf: Sequence[str]
    content: Mapping[str, float]  # product -> cosine, in KNN order
    popular: Sequence[str]


def user_context(
    history: Sequence[str],
    facts: ProductFacts,
    cf_query: np.ndarray | None,
    top_item_query: np.ndarray | None,
) -> UserContext:
    """`history`: the user's products, strongest first (as the history sorted set keeps it)."""
    counts: dict[str, float] = {}
    for pid in history:
        for category in facts.categories.get(pid, ()):
            counts[category] = counts.get(category, 0.0) + 1.0
    n = max(len(history), 1)
    prices = [p for pid in history if (p := facts.prices.get(pid)) is not None and p > 0]
    return UserContext(
        history_items=len(history),
        category_share={c: v / n for c, v in counts.items()},
        median_price=float(np.median(prices)) if prices else None,
        cf_query=cf_query,
        top_item_query=top_item_query,
    )


def candidates(lists: FirstStage) -> list[str]:
    """The union of the three lists: CF first, then content, then popular (first seen wins)."""
    return list(dict.fromkeys([*lists.cf, *lists.content, *lists.popular[:POPULAR_CANDIDATES]]))


def feature_rows(
    products: Sequence[str],
    lists: FirstStage,
    popularity: Mapping[str, float],
    facts: ProductFacts,
    user: UserContext,
) -> np.ndarray:
    """len(products) x len(FEATURES), float32; `popularity` is relative (top product 1)."""
    cf_rank = {pid: i for i, pid in enumerate(lists.cf)}
    content_rank = {pid: i for i, pid in enumerate(lists.content)}
    rows = np.full((len(products), len(FEATURES)), np.nan, dtype=np.float32)
    history = math.log1p(user.history_items)
    for i, pid in enumerate(products):
        vector = facts.cf_vectors.get(pid)
        row = rows[i]
        if vector is not None and user.cf_query is not None:
            row[0] = float(vector @ user.cf_query)
        if vector is not None and user.top_item_query is not None:
            row[8] = float(vector @ user.top_item_query)
        row[1] = cf_rank.get(pid, np.nan)
        row[2] = lists.content.get(pid, np.nan)
        row[3] = content_rank.get(pid, np.nan)
        row[4] = popularity.get(pid, 0.0)
        row[5] = max(
            (user.category_share.get(c, 0.0) for c in facts.categories.get(pid, ())), default=0.0
        )
        price = facts.prices.get(pid)
        if price is not None and price > 0 and user.median_price:
            row[6] = math.log(price / user.median_price)
        row[7] = history
    for column in (0, 8):
        rows[:, column] = _relative(rows[:, column])
    return rows


def _relative(values: np.ndarray) -> np.ndarray:
    """`values` over the largest of their sizes (NaN stays NaN; all missing or 0: as is)."""
    finite = values[np.isfinite(values)]
    top = float(np.abs(finite).max()) if len(finite) else 0.0
    return values / top if top > 0 else values


def relative_popularity(ranked: Sequence[tuple[str, float]]) -> dict[str, float]:
    """product -> its decayed popularity over the top product's (the popular sorted set)."""
    top = max((score for _, score in ranked), default=0.0)
    if top <= 0:
        return {pid: 0.0 for pid, _ in ranked}
    return {pid: score / top for pid, score in ranked}


def sigmoid(scores: np.ndarray) -> np.ndarray:
    """Model scores to 0..1 for the answer (monotone: the order is the model's)."""
    return 1.0 / (1.0 + np.exp(-np.clip(scores, -30.0, 30.0)))
