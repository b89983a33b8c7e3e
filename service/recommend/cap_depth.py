"""How many candidates a capped request's first round asks for, learned from the shop's own
capped requests.

`max_per_category` needs top_k / cap categories among the candidates. Where a catalog's
neighbourhoods hold few categories (a large catalog of a few big categories: at 50K demo
products, 71 % of capped hybrids), the 3 x top_k candidates of `diversify.candidates_for`
leave the list short, and each later round is a whole answer again (the user's state, the
query vectors, a filtered search): about +2 ms, against +0.15 ms for searching 60 deep at
once. How deep is enough depends on the catalog and on what the shop's frontend asks, so
each worker remembers how deep into the strategy's list its recent capped requests had to go
to fill top_k, and asks for as many as `FILLED_SHARE` of them needed. A shop whose lists are
mixed keeps 3 x top_k; one whose are not searches deeper, and fewer requests take a second
round. Requests are told apart by how many categories they need (top_k / cap): a cap of 1
goes deeper than a cap of 5. The depth is kept as a multiple of top_k (a top 20 with a cap of
4 goes about twice as deep as a top 10 with a cap of 2).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from service.recommend.base import MAX_TOP_K, Scored
from service.recommend.diversify import MAX_CANDIDATES, candidates_for

# The share of capped requests the first round should fill: the rest take later rounds.
FILLED_SHARE = 0.8
# Requests remembered per endpoint: enough for the quantile to be steady, few enough to
# follow a reindex or a change in what the frontend asks within a few hundred requests.
WINDOW = 256
# The quantile is worked out again after this many new requests, not on every one.
REFRESH_EVERY = 16


_Kind = tuple[str, int]  # (endpoint, categories a full answer needs)


class CapDepth:
    """Per endpoint and categories needed, the depth (a multiple of top_k) the cap needed in
    recent requests. At most 4 endpoints x MAX_TOP_K kinds of WINDOW numbers each."""

    def __init__(self) -> None:
        self._needed: dict[_Kind, deque[float]] = {}
        self._ratio: dict[_Kind, float] = {}
        self._since: dict[_Kind, int] = {}

    def candidates(self, endpoint: str, top_k: int, cap: int) -> int:
        """What a capped request's first round asks the strategy for: at least
        `candidates_for(top_k)`, at most MAX_CANDIDATES."""
        # Less a hair: 8.8 x 10 is 88.00000000000001 in floating point.
        wanted = math.ceil(self._ratio.get(_kind(endpoint, top_k, cap), 0.0) * top_k - 1e-9)
        return min(max(wanted, candidates_for(top_k)), MAX_CANDIDATES)

    def observe(self, endpoint: str, top_k: int, cap: int, depth: int) -> None:
        """A capped request filled `top_k` after going `depth` deep into the strategy's
        candidates (every candidate of its earlier rounds, and up to its last pick in the
        last)."""
        kind = _kind(endpoint, top_k, cap)
        needed = self._needed.setdefault(kind, deque(maxlen=WINDOW))
        needed.append(depth / top_k)
        since = self._since.get(kind, 0) + 1
        if since >= REFRESH_EVERY or kind not in self._ratio:
            self._ratio[kind] = _quantile(needed, FILLED_SHARE)
            since = 0
        self._since[kind] = since


@dataclass
class CapWalk:
    """How deep one capped request goes into its strategy's candidates, round by round."""

    top_k: int
    offered: int = 0  # the earlier rounds' candidates, every one gone through
    first_taken: int = 0  # what the first round took

    def needed(self, scored: Sequence[Scored], taken: Sequence[Scored]) -> int:
        """How deep the request needed to go, where this round (offering `scored`, of which
        it took `taken`) filled top_k. A later round searches without the full categories,
        so it shows less than the first round's list would have needed: at least the first
        round's own rate of picks, kept up."""
        needed = self.offered + depth_reached(scored, taken)
        if self.offered:
            needed = max(needed, math.ceil(self.offered * self.top_k / max(1, self.first_taken)))
        return needed

    def went_through(self, scored: Sequence[Scored], taken_so_far: int) -> None:
        if not self.offered:
            self.first_taken = taken_so_far
        self.offered += len(scored)


def depth_reached(scored: Sequence[Scored], taken: Sequence[Scored]) -> int:
    """How far into `scored` a selection went to take `taken` from it: one past the last
    candidate taken (0: none)."""
    ids = {s.product_id for s in taken}
    return max((i + 1 for i, s in enumerate(scored) if s.product_id in ids), default=0)


def _kind(endpoint: str, top_k: int, cap: int) -> _Kind:
    return endpoint, min(-(-top_k // cap), MAX_TOP_K)


def _quantile(values: deque[float], share: float) -> float:
    """The smallest value at least `share` of `values` are at or below."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]
