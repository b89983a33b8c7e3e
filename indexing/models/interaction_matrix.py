"""The weighted, time-decayed user x item matrix that the CF models learn from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from indexing.contract.event_decay import decayed_event_weights


@dataclass
class InteractionMatrix:
    matrix: sp.csr_matrix  # users x items, float32
    user_ids: list[str]
    item_ids: list[str]  # only items with at least one event

    @property
    def item_index(self) -> dict[str, int]:
        return {item: i for i, item in enumerate(self.item_ids)}


MATRIX_VALUES = ("log1p", "binary")


def build_interaction_matrix(
    events: pd.DataFrame, half_life_days: float, now: float | None = None, values: str = "log1p"
) -> InteractionMatrix:
    """Sum of decayed event weights per (user, item), then log1p so repeat buys saturate;
    `values="binary"` keeps only whether the pair has any event (see settings.cf.matrix_values)."""
    if values not in MATRIX_VALUES:
        raise ValueError(f"unknown CF matrix values {values!r}; use one of {MATRIX_VALUES}")
    if now is None:
        now = float(events["ts"].max()) if len(events) else 0.0
    users = pd.Categorical(events["user_id"])
    items = pd.Categorical(events["product_id"])
    weights = decayed_event_weights(events, now, half_life_days)
    matrix = sp.csr_matrix(
        (weights, (users.codes, items.codes)),
        shape=(len(users.categories), len(items.categories)),
        dtype=np.float64,
    )
    matrix.sum_duplicates()
    matrix.data = np.log1p(matrix.data) if values == "log1p" else np.ones_like(matrix.data)
    return InteractionMatrix(
        matrix=matrix.astype(np.float32),
        user_ids=[str(u) for u in users.categories],
        item_ids=[str(i) for i in items.categories],
    )
