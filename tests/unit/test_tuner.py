"""The index-time tuner chooses from the data: two synthetic logs that need different settings.

Items come in clusters; a user's items come from two clusters. In the drifting log a user
moves from one cluster to the other and the future continues the latest one, so the query
must weigh recent items more. In the steady log every event, before the cut or after it,
comes from either cluster at random, so recency says nothing about the future.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from indexing.contract.settings import Settings
from indexing.contract.tuned_params import TuningParams
from indexing.tuning.tuner import summary_lines, tune

CLUSTERS, PER_CLUSTER, USERS, EACH = 8, 30, 300, 8
DAY = 86400.0


def _log(drifting: bool, seed: int) -> tuple[pd.DataFrame, list[str]]:
    rng = np.random.default_rng(seed)
    items = [f"P{c}-{i:02d}" for c in range(CLUSTERS) for i in range(PER_CLUSTER)]
    rows = []
    for u in range(USERS):
        pair = rng.choice(CLUSTERS, size=2, replace=False)
        for n in range(2 * EACH):
            if drifting:  # the first half from one cluster, then the other
                cluster, day = pair[n // EACH], rng.uniform(*((0, 100), (150, 200))[n // EACH])
            else:  # each event from either cluster, at any time
                cluster, day = rng.choice(pair), rng.uniform(0, 200)
            item = items[cluster * PER_CLUSTER + rng.integers(PER_CLUSTER)]
            rows.append((f"U{u}", item, day * DAY))
    events = pd.DataFrame(rows, columns=["user_id", "product_id", "ts"])
    events = events.assign(interaction_type="view", weight=1.0)
    return events.sort_values("ts", kind="stable").reset_index(drop=True), items


def _settings(**cf: object) -> Settings:
    base = {"tune": True, "tune_budget_s": 600.0, "tune_min_users": 20, "dims": 32}
    return Settings().replace(cf={**base, **cf})


def test_the_tuner_picks_different_settings_where_the_logs_need_them() -> None:
    drifting = tune(*_log(True, 1), None, _settings())
    steady = tune(*_log(False, 2), None, _settings())
    assert drifting.chosen is not None and steady.chosen is not None
    # Drift: the latest cluster predicts the future, so recent items must count more.
    assert drifting.chosen.query_weighting != "uniform"
    assert 0 < drifting.chosen.half_life_days <= 30
    assert drifting.ndcg["tuned"] > drifting.ndcg["defaults"] + 0.05
    # Steady: every history item says as much; recency weighting would only add noise.
    assert steady.chosen.query_weighting == "uniform" or steady.chosen.half_life_days == 0
    assert drifting.chosen != steady.chosen


def test_the_record_shows_the_winner_against_defaults_and_popularity() -> None:
    result = tune(*_log(True, 3), None, _settings())
    record = result.as_meta()
    assert TuningParams.from_meta({"tuning": record}) == result.chosen
    assert set(record["validation_ndcg_at_10"]) == {"tuned", "defaults", "popularity"}
    ndcg = record["validation_ndcg_at_10"]
    assert ndcg["tuned"] >= ndcg["defaults"] and ndcg["tuned"] > ndcg["popularity"]
    lines = summary_lines(record)
    assert lines[0].startswith("tuning: ") and "popularity" in lines[-1]


def test_a_small_log_or_no_tune_keeps_the_configured_settings() -> None:
    events, items = _log(True, 4)
    settings = _settings(tune_min_users=10_000)
    small = tune(events, items, None, settings)
    assert small.chosen is None and "fewer than" in small.skipped
    assert small.settings(settings) == settings
    off = tune(events, items, None, _settings(tune=False))
    assert off.chosen is None and summary_lines(off.as_meta()) == ["tuning: skipped (turned off)"]


def test_the_budget_stops_candidates_that_need_a_refit() -> None:
    ticks = iter(np.arange(0.0, 1e6, 10.0))  # every clock read: 10 s later
    result = tune(*_log(True, 5), None, _settings(tune_budget_s=35.0), clock=lambda: next(ticks))
    assert result.stopped_by_budget and result.chosen is not None
    assert result.candidates < 10
