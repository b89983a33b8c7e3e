"""Hybrid: content and CF candidates, each side's scores brought to [0, 1], then blended.

Content candidates come from around `product_id`, or around the user's strongest recent
products when there is none; CF candidates from the user's history, or from `product_id`'s own
CF vector ("bought together") when there is no user history. If a side has nothing the other
serves; if neither has anything, popular products.
"""

from __future__ import annotations

import numpy as np

from indexing.contract.index_schema import CF_FIELD, CF_QUERY_FIELD, CONTENT_FIELD
from service.errors import ProductNotFound
from service.recommend.base import RecommendRequest, Scored
from service.recommend.blend import blend, history_centroid
from service.recommend.collaborative import CFRecommender
from service.recommend.filters import search_filter
from service.recommend.popular import PopularRecommender
from service.store.catalog_reader import CatalogView, ProductReader, as_vector
from service.store.user_state import UserState, UserStateReader
from service.store.vector_search import KnnQuery, VectorSearch

# How many of the user's strongest items stand in for a product on the content side.
CONTENT_SEED_ITEMS = 5
CANDIDATE_FACTOR = 3
MIN_CANDIDATES = 30


class HybridRecommender:
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
        state, product_content, product_cf = await self._read_request(view, request)
        content_query, cf_query = await self._queries(
            view, state, product_content, product_cf, request.product_id is not None
        )
        exclude = state.never_show | request.exclude
        if request.product_id:
            exclude = exclude | {request.product_id}
        k = max(request.top_k * CANDIDATE_FACTOR, MIN_CANDIDATES)
        flt = search_filter(request)
        # Both sides in one round trip; titles of only the blended top_k are read afterwards
        # (see VectorSearch.knn).
        sides = {
            field: KnnQuery(field, query, k, flt, exclude, titles=False)
            for field, query, weight in (
                (CONTENT_FIELD, content_query, request.w_content),
                (CF_FIELD, cf_query, request.w_cf),
            )
            if query is not None and weight > 0
        }
        found = await self._search.knn_batch(view, list(sides.values()))
        answers = dict(zip(sides, found, strict=True))
        content, cf = answers.get(CONTENT_FIELD, []), answers.get(CF_FIELD, [])
        if not content and not cf:
            return await self._popular.recommend(view, request, state.never_show)
        w_content, w_cf = (request.w_content, request.w_cf) if content and cf else (1.0, 1.0)
        scores = blend(
            {s.product_id: s.score for s in content},
            {s.product_id: s.score for s in cf},
            w_content,
            w_cf,
        )
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[: request.top_k]
        titles = await self._products.titles(view, (pid for pid, _ in ranked))
        return [Scored(pid, titles[pid], score) for pid, score in ranked if pid in titles]

    async def _read_request(
        self, view: CatalogView, request: RecommendRequest
    ) -> tuple[UserState, np.ndarray | None, np.ndarray | None]:
        """The user's state and the product's content and CF query vectors: one round trip."""
        pipe = self._products.pipeline()
        if request.user_id:
            self._users.add_read(pipe, view, request.user_id)
        if request.product_id:
            self._products.add_vector(pipe, view, request.product_id, CONTENT_FIELD)
            self._products.add_vector(pipe, view, request.product_id, CF_QUERY_FIELD)
        raws = await pipe.execute()
        state = self._users.parse(*raws[:3]) if request.user_id else UserState()
        if not request.product_id:
            return state, None, None
        product_content, product_cf = as_vector(raws[-2]), as_vector(raws[-1])
        if product_content is None:
            raise ProductNotFound(request.product_id)
        return state, product_content, product_cf

    async def _queries(
        self,
        view: CatalogView,
        state: UserState,
        product_content: np.ndarray | None,
        product_cf: np.ndarray | None,
        has_product: bool,
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Content query: the product's vector, else the user's strongest items' centroid. CF
        query: the user's history centroid, else the product's own CF vector. The history
        vectors come in one round trip."""
        if state.is_new:
            return product_content, product_cf if has_product else None
        history = [pid for pid, _ in state.history]
        seeds = [] if has_product else history[:CONTENT_SEED_ITEMS]
        raws = await self._products.field_values(
            view,
            [(pid, CF_QUERY_FIELD) for pid in history] + [(pid, CONTENT_FIELD) for pid in seeds],
        )
        weights = dict(state.history)
        cf_vectors = self._products.present_vectors(history, raws[: len(history)])
        cf_query = history_centroid(cf_vectors, weights, self._cf.query_weighting)
        content_query = product_content
        if seeds:
            seed_vectors = self._products.present_vectors(seeds, raws[len(history) :])
            content_query = history_centroid(seed_vectors, weights)
        return content_query, cf_query
