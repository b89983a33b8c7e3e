"""The time-based split: the latest `test_fraction` of events are the future to predict.

Test users are users with events before the cut and at least one product after it that they had
not touched before; what they touched before the cut is left out of their candidates. The same
function carves the validation split from the latest part of train, so hyper-parameters are
chosen without ever looking at test events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class TimeSplit:
    train: pd.DataFrame  # events strictly before the cut (the csv_loader's columns)
    test: pd.DataFrame  # events at or after the cut
    cut_ts: float  # epoch seconds
    # Per test user: products touched before the cut, and new products touched after it.
    seen: dict[str, frozenset[str]]
    relevant: dict[str, frozenset[str]]

    @property
    def users(self) -> list[str]:
        return sorted(self.relevant)

    def cold_items(self) -> frozenset[str]:
        """Products with test events and no event before the cut (only content can serve them)."""
        return frozenset(set(self.test["product_id"]) - set(self.train["product_id"]))

    def train_event_counts(self) -> dict[str, int]:
        counts = self.train.groupby("user_id").size()
        return {str(u): int(n) for u, n in counts.items()}


def cut_timestamp(ts: np.ndarray, test_fraction: float) -> float:
    """The timestamp at the (1 - test_fraction) event quantile; events at it are test."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test fraction must be between 0 and 1, got {test_fraction}")
    if len(ts) < 2:
        raise ValueError("need at least two events to split by time")
    ordered = np.sort(np.asarray(ts, dtype=float))
    return float(ordered[int(len(ordered) * (1.0 - test_fraction))])


def time_split(events: pd.DataFrame, test_fraction: float, repeats: bool = False) -> TimeSplit:
    """With `repeats`, a product the user touches again after the cut counts as relevant too
    (test users: every user with events on both sides); the protocol that lets a recommender
    that shows seen products (SHOPREC_EXCLUDE_SEEN) be scored fairly."""
    cut = cut_timestamp(events["ts"].to_numpy(dtype=float), test_fraction)
    before = events["ts"].to_numpy(dtype=float) < cut
    train, test = events[before], events[~before]
    seen_all = train.groupby("user_id")["product_id"].agg(frozenset).to_dict()
    future = test.groupby("user_id")["product_id"].agg(frozenset).to_dict()
    seen: dict[str, frozenset[str]] = {}
    relevant: dict[str, frozenset[str]] = {}
    for user, products in future.items():
        past = seen_all.get(user)
        if past is None:
            continue  # no history before the cut: a cold-start user, not what we measure
        new = products if repeats else products - past
        if new:
            seen[str(user)], relevant[str(user)] = past, new
    return TimeSplit(train, test, cut, seen, relevant)


def sample_users(split: TimeSplit, max_users: int | None) -> TimeSplit:
    """Keep every n-th test user (deterministic), so a quick run sees the same users each time."""
    users = split.users
    if max_users is None or len(users) <= max_users:
        return split
    step = len(users) / max_users
    kept = {users[int(i * step)] for i in range(max_users)}
    return TimeSplit(
        split.train,
        split.test,
        split.cut_ts,
        {u: s for u, s in split.seen.items() if u in kept},
        {u: r for u, r in split.relevant.items() if u in kept},
    )
