"""Diversity controls over any strategy's scored list: a hard cap per category and MMR.

The service asks a strategy for more candidates than `top_k` when a request diversifies
(`candidates_for`) and re-selects `top_k` of them here (`diversified`); where the cap leaves
the list short it asks again without the categories already full (`full_categories`) and
continues the selection. Pure: the content vectors MMR compares come from the caller.

MMR (maximal marginal relevance, Carbonell & Goldstein 1998) picks, one at a time, the
candidate maximising (1 - diversity) * relevance - diversity * (its highest cosine similarity
to a product already picked); relevance is the strategy's score brought to [0, 1] over the
candidates, so one `diversity` means the same for every strategy. 0 is the strategy's order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from service.recommend.base import MAX_TOP_K, Scored

# How many more candidates than `top_k` a diversifying request asks for: enough for the cap
# to fill `top_k` from a list dominated by one category, and for MMR to have a choice.
CANDIDATE_FACTOR = 3
# At most MAX_TOP_K * CANDIDATE_FACTOR; with the most exclusions a request may carry
# (routes.MAX_EXCLUDE) the KNN still stays within vector_search.MAX_KNN.
MAX_CANDIDATES = MAX_TOP_K * CANDIDATE_FACTOR
# Rounds a capped request may take: each asks without the categories already full, so one
# category per round is the slowest progress; a catalog with fewer left has no more to give.
CAP_ROUNDS = 10


def candidates_for(top_k: int) -> int:
    return min(top_k * CANDIDATE_FACTOR, MAX_CANDIDATES)


def full_categories(picked: Sequence[Scored], cap: int) -> frozenset[str]:
    """The categories `picked` holds `cap` products of (case-folded): what the cap's next
    round asks the strategy to leave out."""
    counts = Counter(c for item in picked for c in _categories(item))
    return frozenset(c for c, n in counts.items() if n >= cap)


def diversified(
    scored: Sequence[Scored],
    top_k: int,
    max_per_category: int | None,
    diversity: float,
    vectors: Mapping[str, np.ndarray],
    picked: Sequence[Scored] = (),
) -> list[Scored]:
    """`picked` and then more of `scored` (best first), up to `top_k` in all: none that would
    put any of its categories over `max_per_category`, chosen by MMR at `diversity` (0: in
    the given order) against everything picked. `picked`: an earlier round's choice, which
    this round continues. A candidate without a vector counts as similar to nothing. Scores
    stay the strategy's, each capped at the one before it, so the list stays best first by
    score as the API promises."""
    chosen = list(picked)
    pool = [*chosen, *scored]
    unit = _unit_rows([vectors.get(s.product_id) for s in pool])
    relevance = np.concatenate([np.zeros(len(chosen)), _relevance([s.score for s in scored])])
    left = np.arange(len(pool)) >= len(chosen)
    # The highest similarity of each candidate to the products picked so far.
    closest = np.full(len(pool), -np.inf if diversity > 0 else 0.0)
    if diversity > 0 and chosen:
        closest = (unit @ unit[: len(chosen)].T).max(axis=1)
    counts: Counter[str] = Counter(c for item in chosen for c in _categories(item))
    picked = chosen
    while len(picked) < top_k:
        i = _best(relevance, closest, left, diversity, pool, counts, max_per_category)
        if i is None:
            break
        left[i] = False
        picked.append(pool[i])
        counts.update(_categories(pool[i]))
        if diversity > 0:
            closest = np.maximum(closest, unit @ unit[i])
    return _monotone(picked)


def _best(
    relevance: np.ndarray,
    closest: np.ndarray,
    left: np.ndarray,
    diversity: float,
    pool: Sequence[Scored],
    counts: Counter[str],
    cap: int | None,
) -> int | None:
    """The index of the best candidate left that the cap admits; None when none is."""
    penalty = np.where(np.isfinite(closest), closest, 0.0)
    value = (1.0 - diversity) * relevance - diversity * penalty
    for i in np.argsort(-value, kind="stable").tolist():
        if left[i] and (cap is None or all(counts[c] < cap for c in _categories(pool[i]))):
            return int(i)
    return None


def _categories(item: Scored) -> set[str]:
    """Case-folded, as the category filter matches them; each category counts once."""
    return {c.lower() for c in item.card.categories} if item.card is not None else set()


def _relevance(scores: Sequence[float]) -> np.ndarray:
    """Scores brought to [0, 1] over the candidates (all equal: all 1)."""
    values = np.asarray(scores, dtype=np.float64)
    if not len(values):
        return values
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.ones_like(values)


def _unit_rows(rows: Sequence[np.ndarray | None]) -> np.ndarray:
    """The vectors as unit rows (a missing or zero vector: a zero row, similar to nothing)."""
    dims = next((len(v) for v in rows if v is not None), 0)
    out = np.zeros((len(rows), dims), dtype=np.float64)
    for i, v in enumerate(rows):
        if v is not None and len(v) == dims:
            norm = float(np.linalg.norm(v))
            if norm > 0:
                out[i] = v / norm
    return out


def _monotone(items: list[Scored]) -> list[Scored]:
    out: list[Scored] = []
    for item in items:
        if out and item.score > out[-1].score:
            item = replace(item, score=out[-1].score)
        out.append(item)
    return out
