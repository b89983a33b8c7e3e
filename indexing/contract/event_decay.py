"""Time decay of interest: an event one half-life older than another counts half as much.

Histories in Redis store weights relative to a fixed `epoch` (the newest event of the build):
w * 2^((ts - epoch) / half_life). Adding a new event is then a plain ZINCRBY, and because every
item of a user shares the same factor at query time, relative weights stay right without ever
rewriting old entries. The CF matrix uses the same function with the newest event as reference.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

SECONDS_PER_DAY = 86400.0


def decayed(
    weight: npt.ArrayLike, ts: npt.ArrayLike, reference: float, half_life_days: float
) -> np.ndarray:
    """weight * 2^((ts - reference) / half-life), element-wise; half_life_days <= 0 switches
    decay off. An event at `reference` keeps its weight, one a half-life before it half."""
    weights = np.asarray(weight, dtype=float)
    if half_life_days <= 0:
        return weights
    exponent = (np.asarray(ts, dtype=float) - reference) / (half_life_days * SECONDS_PER_DAY)
    return weights * np.exp2(exponent)


def decayed_event_weights(
    events: pd.DataFrame, reference: float, half_life_days: float
) -> np.ndarray:
    """`decayed` over an events frame's `weight` and `ts` columns."""
    return decayed(events["weight"].to_numpy(dtype=float), events["ts"], reference, half_life_days)
