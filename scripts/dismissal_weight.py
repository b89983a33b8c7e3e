"""What SHOPREC_CF_DISMISS_WEIGHT costs or gains, where the log has no dismissals to score.

The demo and online-retail logs carry no `dismiss` events, so `shoprec evaluate` gives the
same NDCG@10 for any weight. A proxy on the validation split (cut from the end of train, as
the tuning does; never the test split): each validation user "dismisses" the top product of
their CF list that they did not touch afterwards (what a shopper shown it and not wanting it
would do), then the next list is scored against the products they did touch, at each weight.
Weight 0 is today's behaviour (the product only left out). Numpy, in memory, with the
service's own query arithmetic (indexing.contract.query_blend.user_query).

    PYTHONPATH=. .venv/bin/python scripts/dismissal_weight.py [products.csv interactions.csv]
"""

from __future__ import annotations

import sys

import numpy as np

from indexing.build.history_writer import interest_frame, user_histories
from indexing.contract.query_blend import user_query
from indexing.contract.settings import get_settings
from indexing.load.csv_loader import load_interactions, load_products
from indexing.models.cf_model import fit_cf_vectors
from indexing.models.interaction_matrix import build_interaction_matrix
from indexing.validation.metrics import ndcg_at_k
from indexing.validation.split import time_split

WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0)
K = 10


def main(products_csv: str, interactions_csv: str) -> None:
    settings = get_settings()
    cf = settings.cf
    catalog = load_products(products_csv)
    events = load_interactions(interactions_csv, catalog.product_ids, cf.event_weights).events
    train = time_split(events, 0.2).train
    split = time_split(train, 0.2)  # the validation split
    matrix = build_interaction_matrix(split.train, cf.half_life_days, values=cf.matrix_values)
    vectors = fit_cf_vectors(matrix, cf.dims, cf.model, cf.ease_lambda, cf.ease_max_items)
    row = {pid: i for i, pid in enumerate(vectors.item_ids)}
    items = np.asarray(vectors.item_ids)
    epoch = float(split.train["ts"].max())
    histories = user_histories(
        interest_frame(split.train, epoch, cf.half_life_days), cf.history_max_items
    )
    by_user = {str(u): rows for u, rows in histories.groupby("user_id", sort=False)}
    ndcg = {w: [] for w in WEIGHTS}
    for user in split.users:
        rows = by_user.get(user)
        if rows is None:
            continue
        history = sorted(
            zip(rows["product_id"].astype(str), rows["weight"].astype(float), strict=True),
            key=lambda kv: (kv[1], kv[0]),
            reverse=True,
        )
        q = {pid: vectors.query[row[pid]] for pid, _ in history if pid in row}
        base = user_query(history, q, (), cf.query_weighting, 0.0)
        if base is None:
            continue
        seen = {pid for pid, _ in history}
        relevant = split.relevant[user]
        order = np.argsort(-(vectors.index @ base), kind="stable")
        dismissed = next(
            (items[i] for i in order if items[i] not in seen and items[i] not in relevant), None
        )
        if dismissed is None:
            continue
        q_all = q | {dismissed: vectors.query[row[dismissed]]}
        for weight in WEIGHTS:
            query = user_query(history, q_all, {dismissed}, cf.query_weighting, weight)
            assert query is not None
            ranked = [
                items[i]
                for i in np.argsort(-(vectors.index @ query), kind="stable")
                if items[i] not in seen and items[i] != dismissed
            ][:K]
            ndcg[weight].append(ndcg_at_k(ranked, relevant, K))
    print(f"{len(ndcg[0.0])} validation users, one dismissal each (their top untouched product)")
    print("| SHOPREC_CF_DISMISS_WEIGHT | NDCG@10 |")
    print("| ---: | ---: |")
    for weight in WEIGHTS:
        print(f"| {weight:g} | {np.mean(ndcg[weight]):.4f} |")


if __name__ == "__main__":
    args = sys.argv[1:] or ["data/products.csv", "data/interactions.csv"]
    main(*args)
