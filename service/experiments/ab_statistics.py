"""The statistics of the A/B report: CTR intervals and the difference test (pure functions)."""

from __future__ import annotations

import math

Z95 = 1.959963984540054


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """95% Wilson score interval of a proportion; (0, 0) with no trials.

    Successes are capped at the trials: a variant can collect more clicks than impressions
    (several clicks on one list), and the interval of a rate above 1 is undefined."""
    if trials <= 0:
        return (0.0, 0.0)
    successes = min(max(successes, 0), trials)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    margin = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return (max(0.0, centre - margin), min(1.0, centre + margin))


def two_proportion_p_value(s1: int, n1: int, s2: int, n2: int) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test; None when undefined.
    Successes are capped at their trials, as in `wilson_interval`."""
    if n1 <= 0 or n2 <= 0:
        return None
    s1, s2 = min(max(s1, 0), n1), min(max(s2, 0), n2)
    pooled = (s1 + s2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return 1.0 if s1 / n1 == s2 / n2 else None
    z = (s1 / n1 - s2 / n2) / math.sqrt(variance)
    return math.erfc(abs(z) / math.sqrt(2))
