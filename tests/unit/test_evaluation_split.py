"""The time split: no leakage across the cut, train-touched products never relevant."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from indexing.validation import baselines
from indexing.validation.split import cut_timestamp, time_split


def _events(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["user_id", "product_id", "ts"])
    return frame.assign(interaction_type="purchase", weight=1.0)


def _random_events(seed: int = 0, n: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return _events(
        [
            (f"u{rng.integers(60)}", f"p{rng.integers(80)}", float(rng.integers(0, 500)))
            for _ in range(n)
        ]
    )


def test_cut_is_the_event_quantile() -> None:
    assert cut_timestamp(np.arange(10.0), 0.2) == 8.0
    with pytest.raises(ValueError):
        cut_timestamp(np.arange(10.0), 1.5)


def test_no_test_event_before_the_cut_and_no_train_event_after() -> None:
    split = time_split(_random_events(), 0.2)
    assert (split.train["ts"] < split.cut_ts).all()
    assert (split.test["ts"] >= split.cut_ts).all()
    assert len(split.train) + len(split.test) == 2000
    assert len(split.test) == pytest.approx(400, abs=30)  # ties at the cut go to test


def test_relevant_products_are_new_to_the_user_and_seen_is_the_train_history() -> None:
    events = _random_events(1)
    split = time_split(events, 0.2)
    assert split.users
    for user in split.users:
        train_items = set(split.train.loc[split.train["user_id"] == user, "product_id"])
        test_items = set(split.test.loc[split.test["user_id"] == user, "product_id"])
        assert split.seen[user] == train_items
        assert split.relevant[user] == test_items - train_items
        assert split.relevant[user] and not split.relevant[user] & split.seen[user]


def test_users_without_train_events_or_new_products_are_not_test_users() -> None:
    events = _events(
        [
            ("old", "a", 1.0),
            ("old", "b", 2.0),
            ("repeat", "a", 3.0),
            ("fresh", "x", 4.0),  # train: 4 of 5 events before the cut at ts 5
            ("old", "c", 5.0),
            ("repeat", "a", 5.0),
            ("newcomer", "c", 5.0),
        ]
    )
    split = time_split(events, 3 / 7)
    assert split.cut_ts == 5.0
    assert split.users == ["old"]  # repeat bought nothing new; newcomer had no train events
    assert split.relevant["old"] == {"c"}
    assert split.cold_items() == {"c"}


def test_baselines_never_rank_products_the_user_touched() -> None:
    events = _random_events(2)
    split = time_split(events, 0.2)
    items = sorted(set(events["product_id"]))
    data = baselines.user_items(split.train, items)
    assert isinstance(data.matrix, sp.csr_matrix) and data.matrix.max() == 1.0
    for scorer in (
        baselines.popularity_scorer(data.matrix),
        baselines.item_knn_scorer(data.matrix),
        baselines.ease_scorer(data.matrix, 10.0),
    ):
        lists = baselines.top_k_lists(data, split.users, scorer, 10)
        for user in split.users:
            assert len(lists[user]) == 10
            assert not set(lists[user]) & split.seen[user]


def test_ease_ranks_the_co_bought_item_first() -> None:
    # everyone who bought a also bought b; the user with only a should get b first.
    rows = [(f"u{i}", "a", 1.0) for i in range(20)] + [(f"u{i}", "b", 1.0) for i in range(20)]
    rows += [(f"v{i}", "c", 1.0) for i in range(30)] + [("me", "a", 1.0)]
    data = baselines.user_items(_events(rows), ["a", "b", "c"])
    lists = baselines.top_k_lists(data, ["me"], baselines.ease_scorer(data.matrix, 1.0), 2)
    assert lists["me"] == ["b", "c"]


def test_the_validation_split_lies_wholly_before_the_test_cut() -> None:
    split = time_split(_random_events(3), 0.2)
    validation = time_split(split.train, 0.2)
    assert validation.cut_ts < split.cut_ts
    assert (validation.test["ts"] < split.cut_ts).all()
    assert not set(validation.relevant) - set(split.train["user_id"])


def test_user_sample_is_deterministic_and_keeps_train() -> None:
    from service.evaluation.runner import sample_users

    split = time_split(_random_events(4), 0.2)
    first, second = sample_users(split, 10), sample_users(split, 10)
    assert first.users == second.users and len(first.users) == 10
    assert set(first.users) <= set(split.users) and len(first.train) == len(split.train)


def test_with_repeats_a_product_touched_again_is_relevant_too() -> None:
    events = _events(
        [
            ("old", "a", 1.0),
            ("old", "b", 2.0),
            ("repeat", "a", 3.0),
            ("fresh", "x", 4.0),
            ("old", "c", 5.0),
            ("old", "a", 5.0),
            ("repeat", "a", 5.0),
            ("newcomer", "c", 5.0),
        ]
    )
    split = time_split(events, 3 / 8, repeats=True)
    assert split.cut_ts == 5.0
    # "repeat" only came back to what it had: a test user now; the newcomer still is not.
    assert split.users == ["old", "repeat"]
    assert split.relevant == {"old": {"a", "c"}, "repeat": {"a"}}
    assert split.seen == {"old": {"a", "b"}, "repeat": {"a"}}
