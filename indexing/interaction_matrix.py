"""The weighted, time-decayed user x item matrix that the CF models learn from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from indexing.event_decay import decay_factor


@dataclass
class InteractionMatrix:
    matrix: sp.csr_matrix  # users x items, float32
    user_ids: list[str]
    item_ids: list[str]  # only items with at least one event

    @property
    def item_index(self) -> dict[str, int]:
        return {item: i for i, item in enumerate(self.item_ids)}


def decayed_weights(events: pd.DataFrame, half_life_days: float, now: float) -> np.ndarray:
    """Each event's weight times its time decay relative to `now` (epoch seconds)."""
    age = now - events["ts"].to_numpy(dtype=float)
    return events["weight"].to_numpy(dtype=float) * decay_factor(age, half_life_days)


def build_interaction_matrix(
    events: pd.DataFrame, half_life_days: float, now: float | None = None
) -> InteractionMatrix:
    """Sum of decayed event weights per (user, item), then log1p so repeat buys saturate."""
    if now is None:
        now = float(events["ts"].max()) if len(events) else 0.0
    users = pd.Categorical(events["user_id"])
    items = pd.Categorical(events["product_id"])
    values = decayed_weights(events, half_life_days, now)
    matrix = sp.csr_matrix(
        (values, (users.codes, items.codes)),
        shape=(len(users.categories), len(items.categories)),
        dtype=np.float64,
    )
    matrix.sum_duplicates()
    matrix.data = np.log1p(matrix.data)
    return InteractionMatrix(
        matrix=matrix.astype(np.float32),
        user_ids=[str(u) for u in users.categories],
        item_ids=[str(i) for i in items.categories],
    )
