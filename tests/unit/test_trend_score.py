"""The trending score: recent events against what the week's rate expects in the window."""

from __future__ import annotations

from indexing.contract.trending_counts import BASELINE_HOURS, bucket_expiry, hour_of
from service.recommend.trending import PRIOR_EXPECTED, PRIOR_RECENT, trend_score


def test_a_product_at_its_usual_rate_scores_below_one_and_a_burst_far_above() -> None:
    steady = trend_score(recent=10, week=10 * BASELINE_HOURS, window_hours=1)
    burst = trend_score(recent=30, week=30, window_hours=1)
    assert steady < 1 < burst


def test_the_priors_damp_a_first_few_events() -> None:
    assert trend_score(2, 2, 1) < trend_score(30, 30, 1)
    assert trend_score(0, 0, 24) == PRIOR_RECENT / PRIOR_EXPECTED


def test_a_window_of_the_whole_week_ranks_by_count() -> None:
    # The expectation is the week's count itself: more events, a higher score.
    assert trend_score(50, 50, BASELINE_HOURS) > trend_score(10, 10, BASELINE_HOURS)


def test_a_bucket_outlives_the_baseline() -> None:
    hour = hour_of(1_800_000_000.0)
    assert bucket_expiry(hour) - (hour + 1) * 3600 > (BASELINE_HOURS - 1) * 3600
