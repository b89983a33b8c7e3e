"""Time decay of interest: an event one half-life old counts half as much as one now.

Histories in Redis store weights relative to a fixed `epoch` (the newest event of the build):
w * 2^((ts - epoch) / half_life). Adding a new event is then a plain ZINCRBY, and because every
item of a user shares the same factor at query time, relative weights stay right without ever
rewriting old entries.
"""

from __future__ import annotations

import numpy as np

SECONDS_PER_DAY = 86400.0


def decay_factor(age_seconds: np.ndarray, half_life_days: float) -> np.ndarray:
    """2^(-age / half-life) per event; half_life_days <= 0 switches decay off."""
    if half_life_days <= 0:
        return np.ones_like(age_seconds, dtype=float)
    return np.exp2(-np.asarray(age_seconds, dtype=float) / (half_life_days * SECONDS_PER_DAY))


def epoch_weight(weight: float, ts: float, epoch: float, half_life_days: float) -> float:
    """The stored history weight of one event at time `ts` (see module docstring)."""
    if half_life_days <= 0:
        return weight
    return float(weight * 2.0 ** ((ts - epoch) / (half_life_days * SECONDS_PER_DAY)))
