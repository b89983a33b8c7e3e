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
    cap = _Cap(max_per_category, [_categories(s) for s in scored], chosen)
    relevance = _relevance([s.score for s in scored])
    if diversity > 0 and scored:
        unit = _unit_rows([vectors.get(s.product_id) for s in [*scored, *chosen]])
        _pick_by_mmr(scored, relevance, unit, diversity, cap, chosen, top_k)
    else:
        _pick_in_order(scored, relevance, cap, chosen, top_k)
    return _monotone(chosen)


def _pick_in_order(
    scored: Sequence[Scored], relevance: np.ndarray, cap: _Cap, chosen: list[Scored], top_k: int
) -> None:
    """Onto `chosen`, the candidates the cap admits in relevance order: with nothing to
    compare, the best admitted is always the next one (one the cap shuts out stays out)."""
    for i in np.argsort(-relevance, kind="stable").tolist():
        if len(chosen) >= top_k:
            return
        if cap.admits(i):
            chosen.append(scored[i])
            cap.take(i)


def _pick_by_mmr(
    scored: Sequence[Scored],
    relevance: np.ndarray,
    unit: np.ndarray,
    diversity: float,
    cap: _Cap,
    chosen: list[Scored],
    top_k: int,
) -> None:
    """Onto `chosen`, by MMR, the candidates the cap admits; `unit`: the candidates' unit
    vectors and then those of the products `chosen` holds already."""
    n = len(scored)
    # Row j: every candidate's similarity to product j (a candidate, or one chosen before).
    similarity = unit @ unit[:n].T
    # The highest similarity of each candidate to a product chosen (nothing yet: no penalty).
    closest = similarity[n:].max(axis=0) if chosen else np.zeros(n, dtype=unit.dtype)
    # The candidates' weighted relevance, -inf for those chosen or shut out by the cap.
    weighted = (1.0 - diversity) * relevance
    weighted[cap.shut_out()] = -np.inf
    while len(chosen) < top_k:
        # The first of the best, as a stable sort would give.
        best = int(np.argmax(weighted - diversity * closest))
        if weighted[best] == -np.inf:
            return
        weighted[best] = -np.inf
        first = not chosen
        chosen.append(scored[best])
        if cap.take(best):
            weighted[cap.shut_out()] = -np.inf
        closest = similarity[best] if first else np.maximum(closest, similarity[best])


class _Cap:
    """What `max_per_category` still admits of the candidates, as products are picked."""

    def __init__(self, cap: int | None, categories: list[set[str]], picked: Sequence[Scored]):
        self._cap, self._categories = cap, categories
        self._counts = Counter(c for item in picked for c in _categories(item))

    def admits(self, i: int) -> bool:
        cap = self._cap
        return cap is None or all(self._counts[c] < cap for c in self._categories[i])

    def shut_out(self) -> list[int]:
        """The candidates the cap admits no more."""
        return [i for i in range(len(self._categories)) if not self.admits(i)]

    def take(self, i: int) -> bool:
        """Count candidate `i` picked; True where that fills one of its categories."""
        self._counts.update(self._categories[i])
        cap = self._cap
        return cap is not None and any(self._counts[c] >= cap for c in self._categories[i])


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
    if all(v is not None and len(v) == dims for v in rows):
        out = np.array(rows, dtype=np.float32).reshape(len(rows), dims)
    else:
        out = np.zeros((len(rows), dims), dtype=np.float32)
        for i, v in enumerate(rows):
            if v is not None and len(v) == dims:
                out[i] = v
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


def _monotone(items: list[Scored]) -> list[Scored]:
    out: list[Scored] = []
    for item in items:
        if out and item.score > out[-1].score:
            item = replace(item, score=out[-1].score)
        out.append(item)
    return out
