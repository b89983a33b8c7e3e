"""Collaborative filtering for a user: KNN around the weighted sum of the CF query vectors of
the user's recent items, pushed away from what they dismissed (item-based CF in vector form,
see docs/architecture.md). The sum is stored per user (RedisLayout.query_vector) and read
with the user's state; where it is not, it is computed here from the items' vectors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from indexing.contract.history_update import QueryRule
from indexing.contract.index_schema import CF_FIELD, CF_QUERY_FIELD
from indexing.contract.query_blend import query_weights
from service.recommend.base import Around, Recommender, RecommendRequest, Scored
from service.recommend.filters import search_filter
from service.recommend.popular import PopularRecommender
from service.recommend.reasons import (
    HISTORY,
    NAMED_HISTORY_ITEMS,
    Reason,
    closest_sources,
    from_sources,
)
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

    async def query(self, view: CatalogView, state: UserState) -> np.ndarray | None:
        """`query_from` with the vectors it needs read here: no round trip where the query is
        stored, one where it is not."""
        ids = self.query_ids(state)
        vectors = await self._products.vectors(view, ids, CF_QUERY_FIELD) if ids else {}
        return self.query_from(state, vectors)

    def weights_of(self, state: UserState) -> dict[str, float]:
        """The history's weights as the CF query weighs them (what a reason compares)."""
        weights = query_weights([w for _, w in state.history], self._rule.weighting)
        return dict(zip(state.history_ids, weights, strict=True))

    @staticmethod
    def named_sources(state: UserState) -> tuple[list[str], str]:
        """The history items a result may be named after, and the vectors `explain` compares
        for them (read with the results' cards)."""
        return state.history_ids[:NAMED_HISTORY_ITEMS], CF_QUERY_FIELD

    def explain(
        self,
        items: list[Scored],
        state: UserState,
        history: Mapping[str, np.ndarray],
        titles: Mapping[str, str],
        result_vectors: Mapping[str, np.ndarray],
        fallback: Reason,
    ) -> list[Scored]:
        """Each item named after the history item whose term of the CF query's sum
        (w_j * dot(P_j, Q_i)) is largest; `fallback` for an item without a CF vector."""
        picked = closest_sources(result_vectors, history, self.weights_of(state))
        return from_sources(items, HISTORY, picked, titles, fallback)

    async def _knn(
        self, view: CatalogView, request: RecommendRequest, state: UserState
    ) -> list[Scored]:
        if state.is_new:
            return []
        query = await self.query(view, state)
        if query is None:
            return []
        # Without cards: the cards come with the results' CF vectors (for their reasons) in
        # one read after the search, which costs less than the search loading them.
        found = await self._search.knn(
            view,
            CF_FIELD,
            query,
            request.top_k,
            search_filter(request),
            exclude=state.never_show(request.exclude_seen) | request.exclude,
            cards=False,
        )
        ids = [s.product_id for s in found]
        cards, vectors, ((history, titles),) = await self._products.cards_and_vectors(
            view, ids, (CF_FIELD, *request.mmr_vectors), [self.named_sources(state)]
        )
        mmr = vectors.get(request.mmr_field, {}) if request.mmr_field else {}
        carded = [
            replace(s, card=cards[s.product_id], vector=mmr.get(s.product_id))
            for s in found
            if s.product_id in cards
        ]
        return self.explain(carded, state, history, titles, vectors[CF_FIELD], Reason(HISTORY))
