"""Hybrid: content and CF candidates, each side's scores brought to [0, 1], then blended.

Content candidates come from around `product_id`, or around the user's strongest recent
products when there is none; CF candidates from the user's history, or from `product_id`'s own
CF vector ("bought together") when there is no user history. If a side has nothing the other
serves; if neither has anything, popular products.
"""

from __future__ import annotations

import asyncio

import numpy as np

from indexing.index_schema import CF_FIELD, CF_QUERY_FIELD, CONTENT_FIELD
from service.catalog_reader import CatalogView, ProductReader
from service.errors import ProductNotFound
from service.recommendation import RecommendRequest, Scored
from service.recommenders.collaborative import CFRecommender
from service.recommenders.content import search_filter
from service.recommenders.popular import PopularRecommender
from service.user_state import UserState, UserStateReader
from service.vector_math import blend, weighted_centroid
from service.vector_search import SearchFilter, VectorSearch

# How many of the user's strongest items stand in for a product on the content side.
CONTENT_SEED_ITEMS = 5
CANDIDATE_FACTOR = 3
MIN_CANDIDATES = 30


class HybridRecommender:
    name = "hybrid"

    def __init__(
        self,
        products: ProductReader,
        users: UserStateReader,
        search: VectorSearch,
        cf: CFRecommender,
        popular: PopularRecommender,
    ):
        self._products, self._users, self._search = products, users, search
        self._cf, self._popular = cf, popular

    async def recommend(self, view: CatalogView, request: RecommendRequest) -> list[Scored]:
        if request.user_id is None and request.product_id is None:
            raise ValueError("the hybrid recommender needs a user_id or a product_id")
        state = await self._users.read(view, request.user_id) if request.user_id else UserState()
        content_query, cf_query = await self._queries(view, request, state)
        exclude = state.never_show | request.exclude
        if request.product_id:
            exclude = exclude | {request.product_id}
        k = max(request.top_k * CANDIDATE_FACTOR, MIN_CANDIDATES)
        flt = search_filter(request)
        content, cf = await asyncio.gather(
            self._side(view, CONTENT_FIELD, content_query, k, flt, exclude, request.w_content),
            self._side(view, CF_FIELD, cf_query, k, flt, exclude, request.w_cf),
        )
        if not content and not cf:
            return await self._popular.recommend(view, request, state.never_show)
        titles = {s.product_id: s.title for s in (*content, *cf)}
        w_content, w_cf = (request.w_content, request.w_cf) if content and cf else (1.0, 1.0)
        scores = blend(
            {s.product_id: s.score for s in content},
            {s.product_id: s.score for s in cf},
            w_content,
            w_cf,
        )
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[: request.top_k]
        return [Scored(pid, titles[pid], score) for pid, score in ranked]

    async def _side(
        self,
        view: CatalogView,
        field: str,
        query: np.ndarray | None,
        k: int,
        flt: SearchFilter,
        exclude: frozenset[str],
        weight: float,
    ) -> list[Scored]:
        if query is None or weight <= 0:
            return []
        return await self._search.knn(view, field, query, k, flt, exclude=exclude)

    async def _queries(
        self, view: CatalogView, request: RecommendRequest, state: UserState
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        content_query: np.ndarray | None = None
        cf_query: np.ndarray | None = None
        if request.product_id:
            content_query = await self._products.vector(view, request.product_id, CONTENT_FIELD)
            if content_query is None:
                raise ProductNotFound(request.product_id)
        elif not state.is_new:
            seeds = state.history[:CONTENT_SEED_ITEMS]
            vectors = await self._products.vectors(view, (p for p, _ in seeds), CONTENT_FIELD)
            if vectors:
                weights = dict(seeds)
                content_query = weighted_centroid(
                    list(vectors.values()), [weights[p] for p in vectors]
                )
        if not state.is_new:
            cf_query = await self._cf.query_vector(view, state)
        elif request.product_id:
            cf_query = await self._products.vector(view, request.product_id, CF_QUERY_FIELD)
        return content_query, cf_query
