"""Vectorised helpers the demo generators share: contiguous segments and uniform draws.

The simulation keeps per-category, per-family, per-user and per-session rows as contiguous
segments of one flat array, so it can draw for every shopper at once instead of looping.
"""

from __future__ import annotations

import numpy as np


def segment_starts(lengths: np.ndarray) -> np.ndarray:
    """Index of the first row of every segment, for contiguous segments of these lengths."""
    return np.concatenate([[0], np.cumsum(lengths)[:-1]])


def segment_cumsum(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at every segment (segments are contiguous)."""
    total = np.cumsum(values)
    before = np.repeat(total[starts] - values[starts], lengths)
    return total - before


def random_below(rng: np.random.Generator, bounds: np.ndarray) -> np.ndarray:
    """One uniform integer in [0, bound) per entry of bounds (same shape)."""
    return (rng.random(bounds.shape) * bounds).astype(np.int64)
