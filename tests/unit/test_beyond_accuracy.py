"""Beyond-accuracy metrics on hand-made lists, and recall on cold products."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from indexing.validation.beyond_accuracy import beyond_accuracy, intra_list_diversity
from indexing.validation.split import time_split
from service.evaluation.runner import slice_scores

CATEGORY = {"a": "x", "b": "x", "c": "y", "d": "z"}
TRAIN_USERS = {"a": 4, "b": 2, "c": 1}  # of 4 train users; nobody touched d


def test_coverage_counts_each_shown_product_once() -> None:
    result = beyond_accuracy([["a", "b"], ["a", "c"]], 2, CATEGORY, TRAIN_USERS, 4)
    assert result.coverage == pytest.approx(3 / 4)


def test_diversity_is_the_share_of_pairs_in_different_categories() -> None:
    assert intra_list_diversity(["a", "b"], CATEGORY) == 0.0
    assert intra_list_diversity(["a", "b", "c"], CATEGORY) == pytest.approx(2 / 3)
    assert intra_list_diversity(["a"], CATEGORY) == 0.0
    result = beyond_accuracy([["a", "b"], ["c", "d"]], 2, CATEGORY, TRAIN_USERS, 4)
    assert result.diversity == pytest.approx(0.5)


def test_no_categories_means_no_diversity() -> None:
    result = beyond_accuracy([["a", "b"]], 2, dict.fromkeys(CATEGORY, ""), TRAIN_USERS, 4)
    assert result.diversity is None


def test_novelty_and_popularity_bias_come_from_the_train_users_share() -> None:
    result = beyond_accuracy([["a", "b"], ["c", "d"]], 2, CATEGORY, TRAIN_USERS, 4)
    shares = [1.0, 0.5, 0.25, 0.25]  # d, touched by nobody, counts as one user
    assert result.novelty == pytest.approx(sum(-math.log2(p) for p in shares) / 4)
    assert result.popularity_bias == pytest.approx(sum(shares) / 4)
    popular = beyond_accuracy([["a"], ["a"]], 1, CATEGORY, TRAIN_USERS, 4)
    assert popular.novelty == 0.0 and popular.popularity_bias == 1.0


def test_only_the_top_k_count() -> None:
    result = beyond_accuracy([["a", "d"]], 1, CATEGORY, TRAIN_USERS, 4)
    assert result.coverage == pytest.approx(1 / 4) and result.popularity_bias == 1.0


def test_recall_on_cold_products_scores_only_products_without_train_events() -> None:
    day = 86400.0
    events = pd.DataFrame(
        {
            "user_id": ["u1", "u1", "u2", "u2", "u1", "u1", "u2"],
            "product_id": ["a", "b", "a", "c", "c", "d", "d"],
            "ts": [1 * day, 2 * day, 3 * day, 4 * day, 10 * day, 11 * day, 12 * day],
        }
    )
    split = time_split(events, 0.4)
    cold = split.cold_items()
    assert cold == {"d"}
    counts = split.train_event_counts()
    rankings = {"u1": ["c", "x"], "u2": ["d", "b"]}  # u1 misses cold d, u2 finds it
    _, _, cold_scores = slice_scores(rankings, split, 2, 4, counts, cold)
    assert cold_scores.users == 2 and cold_scores.recall == pytest.approx(0.5)
