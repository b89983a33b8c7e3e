"""What the index-time tuner may choose, and the grid it chooses from.

The grids are search spaces, not winners: the data of each shop picks from them (see
indexing/tuning/tuner.py). The settings a shop configures are always the starting point, so a
log too small to tune on is built exactly as configured.
"""

from __future__ import annotations

from typing import Any

from indexing.contract.query_blend import QUERY_WEIGHTINGS
from indexing.contract.tuned_params import TuningParams
from indexing.models.interaction_matrix import MATRIX_VALUES

# Half-lives in days; 0 switches decay off (recency does not matter).
HALF_LIVES = (0.0, 7.0, 14.0, 30.0, 90.0)
# EASE's L2 strength; its best value grows with the counts in the Gram matrix.
EASE_LAMBDAS = (30.0, 100.0, 300.0, 1000.0, 3000.0)
HISTORY_ITEMS = (30, 100, 300)
HYBRID_W_CF = (0.5, 0.75, 0.9, 1.0)  # w_content = 1 - w_cf; 1 serves CF alone


def axes(start: TuningParams, n_items: int, ease_max_items: int) -> list[tuple[str, list[Any]]]:
    """The coordinates the tuner walks, in order: the matrix values first (the largest effect
    seen), then the axes that only change the query and the blend (cheap: no refit), then
    those that refit the CF vectors (each costs a full fit, so the budget may stop them).
    Each axis keeps the start's value."""
    models = ["ease", "cosine"] if n_items <= ease_max_items else ["cosine"]
    return [
        ("matrix_values", list(MATRIX_VALUES)),
        ("query_weighting", list(QUERY_WEIGHTINGS)),
        ("history_max_items", _with(HISTORY_ITEMS, start.history_max_items)),
        ("w_cf", _with(HYBRID_W_CF, start.w_cf)),
        ("half_life_days", _with(HALF_LIVES, start.half_life_days)),
        ("ease_lambda", _with(EASE_LAMBDAS, start.ease_lambda)),
        ("cf_model", _with(models, start.cf_model)),
    ]


def fit_key(params: TuningParams) -> tuple[str, float, str, float]:
    """What the CF vectors depend on: candidates with the same key share one fit. Binary
    cells ignore decay, and only EASE has a lambda."""
    half_life = 0.0 if params.matrix_values == "binary" else params.half_life_days
    lam = params.ease_lambda if params.cf_model == "ease" else 0.0
    return params.matrix_values, half_life, params.cf_model, lam


def _with(space: tuple[Any, ...] | list[Any], value: Any) -> list[Any]:
    return sorted({*space, value})
