"""Collaborative filtering for a user: KNN around the weighted sum of the CF query vectors of
the user's recent items (item-based CF in vector form, see DESIGN.md)."""

from __future__ import annotations

import numpy as np

from indexing.contract.index_schema import CF_FIELD, CF_QUERY_FIELD
from service.recommend.base import RecommendRequest, Scored
from service.recommend.blend import history_centroid
from service.recommend.filters import search_filter
from service.recommend.popular import PopularRecommender
from service.store.catalog_reader import CatalogView, ProductReader
from service.store.user_state import UserState, UserStateReader
from service.store.vector_search import VectorSearch


class CFRecommender:
    def __init__(
        self,
        products: ProductReader,
        users: UserStateReader,
        search: VectorSearch,
        popular: PopularRecommender,
        query_weighting: str = "decayed",
    ):
        self._products, self._users, self._search = products, users, search
        self._popular = popular
        self._query_weighting = query_weighting

    @property
    def query_weighting(self) -> str:
        """How history weights enter the user's CF query (settings.cf.query_weighting)."""
        return self._query_weighting

    async def recommend(self, view: CatalogView, request: RecommendRequest) -> list[Scored]:
        if request.user_id is None:
            raise ValueError("the CF recommender needs a user_id")
        state = await self._users.read(view, request.user_id)
        results = await self.recommend_for_state(view, request, state)
        if not results:
            return await self._popular.recommend(view, request, state.never_show)
        return results

    async def query_vector(self, view: CatalogView, state: UserState) -> np.ndarray | None:
        """The user's CF query, or None when no history item has CF data."""
        vectors = await self._products.vectors(
            view, (pid for pid, _ in state.history), CF_QUERY_FIELD
        )
        return history_centroid(vectors, dict(state.history), self._query_weighting)

    async def recommend_for_state(
        self, view: CatalogView, request: RecommendRequest, state: UserState
    ) -> list[Scored]:
        query = await self.query_vector(view, state) if not state.is_new else None
        if query is None:
            return []
        return await self._search.knn(
            view,
            CF_FIELD,
            query,
            request.top_k,
            search_filter(request),
            exclude=state.never_show | request.exclude,
        )
