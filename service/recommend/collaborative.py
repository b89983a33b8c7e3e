"""Collaborative filtering for a user: KNN around the weighted sum of the CF query vectors of
the user's recent items (item-based CF in vector form, see docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from indexing.contract.index_schema import CF_FIELD, CF_QUERY_FIELD
from indexing.contract.query_blend import history_centroid
from service.recommend.base import Around, Recommender, RecommendRequest, Scored
from service.recommend.filters import search_filter
from service.recommend.popular import PopularRecommender
from service.store.catalog_reader import CatalogView, ProductReader
from service.store.user_state import UserState, UserStateReader
from service.store.vector_search import VectorSearch


class CFRecommender(Recommender):
    around = Around.USER

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

    async def _recommend(self, view: CatalogView, request: RecommendRequest) -> list[Scored]:
        assert request.user_id is not None  # `around` made sure
        state = await self._users.read(view, request.user_id)
        results = await self._knn(view, request, state)
        if not results:
            return await self._popular.excluding(
                view, request, state.never_show(request.exclude_seen)
            )
        return results

    def query_from(self, state: UserState, vectors: Mapping[str, np.ndarray]) -> np.ndarray | None:
        """The user's CF query from the CF query vectors (CF_QUERY_FIELD) of their history
        items; None when no history item has one. The hybrid builds its CF side with this too,
        from vectors it reads together with its own."""
        return history_centroid(vectors, dict(state.history), self._query_weighting)

    async def _knn(
        self, view: CatalogView, request: RecommendRequest, state: UserState
    ) -> list[Scored]:
        if state.is_new:
            return []
        query = self.query_from(
            state, await self._products.vectors(view, state.history_ids, CF_QUERY_FIELD)
        )
        if query is None:
            return []
        return await self._search.knn(
            view,
            CF_FIELD,
            query,
            request.top_k,
            search_filter(request),
            exclude=state.never_show(request.exclude_seen) | request.exclude,
        )
