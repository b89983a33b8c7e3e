"""The A/B report's statistics against values worked out by hand (and in textbooks)."""

from __future__ import annotations

import pytest

from service.experiments.ab_statistics import two_proportion_p_value, wilson_interval


def test_wilson_interval_of_10_in_100() -> None:
    # p = 0.1, z^2/n = 0.0384: centre 0.11921/1.03841 = 0.11480, margin 0.05957.
    low, high = wilson_interval(10, 100)
    assert low == pytest.approx(0.05523, abs=1e-5)
    assert high == pytest.approx(0.17437, abs=1e-5)


def test_wilson_interval_of_no_successes_is_zero_to_z2_over_n_plus_z2() -> None:
    low, high = wilson_interval(0, 10)
    assert low == 0.0
    assert high == pytest.approx(3.841459 / 13.841459, abs=1e-6)


def test_wilson_interval_of_all_successes_ends_at_one() -> None:
    low, high = wilson_interval(10, 10)
    assert high == pytest.approx(1.0)
    assert low == pytest.approx(1 - 3.841459 / 13.841459, abs=1e-6)


def test_wilson_interval_without_trials_is_empty() -> None:
    assert wilson_interval(0, 0) == (0.0, 0.0)


def test_p_value_of_10_in_100_against_20_in_100() -> None:
    # pooled 0.15; se = sqrt(0.15 * 0.85 * 2/100) = 0.050498; z = 1.9803; p = 2 * (1 - Phi(z)).
    assert two_proportion_p_value(10, 100, 20, 100) == pytest.approx(0.047670, abs=1e-5)


def test_p_value_is_symmetric_in_the_two_arms() -> None:
    # pooled 0.0375; se = 0.0084963; z = 1.76547.
    assert two_proportion_p_value(30, 1000, 45, 1000) == pytest.approx(0.077485, abs=1e-5)
    assert two_proportion_p_value(45, 1000, 30, 1000) == pytest.approx(0.077485, abs=1e-5)


def test_p_value_of_equal_rates_is_one() -> None:
    assert two_proportion_p_value(50, 1000, 50, 1000) == pytest.approx(1.0)


def test_p_value_is_undefined_without_impressions_on_a_side() -> None:
    assert two_proportion_p_value(3, 10, 0, 0) is None
    # No clicks anywhere: both rates are 0, nothing to tell apart.
    assert two_proportion_p_value(0, 10, 0, 10) == 1.0


def test_more_successes_than_trials_are_capped_not_an_error() -> None:
    """Several clicks on one shown list: the report must still answer."""
    assert wilson_interval(15, 10) == wilson_interval(10, 10)
    assert two_proportion_p_value(15, 10, 3, 10) == two_proportion_p_value(10, 10, 3, 10)
