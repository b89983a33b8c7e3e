"""The recommenders' pure vector math: centroid, normalisation, blending."""

from __future__ import annotations

import numpy as np
import pytest

from indexing.contract.query_blend import blend, min_max_normalise, weighted_centroid


def test_weighted_centroid_is_the_weighted_mean() -> None:
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    np.testing.assert_allclose(weighted_centroid([a, b], [3.0, 1.0]), [0.75, 0.25])


def test_weighted_centroid_dot_is_weighted_mean_similarity() -> None:
    """docs/architecture.md: dot(v_i, sum_j w_j v_j) / sum w = weighted mean of cos(v_i, v_j)."""
    rng = np.random.default_rng(0)
    vectors = [v / np.linalg.norm(v) for v in rng.normal(size=(4, 8))]
    weights = [1.0, 2.0, 0.5, 4.0]
    probe = vectors[0]
    expected = sum(w * float(probe @ v) for w, v in zip(weights, vectors, strict=True))
    expected /= sum(weights)
    assert float(probe @ weighted_centroid(vectors, weights)) == pytest.approx(expected, rel=1e-5)


def test_weighted_centroid_with_zero_weights_is_the_plain_mean() -> None:
    a, b = np.array([2.0, 0.0]), np.array([0.0, 2.0])
    np.testing.assert_allclose(weighted_centroid([a, b], [0.0, 0.0]), [1.0, 1.0])


def test_min_max_normalise_maps_to_zero_one() -> None:
    assert min_max_normalise({"a": 0.2, "b": 0.6, "c": 0.4}) == pytest.approx(
        {"a": 0.0, "b": 1.0, "c": 0.5}
    )


def test_min_max_normalise_of_equal_or_single_scores_is_one() -> None:
    assert min_max_normalise({"a": 0.3}) == {"a": 1.0}
    assert min_max_normalise({"a": 0.3, "b": 0.3}) == {"a": 1.0, "b": 1.0}
    assert min_max_normalise({}) == {}


def test_blend_weights_each_normalised_side() -> None:
    content = {"a": 0.9, "b": 0.5, "c": 0.1}  # -> a 1, b 0.5, c 0
    cf = {"b": 10.0, "d": 0.0}  # -> b 1, d 0
    scores = blend(content, cf, 0.25, 0.75)
    assert scores == pytest.approx({"a": 0.25, "b": 0.25 * 0.5 + 0.75, "c": 0.0, "d": 0.0})


def test_blend_with_a_zero_weight_keeps_the_other_sides_order() -> None:
    content = {"a": 0.9, "b": 0.5, "c": 0.7}
    cf = {"a": 0.0, "b": 1.0}
    scores = blend(content, cf, 1.0, 0.0)
    assert sorted(scores, key=scores.__getitem__, reverse=True) == ["a", "c", "b"]


def test_blend_scales_do_not_matter() -> None:
    """CF inner products and content cosines live on different scales; normalising first
    means multiplying one side's raw scores changes nothing."""
    content = {"a": 0.9, "b": 0.5}
    cf = {"a": 0.01, "b": 0.03}
    scaled = {k: v * 1000 for k, v in cf.items()}
    assert blend(content, cf, 0.5, 0.5) == pytest.approx(blend(content, scaled, 0.5, 0.5))
