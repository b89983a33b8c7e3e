"""Ranking metrics against cases worked out by hand."""

from __future__ import annotations

import math

import pytest

from indexing.validation.metrics import (
    catalog_coverage,
    hit_at_k,
    ndcg_at_k,
    recall_at_k,
    score_lists,
)


def test_recall_divides_by_the_smaller_of_k_and_relevant() -> None:
    ranked = ["a", "b", "c", "d"]
    assert recall_at_k(ranked, {"b", "x"}, k=3) == pytest.approx(1 / 2)
    # 5 relevant, k=2, both shown are relevant: a perfect list scores 1.
    assert recall_at_k(["a", "b"], {"a", "b", "c", "d", "e"}, k=2) == pytest.approx(1.0)
    assert recall_at_k(ranked, {"d"}, k=3) == 0.0  # rank 4 is past k
    assert recall_at_k(ranked, set(), k=3) == 0.0


def test_ndcg_by_hand() -> None:
    # hit at ranks 2 and 3 out of 2 relevant: (1/log2(3) + 1/log2(4)) / (1 + 1/log2(3))
    expected = (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(["x", "a", "b"], {"a", "b"}, k=3) == pytest.approx(expected)
    assert ndcg_at_k(["a", "b", "x"], {"a", "b"}, k=3) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y", "a"], {"a"}, k=2) == 0.0


def test_hit_rate_and_coverage() -> None:
    assert hit_at_k(["x", "a"], {"a"}, k=2) == 1.0
    assert hit_at_k(["x", "a"], {"a"}, k=1) == 0.0
    assert catalog_coverage([["a", "b", "c"], ["b", "d"]], catalog_size=10, k=2) == pytest.approx(
        3 / 10
    )


def test_score_lists_averages_over_users_and_counts_missing_users_as_zero() -> None:
    rankings = {"u1": ["a", "b"], "u2": ["c", "d"]}
    relevant = {"u1": frozenset({"a"}), "u2": frozenset({"x"}), "u3": frozenset({"a"})}
    scores = score_lists(rankings, relevant, k=2, catalog_size=4)
    assert scores.users == 3
    assert scores.recall == pytest.approx(1 / 3)
    assert scores.ndcg == pytest.approx(1 / 3)
    assert scores.hit_rate == pytest.approx(1 / 3)
    assert scores.coverage == pytest.approx(4 / 4)


def test_users_without_relevant_products_are_not_counted() -> None:
    scores = score_lists({"u1": ["a"]}, {"u1": frozenset({"a"}), "u2": frozenset()}, 1, 2)
    assert scores.users == 1 and scores.recall == 1.0
