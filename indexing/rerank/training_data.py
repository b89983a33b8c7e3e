"""The re-ranker's training data: for every validation user of the tuning, the candidates the
service would gather (indexing.contract.rerank_features), their features, and as labels
whether the user touched them in the held-out window.

The first stage is scored by the tuner's own CandidateScorer for the chosen settings, so the
CF vectors, histories and queries are the ones a build with those settings serves, fit on the
events before the validation cut only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from indexing.build.history_writer import interest_frame, popularity_totals
from indexing.contract.index_schema import CATEGORY_SEPARATOR
from indexing.contract.rerank_features import (
    FirstStage,
    ProductFacts,
    candidates,
    feature_rows,
    relative_popularity,
    user_context,
)
from indexing.contract.tuned_params import TuningParams
from indexing.tuning.candidate_scorer import CandidateScorer, ScoredBatch
from indexing.validation.baselines import top_k_indices


@dataclass(frozen=True)
class UserCandidates:
    user: str
    products: list[str]
    features: np.ndarray  # len(products) x len(FEATURES)
    labels: np.ndarray  # 1 where the user touched the product in the held-out window


def catalog_facts(products: pd.DataFrame) -> tuple[dict[str, list[str]], dict[str, float | None]]:
    """product -> its categories, and its price (None without one), from the loaded catalog
    (categories joined by CATEGORY_SEPARATOR, as the product hashes keep them)."""
    ids = products["product_id"].astype(str).tolist()
    categories = {
        pid: [c for c in str(cell).split(CATEGORY_SEPARATOR) if c]
        for pid, cell in zip(ids, products["category"].fillna(""), strict=True)
    }
    prices = {
        pid: (float(p) if pd.notna(p) else None)
        for pid, p in zip(ids, products["price"], strict=True)
    }
    return categories, prices


def ranking_data(
    scorer: CandidateScorer,
    params: TuningParams,
    products: pd.DataFrame,
    popular_max_items: int,
    per_side: int,
) -> list[UserCandidates]:
    """One entry per validation user: `per_side` CF and content candidates plus the popular
    ones, in the order the service gathers them."""
    given = scorer.given
    categories, prices = catalog_facts(products)
    cf = scorer.vectors(params)
    facts = ProductFacts(categories, prices, dict(zip(cf.item_ids, cf.index, strict=True)))
    top_query = dict(zip(cf.item_ids, cf.query, strict=True))
    train = given.split.train
    interest = interest_frame(train, float(train["ts"].max()), params.half_life_days)
    popular = list(popularity_totals(interest, popular_max_items).items())
    popularity = relative_popularity([(str(p), float(s)) for p, s in popular])
    popular_ids = [str(p) for p, _ in popular]
    history = scorer.histories(params).groupby("user_id", sort=False)["product_id"].agg(list)
    out = []
    for batch in scorer.batches(params, hybrid=True):
        for user, lists, query in _first_stage(batch, given.item_ids, per_side):
            seen = given.split.seen[user]
            lists = FirstStage(lists.cf, lists.content, [p for p in popular_ids if p not in seen])
            held = history.get(user, [])
            top = top_query.get(held[0]) if held else None
            context = user_context(held, facts, query, top)
            ids = candidates(lists)
            relevant = given.split.relevant[user]
            out.append(
                UserCandidates(
                    user,
                    ids,
                    feature_rows(ids, lists, popularity, facts, context),
                    np.asarray([pid in relevant for pid in ids], dtype=np.float32),
                )
            )
    return out


def _first_stage(
    batch: ScoredBatch, item_ids: Sequence[str], per_side: int
) -> Iterator[tuple[str, FirstStage, np.ndarray]]:
    """Per user of the batch: the CF and content top lists (what the two KNNs answer) and
    the user's CF query."""
    items = np.asarray(item_ids)
    cf_top = top_k_indices(batch.cf, per_side)
    content_top = (
        top_k_indices(batch.content, per_side)
        if batch.content is not None
        else [np.zeros(0, dtype=np.int64)] * len(batch.users)
    )
    for i, user in enumerate(batch.users):
        content: Mapping[str, float] = {}
        if batch.content is not None:
            order = content_top[i]
            content = dict(
                zip(items[order].tolist(), batch.content[i, order].tolist(), strict=True)
            )
        yield user, FirstStage(items[cf_top[i]].tolist(), content, []), batch.cf_query[i]
