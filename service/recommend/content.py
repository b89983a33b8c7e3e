"""Content-based: products whose text embedding is nearest to the given product's.

Asked for a user (the A/B content arm), it also leaves out what that user dismissed."""

from __future__ import annotations

import numpy as np

from indexing.contract.index_schema import CONTENT_FIELD
from service.errors import ProductNotFound
from service.recommend.base import Around, Recommender, RecommendRequest, Scored
from service.recommend.filters import search_filter
from service.store.catalog_reader import CatalogView, ProductReader
from service.store.user_state import UserStateReader
from service.store.vector_search import VectorSearch


class ContentRecommender(Recommender):
    around = Around.PRODUCT

    def __init__(self, products: ProductReader, search: VectorSearch, users: UserStateReader):
        self._products = products
        self._search = search
        self._users = users

    async def _recommend(self, view: CatalogView, request: RecommendRequest) -> list[Scored]:
        product_id = request.product_id
        assert product_id is not None  # `around` made sure
        vector, dismissed = await self._read(view, product_id, request.user_id)
        if vector is None:
            raise ProductNotFound(product_id)
        return await self._search.knn(
            view,
            CONTENT_FIELD,
            vector,
            request.top_k,
            search_filter(request),
            exclude=request.exclude | {product_id} | dismissed,
        )

    async def _read(
        self, view: CatalogView, product_id: str, user_id: str | None
    ) -> tuple[np.ndarray | None, frozenset[str]]:
        """The product's content vector and the user's dismissals: one round trip. Without a
        user one plain HGET, the cheapest command there is for the busiest endpoint."""
        if not user_id:
            return await self._products.vector(view, product_id, CONTENT_FIELD), frozenset()
        plan = self._products.plan()
        vectors = self._products.queue_vectors(plan, view, product_id, (CONTENT_FIELD,))
        dismissed = self._users.queue_dismissed(plan, view, user_id)
        await plan.run()
        return vectors.value.get(CONTENT_FIELD), dismissed.value
