"""Content-based: products whose text embedding is nearest to the given product's.

Asked for a user (the A/B content arm), it also leaves out what that user dismissed."""

from __future__ import annotations

from indexing.contract.index_schema import CONTENT_FIELD
from service.errors import ProductNotFound
from service.recommend.base import RecommendRequest, Scored
from service.recommend.filters import search_filter
from service.store.catalog_reader import CatalogView, ProductReader
from service.store.user_state import UserStateReader
from service.store.vector_search import VectorSearch


class ContentRecommender:
    def __init__(
        self, products: ProductReader, search: VectorSearch, users: UserStateReader | None = None
    ):
        self._products = products
        self._search = search
        self._users = users

    async def recommend(self, view: CatalogView, request: RecommendRequest) -> list[Scored]:
        if request.product_id is None:
            raise ValueError("the content recommender needs a product_id")
        vector = await self._products.vector(view, request.product_id, CONTENT_FIELD)
        if vector is None:
            raise ProductNotFound(request.product_id)
        exclude = request.exclude | {request.product_id}
        if request.user_id and self._users is not None:
            exclude = exclude | await self._users.dismissed(view, request.user_id)
        return await self._search.knn(
            view,
            CONTENT_FIELD,
            vector,
            request.top_k,
            search_filter(request),
            exclude=exclude,
        )
