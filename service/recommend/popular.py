"""Cold start: the most popular products (decayed popularity), honouring filters."""

from __future__ import annotations

import redis.asyncio as aioredis

from indexing.contract.index_schema import CATEGORY_SEPARATOR
from service.recommend.base import RecommendRequest, Scored
from service.store.catalog_reader import CatalogView
from service.store.user_state import UserStateReader

# Enough popular candidates to fill top_k after exclusions and filters in nearly all cases.
CANDIDATES = 500


class PopularRecommender:
    name = "popular"

    def __init__(self, client: aioredis.Redis, users: UserStateReader):
        self._client = client
        self._users = users

    async def recommend(
        self, view: CatalogView, request: RecommendRequest, never_show: frozenset[str] = frozenset()
    ) -> list[Scored]:
        skip = never_show | request.exclude
        if request.product_id:
            skip = skip | {request.product_id}
        ranked = await self._users.popular(view, CANDIDATES)
        candidates = [(pid, score) for pid, score in ranked if pid not in skip]
        pipe = self._client.pipeline(transaction=False)
        for pid, _ in candidates:
            pipe.hmget(view.product_key(pid), "title", "category", "price")
        fields = await pipe.execute()
        out: list[Scored] = []
        for (pid, score), (title, category, price) in zip(candidates, fields, strict=True):
            if title is None or not _passes(request, category, price):
                continue
            out.append(Scored(pid, title.decode(), score))
            if len(out) >= request.top_k:
                break
        return _scaled(out)


def _passes(request: RecommendRequest, category: bytes | None, price: bytes | None) -> bool:
    # Several categories per product, as the category TAG field splits them.
    if request.category and request.category not in (category or b"").decode().split(
        CATEGORY_SEPARATOR
    ):
        return False
    if price is None:  # a product without a price: price filters leave it out
        return request.price_min is None and request.price_max is None
    value = float(price)
    if request.price_min is not None and value < request.price_min:
        return False
    return request.price_max is None or value <= request.price_max


def _scaled(items: list[Scored]) -> list[Scored]:
    """Popularity scores relative to the top item, so they read like the other scores (0..1)."""
    if not items or items[0].score <= 0:
        return items
    top = items[0].score
    return [Scored(i.product_id, i.title, i.score / top) for i in items]
