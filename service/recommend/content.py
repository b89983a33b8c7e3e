"""Content-based: products whose text embedding is nearest to the given product's.

Asked for a user (the A/B content arm), it also leaves out what that user dismissed."""

from __future__ import annotations

import numpy as np

from indexing.contract.index_schema import CONTENT_FIELD
from service.errors import ProductNotFound
from service.recommend.base import Around, Recommender, RecommendRequest, Scored
from service.recommend.filters import search_filter
from service.recommend.reasons import SIMILAR_TO, Reason, explained
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
        vector, title, dismissed = await self._read(view, product_id, request.user_id)
        if vector is None:
            raise ProductNotFound(product_id)
        found = await self._search.knn(
            view,
            CONTENT_FIELD,
            vector,
            request.top_k,
            search_filter(request),
            exclude=request.exclude | {product_id} | dismissed,
            vector_field=request.mmr_field,
        )
        return explained(found, Reason(SIMILAR_TO, product_id, title))

    async def _read(
        self, view: CatalogView, product_id: str, user_id: str | None
    ) -> tuple[np.ndarray | None, str | None, frozenset[str]]:
        """The product's content vector and title (what the reasons name it by) and the
        user's dismissals: one round trip, without a user one HMGET."""
        plan = self._products.plan()
        product = self._products.queue_vectors_and_title(plan, view, product_id, (CONTENT_FIELD,))
        dismissed = self._users.queue_dismissed(plan, view, user_id) if user_id else None
        await plan.run()
        vectors, title = product.value
        return vectors.get(CONTENT_FIELD), title, dismissed.value if dismissed else frozenset()
