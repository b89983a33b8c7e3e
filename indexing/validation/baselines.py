"""Reference recommenders computed in memory from the train events, to judge ours against.

All three score every catalog product for a user from that user's binary train row x_u:
popularity (number of train users per product, the same for everyone), item-kNN (x_u S with S
the item-item cosine similarity, diagonal zeroed) and EASE (x_u B, B the closed form of Steck
2019 with L2 strength lambda). Products the user touched before the cut are never ranked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from indexing.models.cf_model import ease_weights

Scorer = Callable[[sp.csr_matrix], np.ndarray]  # user rows -> users x items scores
BATCH_USERS = 512


@dataclass
class UserItems:
    """Binary users x catalog matrix of the train events (columns: the whole catalog)."""

    matrix: sp.csr_matrix
    user_row: dict[str, int]
    item_ids: list[str]


def user_items(events: pd.DataFrame, item_ids: Sequence[str]) -> UserItems:
    column = {item: i for i, item in enumerate(item_ids)}
    users = pd.Categorical(events["user_id"].astype(str))
    cols = events["product_id"].map(column)
    keep = cols.notna().to_numpy()
    matrix = sp.csr_matrix(
        (np.ones(int(keep.sum())), (users.codes[keep], cols[keep].astype(int).to_numpy())),
        shape=(len(users.categories), len(item_ids)),
        dtype=np.float64,
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    rows = {str(u): i for i, u in enumerate(users.categories)}
    return UserItems(matrix, rows, list(item_ids))


def popularity_scorer(x: sp.csr_matrix) -> Scorer:
    counts = np.asarray(x.sum(axis=0)).ravel()
    return lambda rows: np.tile(counts, (rows.shape[0], 1))


def item_knn_scorer(x: sp.csr_matrix) -> Scorer:
    norms = np.sqrt(np.asarray(x.sum(axis=0)).ravel())  # binary x: column norm = sqrt(count)
    norms[norms == 0] = 1.0
    xn = x @ sp.diags(1.0 / norms)
    similarity = np.asarray((xn.T @ xn).todense())
    np.fill_diagonal(similarity, 0.0)
    return lambda rows: np.asarray(rows @ similarity)


def ease_scorer(x: sp.csr_matrix, lam: float) -> Scorer:
    weights = ease_weights(x.tocsr(), lam)
    return lambda rows: np.asarray(rows @ weights)


def top_k_lists(
    data: UserItems, users: Sequence[str], scorer: Scorer, k: int
) -> dict[str, list[str]]:
    """Each user's best k products, leaving out those in the user's own train row."""
    out: dict[str, list[str]] = {}
    items = np.asarray(data.item_ids)
    for start in range(0, len(users), BATCH_USERS):
        batch = users[start : start + BATCH_USERS]
        rows = data.matrix[[data.user_row[u] for u in batch]]
        scores = scorer(rows).astype(np.float64)
        scores[rows.nonzero()] = -np.inf
        for user, order in zip(batch, top_k_indices(scores, k), strict=True):
            out[user] = items[order].tolist()
    return out


def top_k_indices(scores: np.ndarray, k: int) -> list[np.ndarray]:
    """Per row, the columns of the k highest scores, best first; -inf columns (left out)
    never appear, so a row can come back shorter than k."""
    if scores.shape[1] == 0:
        return [np.zeros(0, dtype=np.int64) for _ in range(scores.shape[0])]
    top = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
    out = []
    for i in range(scores.shape[0]):
        order = top[i][np.argsort(-scores[i, top[i]], kind="stable")]
        out.append(order[np.isfinite(scores[i, order])])
    return out
