"""Trending: the products whose event rate in the last hours rose most against their rate
over the last week, from the live counts (indexing.contract.trending_counts).

score = (recent + PRIOR_RECENT) / (week * window / BASELINE_HOURS + PRIOR_EXPECTED): the
recent count against what the week's rate expects in a window that long. The priors damp
small counts (a product's first two events are no trend; PRIOR_EXPECTED acts as "expect a few
events anyway"), ties go to the larger recent count. Where the shop's window holds fewer than
MIN_RECENT_EVENTS events, the ratio says nothing yet: the answer is the popular list (with
the same category filter), and says so (`basis`).

Not a `Recommender` (no product or user it answers around, and its answer depends on the
clock and the window); not cached: it must follow feedback within a second, and its read is
two ZUNIONs in one round trip.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexing.contract.trending_counts import BASELINE_HOURS
from service.recommend.base import Based, RecommendRequest, Scored
from service.recommend.filters import admits
from service.recommend.popular import PopularRecommender
from service.recommend.reasons import POPULAR, TRENDING, Reason
from service.store.catalog_reader import CatalogView, ProductReader
from service.store.trending_reader import TrendCounts, TrendingReader
from service.store.vector_search import SearchFilter

# The smoothing priors (docs/api.md#trending): a pseudo-event on top of the recent count, and
# the events expected anyway, so a product's first event or two (ratio against ~0) is no trend.
PRIOR_RECENT = 1.0
PRIOR_EXPECTED = 5.0
# Fewer events than this in the whole window (a new shop, an old demo log): popular instead.
MIN_RECENT_EVENTS = 20
# Ranked products whose cards one read takes (at least; 4 x top_k where that is more).
CARD_CHUNK = 100
DEFAULT_WINDOW_HOURS = 24
MAX_WINDOW_HOURS = BASELINE_HOURS


@dataclass(frozen=True)
class TrendingRequest:
    top_k: int
    window_hours: int = DEFAULT_WINDOW_HOURS
    category: str | None = None


def trend_score(recent: float, week: float, window_hours: int) -> float:
    expected = week * window_hours / BASELINE_HOURS
    return (recent + PRIOR_RECENT) / (expected + PRIOR_EXPECTED)


class TrendingRecommender:
    def __init__(
        self, products: ProductReader, trends: TrendingReader, popular: PopularRecommender
    ):
        self._products, self._trends, self._popular = products, trends, popular

    async def answer(self, view: CatalogView, request: TrendingRequest, now: float) -> Based:
        counts = await self._trends.counts(view, now, request.window_hours)
        if sum(counts.recent.values()) < MIN_RECENT_EVENTS:
            fallback = RecommendRequest(request.top_k, category=request.category)
            return Based(POPULAR, await self._popular.excluding(view, fallback, frozenset()))
        return Based(TRENDING, await self._best(view, request, counts))

    async def _best(
        self, view: CatalogView, request: TrendingRequest, counts: TrendCounts
    ) -> list[Scored]:
        """The top_k best-scored products that pass the filter. Cards are read a chunk of the
        ranking at a time: a week's window may hold most of the catalog."""
        ranked = sorted(
            (
                (trend_score(n, counts.week.get(pid, n), request.window_hours), n, pid)
                for pid, n in counts.recent.items()
            ),
            key=lambda t: (-t[0], -t[1], t[2]),
        )
        flt = SearchFilter(request.category)
        chunk = max(4 * request.top_k, CARD_CHUNK)
        out: list[Scored] = []
        for start in range(0, len(ranked), chunk):
            part = ranked[start : start + chunk]
            cards = await self._products.cards(view, (pid for _, _, pid in part))
            for score, _, pid in part:
                card = cards.get(pid)
                if card is not None and admits(flt, card):
                    out.append(Scored(pid, score, card, Reason(TRENDING)))
                    if len(out) >= request.top_k:
                        return out
        return out
