"""The service layer behind the recommendation routes: version snapshot -> cache ->
recommender -> cache.

Knows nothing about HTTP (the routes translate); knows nothing about key names (the readers
do); knows nothing about A/B tests or feedback (service/experiments and the feedback recorder
use it or sit beside it). `shoprec evaluate` and the benchmarks call the same objects the
routes call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.api.schemas import RecommendedItem
from service.observability import request_facts
from service.recommend.base import Recommender, RecommendRequest, Scored
from service.recommend.collaborative import CFRecommender
from service.recommend.content import ContentRecommender
from service.recommend.hybrid import HybridRecommender
from service.recommend.popular import PopularRecommender
from service.store.answer_cache import AnswerCache, cache_key
from service.store.catalog_reader import CatalogView, LiveCatalog, ProductReader
from service.store.read_routing import ReadRouting
from service.store.user_state import UserStateReader
from service.store.vector_search import VectorSearch

T = TypeVar("T")


@dataclass(frozen=True)
class Answer:
    source: str  # "model" or "cache"
    results: list[RecommendedItem]


@dataclass(frozen=True)
class Recommenders:
    """Every strategy, over one set of readers. A strategy added here is one line more in
    the contract test (tests/integration/test_recommender_contract.py)."""

    content: ContentRecommender
    cf: CFRecommender
    hybrid: HybridRecommender
    popular: PopularRecommender

    @classmethod
    def build(
        cls,
        settings: Settings,
        client: aioredis.Redis,
        products: ProductReader,
        routing: ReadRouting,
    ) -> Recommenders:
        users = UserStateReader(client, settings.cf.history_max_items)
        search = VectorSearch(routing, settings.index.hnsw_ef_runtime)
        popular = PopularRecommender(products, users)
        cf = CFRecommender(products, users, search, popular, settings.cf.query_weighting)
        return cls(
            content=ContentRecommender(products, search, users),
            cf=cf,
            hybrid=HybridRecommender(products, users, search, cf, popular),
            popular=popular,
        )


class RecommendationService:
    def __init__(
        self, settings: Settings, client: aioredis.Redis, replica: aioredis.Redis | None = None
    ):
        self.settings = settings
        self.client = client
        layout = RedisLayout(settings.redis.key_prefix)
        self.routing = ReadRouting(client, replica, layout)
        self.live = LiveCatalog(client, layout, routing=self.routing)
        self.products = ProductReader(client)
        self.recommenders = Recommenders.build(settings, client, self.products, self.routing)
        # The endpoints and the strategy each one asks; the names are also the cache keys'.
        self._endpoints: dict[str, Recommender] = {
            "content": self.recommenders.content,
            "user": self.recommenders.cf,
            "hybrid": self.recommenders.hybrid,
        }
        self.cache = AnswerCache(
            client, settings.serving.cache_ttl_s, settings.resources.cache_max_answer_bytes
        )

    async def recommend(self, endpoint: str, request: RecommendRequest) -> Answer:
        """Answer one endpoint ("content", "user", "hybrid") through the cache."""
        return await self._with_view(lambda view: self._recommend(view, endpoint, request))

    async def _recommend(
        self, view: CatalogView, endpoint: str, request: RecommendRequest
    ) -> Answer:
        key = cache_key(endpoint, _cache_params(endpoint, request))
        # Any answer computed for a user (user, hybrid with a user, the A/B content arm that
        # leaves out the user's dismissals) lives in that user's own cache hash.
        personal = request.user_id
        cached = await self.cache.get(view, key, personal)
        request_facts.current().cache_hit = cached is not None
        if cached is not None:
            return Answer("cache", cached)
        scored = await self._endpoints[endpoint].recommend(view, request)
        items = _items(scored)
        await self.cache.put(view, key, personal, items)
        return Answer("model", items)

    async def _with_view(self, work: Callable[[CatalogView], Awaitable[T]]) -> T:
        """Run `work` on the live version; if that version vanished under us (a rebuild
        dropped it), re-read the live version once and retry."""
        view = await self.live.current()
        try:
            return await work(view)
        except ResponseError as exc:
            if "no such index" not in str(exc).lower() and "unknown index" not in str(exc).lower():
                raise
            self.live.forget()
            return await work(await self.live.current())


def _cache_params(endpoint: str, request: RecommendRequest) -> dict[str, object]:
    params: dict[str, object] = {
        "top_k": request.top_k,
        "category": request.category,
        "price_min": request.price_min,
        "price_max": request.price_max,
        "exclude": request.exclude,
    }
    if endpoint in ("content", "hybrid"):
        params["product_id"] = request.product_id
    # Every endpoint: a request made for a user is answered for that user (None drops out).
    params["user_id"] = request.user_id
    if endpoint in ("user", "hybrid") and request.user_id is not None:
        # What of the user's history is left out changes the answer (content: nothing).
        params["exclude_seen"] = request.exclude_seen
    if endpoint == "hybrid":
        params["w_content"] = request.w_content
        params["w_cf"] = request.w_cf
    return params


def _items(scored: list[Scored]) -> list[RecommendedItem]:
    """Response items; duplicates are dropped (first, best-scored, occurrence wins)."""
    seen: set[str] = set()
    out = []
    for s in scored:
        if s.product_id in seen or s.card is None:
            continue  # no card: a strategy bug the contract test catches, never a bare item
        seen.add(s.product_id)
        card = s.card
        out.append(
            RecommendedItem(
                product_id=s.product_id,
                title=card.title,
                score=round(float(s.score), 6),
                price=card.price,
                category=list(card.categories),
                img_url=card.img_url,
            )
        )
    return out
