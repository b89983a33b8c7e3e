"""Cold start: the most popular products (decayed popularity), honouring filters.

Also the fallback of the personalised strategies (`excluding`), which pass the user's state
they have already read instead of reading it again."""

from __future__ import annotations

from dataclasses import replace

from service.recommend.base import Around, Recommender, RecommendRequest, Scored
from service.recommend.filters import admits, search_filter
from service.recommend.reasons import POPULAR, Reason
from service.store.catalog_reader import CatalogView, ProductReader
from service.store.user_state import UserStateReader

# Enough popular candidates to fill top_k after exclusions and filters in nearly all cases.
CANDIDATES = 500


class PopularRecommender(Recommender):
    around = Around.NOTHING

    def __init__(self, products: ProductReader, users: UserStateReader):
        self._products = products
        self._users = users

    async def _recommend(self, view: CatalogView, request: RecommendRequest) -> list[Scored]:
        # Asked for a user, what a personalised answer leaves out (no endpoint asks this:
        # the CF and hybrid strategies fall back through `excluding`).
        never_show = frozenset[str]()
        if request.user_id is not None:
            never_show = (await self._users.read(view, request.user_id)).never_show(
                request.exclude_seen
            )
        return await self.excluding(view, request, never_show)

    async def excluding(
        self, view: CatalogView, request: RecommendRequest, never_show: frozenset[str]
    ) -> list[Scored]:
        """The popular products without `never_show`, the request's exclusions and its product."""
        skip = never_show | request.exclude
        if request.product_id:
            skip = skip | {request.product_id}
        # Skipped ones do not count against the candidates (the list holds
        # SHOPREC_POPULAR_MAX_ITEMS at most).
        ranked = await self._users.popular(view, CANDIDATES + len(skip))
        candidates = [(pid, score) for pid, score in ranked if pid not in skip]
        cards = await self._products.cards(view, (pid for pid, _ in candidates))
        flt = search_filter(request)
        out: list[Scored] = []
        for pid, score in candidates:
            card = cards.get(pid)
            if card is None or not admits(flt, card):
                continue
            out.append(Scored(pid, score, card, Reason(POPULAR)))
            if len(out) >= request.top_k:
                break
        return _scaled(out)


def _scaled(items: list[Scored]) -> list[Scored]:
    """Popularity scores relative to the top item, so they read like the other scores (0..1)."""
    if not items or items[0].score <= 0:
        return items
    top = items[0].score
    return [replace(i, score=i.score / top) for i in items]
