"""Why a product is in an answer: a machine-readable `reason` and, where the answer comes
from another product, which one (its id and title), for the human-readable `explanation`.

The strategies attach a `Reason` to every `Scored` they answer, from what they have already
read: the query product for content and together, the history item that contributes most to
a CF score (`closest_sources`: the largest term w_j * dot(P_j, Q_i) of the CF query's sum,
see docs/architecture.md) for the personal strategies. Merchandising rules
(service/recommend/rules.py) replace it with `boosted` or `pinned`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from service.recommend.base import Scored

SIMILAR_TO = "similar_to"
BOUGHT_WITH = "bought_with"
HISTORY = "history"
POPULAR = "popular"
TRENDING = "trending"
BOOSTED = "boosted"
PINNED = "pinned"
REASONS = (SIMILAR_TO, BOUGHT_WITH, HISTORY, POPULAR, TRENDING, BOOSTED, PINNED)

# How many of the user's strongest history items a personal result may be named after: the
# read costs a field per item, and the stored CF query spares reading the rest.
NAMED_HISTORY_ITEMS = 20

# The field a product's name is read from, beside the vectors a strategy reads anyway.
TITLE_FIELD = "title"


@dataclass(frozen=True)
class Reason:
    kind: str  # one of REASONS
    product_id: str | None = None  # the product the result comes from, where there is one
    title: str | None = None  # that product's title

    @property
    def explanation(self) -> str:
        name = self.title or self.product_id
        if self.kind == SIMILAR_TO:
            return f"Similar to {name}" if name else "Similar to what you looked at"
        if self.kind == BOUGHT_WITH:
            return f"Often bought with {name}" if name else "Often bought together"
        if self.kind == HISTORY:
            return f"Because you viewed {name}" if name else "Because of what you viewed"
        if self.kind == TRENDING:
            return "Trending: more interest lately than usual"
        if self.kind == BOOSTED:
            return "Promoted by the shop"
        if self.kind == PINNED:
            return "Featured by the shop"
        return "Popular with other shoppers"


def explained(items: Iterable[Scored], reason: Reason) -> list[Scored]:
    """The items, each with `reason`."""
    return [replace(item, reason=reason) for item in items]


def closest_sources(
    targets: Mapping[str, np.ndarray],
    sources: Mapping[str, np.ndarray],
    weights: Mapping[str, float] | None = None,
) -> dict[str, str]:
    """target id -> the source id with the largest weighted dot product with it: for a CF
    result (target: its cf_vector) over the history's cf_query vectors weighted as the CF
    query weighs them, the history item whose term of the query's sum is largest. One matrix
    product for all targets; a target or source of another length is skipped."""
    if not targets or not sources:
        return {}
    ids = list(sources)
    dims = len(next(iter(sources.values())))
    ids = [pid for pid in ids if len(sources[pid]) == dims]
    matrix = np.vstack([sources[pid] for pid in ids]).astype(np.float32)
    if weights is not None:
        matrix = matrix * np.asarray([weights.get(pid, 1.0) for pid in ids], np.float32)[:, None]
    names = [pid for pid, v in targets.items() if len(v) == dims]
    if not names:
        return {}
    rows = np.vstack([targets[pid] for pid in names]).astype(np.float32)
    best = (rows @ matrix.T).argmax(axis=1)
    return {pid: ids[int(j)] for pid, j in zip(names, best.tolist(), strict=True)}


def from_sources(
    items: Sequence[Scored],
    kind: str,
    picked: Mapping[str, str],
    titles: Mapping[str, str | None],
    fallback: Reason,
) -> list[Scored]:
    """Each item with `kind` naming its picked source (and its title); an item without one
    keeps its own reason, or gets `fallback`."""
    out = []
    for item in items:
        source = picked.get(item.product_id)
        reason = Reason(kind, source, titles.get(source)) if source else item.reason or fallback
        out.append(replace(item, reason=reason))
    return out
