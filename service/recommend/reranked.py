"""Recall, then re-rank: the version's learned model orders the union of the CF, content and
popular candidates of a user (indexing/contract/rerank_features.py computes the features, the
same way the build trained on them).

It answers a user with history when the request leaves the blend to the service (no
product_id, no w_content / w_cf); anything else, the first-stage strategy it wraps answers.
Reads: the user's state; the history's CF query vectors, categories and prices and its
strongest products' content vectors (one command); both KNNs (one pipeline); the candidates'
titles, categories, prices and CF vectors (one command): as many round trips as the hybrid,
none per candidate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from indexing.contract.index_schema import CF_FIELD, CF_QUERY_FIELD, CONTENT_FIELD
from indexing.contract.query_blend import history_centroid
from indexing.contract.redis_text import as_text
from indexing.contract.rerank_features import (
    FirstStage,
    ProductFacts,
    candidates,
    feature_rows,
    sigmoid,
    user_context,
)
from service.recommend.base import Around, Candidates, Recommender, RecommendRequest, Scored
from service.recommend.collaborative import CFRecommender
from service.recommend.filters import admits, search_filter
from service.recommend.hybrid import CONTENT_SEED_ITEMS
from service.recommend.popular import PopularRecommender
from service.recommend.reasons import POPULAR, SIMILAR_TO, TITLE_FIELD, Reason
from service.store.catalog_reader import (
    CatalogView,
    ProductReader,
    categories_of,
    present_vectors,
    price_of,
)
from service.store.rerank_reader import VersionReranker
from service.store.user_state import UserState, UserStateReader
from service.store.vector_search import KnnQuery, VectorSearch

HISTORY_FIELDS = ("category", "price", TITLE_FIELD)


class RerankedRecommender(Recommender):
    # Either id: a request the model does not rank goes to the wrapped strategy, which
    # checks it against its own `around`.
    around = Around.USER | Around.PRODUCT

    def __init__(
        self,
        first_stage: Recommender,
        reranker: VersionReranker,
        readers: tuple[ProductReader, UserStateReader, VectorSearch],
        cf: CFRecommender,
        popular: PopularRecommender,
    ):
        self._first_stage, self._reranker = first_stage, reranker
        self._products, self._users, self._search = readers
        self._cf, self._popular = cf, popular

    def candidates(self, view: CatalogView, request: RecommendRequest) -> Candidates:
        if not _reranks(request):
            return self._first_stage.candidates(view, request)
        return super().candidates(view, request)

    async def _recommend(self, view: CatalogView, request: RecommendRequest) -> list[Scored]:
        if not _reranks(request):
            return await self._first_stage.recommend(view, request)
        assert request.user_id is not None  # _reranks made sure
        state = await self._users.read(view, request.user_id)
        if state.is_new:
            return await self._popular.excluding(
                view, request, state.never_show(request.exclude_seen)
            )
        ranked = await self._reranked(view, request, state)
        return ranked or await self._popular.excluding(
            view, request, state.never_show(request.exclude_seen)
        )

    async def _reranked(
        self, view: CatalogView, request: RecommendRequest, state: UserState
    ) -> list[Scored]:
        history = state.history_ids
        seeds = history[:CONTENT_SEED_ITEMS]
        # Dismissed products' CF query vectors only where the query is not stored.
        listed = set(history)
        dismissed = [pid for pid in self._cf.query_ids(state) if pid not in listed]
        history_raws, seed_raws, dismissed_raws = await self._products.fields_each(
            view,
            [
                (history, (CF_QUERY_FIELD, *HISTORY_FIELDS)),
                (seeds, (CONTENT_FIELD,)),
                (dismissed, (CF_QUERY_FIELD,)),
            ],
        )
        cf_vectors = present_vectors(history, [raw[0] for raw in history_raws])
        seed_vectors = present_vectors(seeds, [raw[0] for raw in seed_raws])
        history_facts = _facts(history, [raw[1:3] for raw in history_raws])
        titles = {
            pid: as_text(raw[3]) for pid, raw in zip(history, history_raws, strict=True) if raw[3]
        }
        pushed = present_vectors(dismissed, [raw[0] for raw in dismissed_raws])
        cf_query = self._cf.query_from(state, cf_vectors | pushed)
        content_query = history_centroid(seed_vectors, dict(state.history))
        lists = await self._first_stage_lists(view, request, state, cf_query, content_query)
        ids = candidates(lists)
        if not ids:
            return []
        cards, vectors, _ = await self._products.cards_and_vectors(
            view, ids, (CF_FIELD, *request.mmr_vectors)
        )
        cf_index = vectors[CF_FIELD]
        mmr = vectors.get(request.mmr_field, {}) if request.mmr_field else {}
        facts = ProductFacts(
            {**history_facts.categories, **{p: x.categories for p, x in cards.items()}},
            {**history_facts.prices, **{p: x.price for p, x in cards.items()}},
            cf_index,
        )
        top_query = cf_vectors.get(history[0])
        context = user_context(history, facts, cf_query, top_query)
        rows = feature_rows(ids, lists, self._reranker.popularity, facts, context)
        order, scores = self._reranker.model.order(rows)
        flt = search_filter(request)
        out: list[Scored] = []
        for i, score in zip(order.tolist(), sigmoid(scores).tolist(), strict=True):
            card = cards.get(ids[i])
            if card is None or not admits(flt, card):  # popular ones are unfiltered
                continue
            fallback = Reason(SIMILAR_TO) if ids[i] in lists.content else Reason(POPULAR)
            out.append(Scored(ids[i], score, card, fallback, mmr.get(ids[i])))
            if len(out) >= request.top_k:
                break
        return self._cf.explain(out, state, cf_vectors, titles, cf_index, Reason(POPULAR))

    async def _first_stage_lists(
        self,
        view: CatalogView,
        request: RecommendRequest,
        state: UserState,
        cf_query: np.ndarray | None,
        content_query: np.ndarray | None,
    ) -> FirstStage:
        """Both KNNs in one round trip, and the popular products, without what the user
        must not see."""
        exclude = state.never_show(request.exclude_seen) | request.exclude
        k, flt = self._reranker.per_side, search_filter(request)
        sides = {
            field: KnnQuery(field, query, k, flt, exclude, cards=False)
            for field, query in ((CF_FIELD, cf_query), (CONTENT_FIELD, content_query))
            if query is not None
        }
        found = dict(
            zip(sides, await self._search.knn_batch(view, list(sides.values())), strict=True)
        )
        return FirstStage(
            [s.product_id for s in found.get(CF_FIELD, [])],
            {s.product_id: s.score for s in found.get(CONTENT_FIELD, [])},
            [pid for pid in self._reranker.popular if pid not in exclude],
        )


def _reranks(request: RecommendRequest) -> bool:
    """Whether the request is the one the model was trained for: a user, the service's blend."""
    return (
        request.user_id is not None
        and request.product_id is None
        and request.w_content is None
        and request.w_cf is None
    )


def _facts(ids: Sequence[str], raws: Sequence[Sequence[bytes | None]]) -> ProductFacts:
    """Categories and prices of `ids` from their (category, price) replies."""
    categories, prices = {}, {}
    for pid, (category, price) in zip(ids, raws, strict=True):
        categories[pid] = categories_of(category)
        prices[pid] = price_of(price)
    return ProductFacts(categories, prices, {})
