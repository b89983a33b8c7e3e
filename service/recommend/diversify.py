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
    if diversity > 0 and scored:
        cap = _Cap(max_per_category, scored, chosen)
        relevance = _relevance([s.score for s in scored])
        similarity = _similarity(
            [vectors.get(s.product_id) for s in [*scored, *chosen]], len(scored)
        )
        _pick_by_mmr(scored, relevance, similarity, diversity, cap, chosen, top_k)
    else:
        _pick_in_order(scored, max_per_category, chosen, top_k)
    return _monotone(chosen)


def _pick_in_order(
    scored: Sequence[Scored], max_per_category: int | None, chosen: list[Scored], top_k: int
) -> None:
    """Onto `chosen`, the candidates the cap admits, best score first: with nothing to
    compare, the best admitted is always the next one (one the cap shuts out stays out).
    Stops at `top_k`: a capped request's first round offers as many candidates as most
    requests need (service/recommend/cap_depth.py), and most need fewer."""
    counts = Counter(c for item in chosen for c in _categories(item))
    for item in sorted(scored, key=_score, reverse=True):  # stable: ties keep their order
        if len(chosen) >= top_k:
            return
        if max_per_category is not None:
            categories = _categories(item)
            if any(counts[c] >= max_per_category for c in categories):
                continue
            counts.update(categories)
        chosen.append(item)


def _score(item: Scored) -> float:
    return item.score


def _pick_by_mmr(
    scored: Sequence[Scored],
    relevance: list[float],
    similarity: np.ndarray,
    diversity: float,
    cap: _Cap,
    chosen: list[Scored],
    top_k: int,
) -> None:
    """Onto `chosen`, by MMR, the candidates the cap admits; `similarity` row j: every
    candidate's cosine similarity to the j-th of the candidates and then of the products
    `chosen` holds already. A candidate's value after a pick is the lower of its value before
    and its value against the product picked (MMR's max similarity, turned around), so a step
    is one argmax and one minimum over precomputed rows: half the time of a loop over the
    candidates in Python."""
    n = len(scored)
    weighted = (1.0 - diversity) * np.asarray(relevance, dtype=np.float64)
    # Row j: each candidate's value if the j-th product were the one most like it.
    against = weighted - diversity * similarity
    # Nothing chosen yet: no penalty, the first pick is the most relevant.
    value = against[n:].min(axis=0) if chosen else weighted.copy()
    shut = [i for i in range(n) if not cap.admits(i)]
    value[shut] = -np.inf  # shut out by the cap: never picked (a minimum keeps -inf)
    while len(chosen) < top_k:
        best = int(value.argmax())  # the first of the best, as a stable sort would give
        if value[best] == -np.inf:
            return  # every candidate picked or shut out
        if chosen:
            np.minimum(value, against[best], out=value)
        else:
            value = against[best].copy()
            value[shut] = -np.inf
        chosen.append(scored[best])
        value[best] = -np.inf
        if cap.take(best):
            value[[i for i in range(n) if not cap.admits(i)]] = -np.inf


class _Cap:
    """What `max_per_category` still admits of the candidates, as products are picked."""

    def __init__(self, cap: int | None, scored: Sequence[Scored], picked: Sequence[Scored]):
        self._cap = cap
        # Without a cap nothing is counted: MMR alone looks at no category.
        shown = scored if cap is not None else ()
        self._categories = [_categories(s) for s in shown]
        self._counts = Counter(c for item in picked if cap is not None for c in _categories(item))

    def admits(self, i: int) -> bool:
        cap = self._cap
        return cap is None or all(self._counts[c] < cap for c in self._categories[i])

    def take(self, i: int) -> bool:
        """Count candidate `i` picked; True where that fills one of its categories."""
        cap = self._cap
        if cap is None:
            return False
        self._counts.update(self._categories[i])
        return any(self._counts[c] >= cap for c in self._categories[i])


def _categories(item: Scored) -> frozenset[str]:
    """Case-folded, as the category filter matches them; each category counts once."""
    return item.card.category_keys if item.card is not None else frozenset()


def _relevance(scores: Sequence[float]) -> list[float]:
    """Scores brought to [0, 1] over the candidates (all equal: all 1). Plain Python: for a
    few dozen numbers each numpy call costs more than the arithmetic."""
    if not scores:
        return []
    low, high = min(scores), max(scores)
    if high <= low:
        return [1.0] * len(scores)
    return [(s - low) / (high - low) for s in scores]


def _similarity(rows: Sequence[np.ndarray | None], n: int) -> np.ndarray:
    """Row j: the cosine similarity of each of the first `n` vectors to the j-th (a missing
    or zero vector: similar to nothing, 0), in float64 as MMR weighs it."""
    dims = next((len(v) for v in rows if v is not None), 0)
    if all(v is not None and len(v) == dims for v in rows):
        matrix = np.array(rows, dtype=np.float32).reshape(len(rows), dims)
    else:
        matrix = np.zeros((len(rows), dims), dtype=np.float32)
        for i, v in enumerate(rows):
            if v is not None and len(v) == dims:
                matrix[i] = v
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix))
    norms[norms == 0] = 1.0  # a zero row stays zero
    unit = matrix / norms[:, None]
    return (unit @ unit[:n].T).astype(np.float64)


def _monotone(items: list[Scored]) -> list[Scored]:
    out: list[Scored] = []
    for item in items:
        if out and item.score > out[-1].score:
            item = replace(item, score=out[-1].score)
        out.append(item)
    return out
