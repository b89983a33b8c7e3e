"""Collaborative filtering for a user: KNN around the weighted sum of the CF query vectors of
the user's recent items, pushed away from what they dismissed (item-based CF in vector form,
see docs/architecture.md). The sum is stored per user (RedisLayout.query_vector) and read
with the user's state; where it is not, it is computed here from the items' vectors."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from indexing.contract.history_update import QueryRule
from indexing.contract.index_schema import CF_FIELD, CF_QUERY_FIELD
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
        rule: QueryRule,
    ):
        self._products, self._users, self._search = products, users, search
        self._popular = popular
        self._rule = rule

    async def _recommend(self, view: CatalogView, request: RecommendRequest) -> list[Scored]:
        assert request.user_id is not None  # `around` made sure
        state = await self._users.read(view, request.user_id)
        results = await self._knn(view, request, state)
        if not results:
            return await self._popular.excluding(
                view, request, state.never_show(request.exclude_seen)
            )
        return results

    def query_ids(self, state: UserState) -> list[str]:
        """The products whose CF query vectors (CF_QUERY_FIELD) `query_from` needs: none where
        the user's query is stored; else the history's and the dismissed ones'."""
        if state.query is not None:
            return []
        history = state.history_ids
        if self._rule.dismiss_weight <= 0:
            return history
        return history + sorted(state.dismissed.difference(history))

    def query_from(self, state: UserState, vectors: Mapping[str, np.ndarray]) -> np.ndarray | None:
        """The user's CF query: the stored one, else computed from the CF query vectors of
        `query_ids`; None when no history item has one. The hybrid and the re-ranker build
        their CF side with this too, from vectors they read together with their own."""
        if state.query is not None:
            return state.query
        return self._rule.query(state.history, dict(vectors), state.dismissed)

    async def _knn(
        self, view: CatalogView, request: RecommendRequest, state: UserState
    ) -> list[Scored]:
        if state.is_new:
            return []
        ids = self.query_ids(state)
        vectors = await self._products.vectors(view, ids, CF_QUERY_FIELD) if ids else {}
        query = self.query_from(state, vectors)
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
