"""Hybrid: content and CF candidates, each side's scores brought to [0, 1], then blended.

Content candidates come from around `product_id`, or around the user's strongest recent
products when there is none; CF candidates from the user's history, or from `product_id`'s own
CF vector ("bought together") when there is no user history. If a side has nothing the other
serves; if neither has anything, popular products.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from indexing.contract.index_schema import CF_FIELD, CF_QUERY_FIELD, CONTENT_FIELD
from indexing.contract.query_blend import history_centroid, min_max_normalise, weighted_sum
from service.errors import ProductNotFound
from service.recommend.base import (
    Around,
    Based,
    Candidates,
    Recommender,
    RecommendRequest,
    Scored,
)
from service.recommend.collaborative import CFRecommender
from service.recommend.filters import search_filter
from service.recommend.popular import PopularRecommender
from service.recommend.reasons import BOUGHT_WITH, HISTORY, SIMILAR_TO, Reason, closest_sources
from service.store.catalog_reader import CatalogView, ProductReader
from service.store.user_state import UserState, UserStateReader
from service.store.vector_search import KnnQuery, VectorSearch

# How many of the user's strongest items stand in for a product on the content side.
CONTENT_SEED_ITEMS = 5
CANDIDATE_FACTOR = 3
MIN_CANDIDATES = 30


@dataclass(frozen=True)
class Sources:
    """What the hybrid read before its search that its results may be named after: the query
    product and its title, the user's state, the content seeds' vectors. The history's CF
    query vectors and titles come with the results' cards."""

    state: UserState = field(default_factory=UserState)
    product_id: str | None = None
    product_title: str | None = None
    seeds: Mapping[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class Asked:
    """What every round of one request searches with: read once, before the first search."""

    weights: tuple[float, float]  # (w_content, w_cf)
    content_query: np.ndarray | None
    cf_query: np.ndarray | None
    sources: Sources


@dataclass
class Why:
    """What the reasons of one request's results are worked out from, gathered round by
    round with the results' cards: which side each result owes more of its score to, and
    the vectors and titles that name where it comes from."""

    sources: Sources
    cf_weights: Mapping[str, float]
    cf_side: dict[str, bool] = field(default_factory=dict)
    vectors: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    # The history's CF query vectors and titles (read with the first round's cards).
    history: dict[str, np.ndarray] | None = None
    titles: dict[str, str] = field(default_factory=dict)

    def explained(self, kept: list[Scored]) -> list[Scored]:
        """`kept`, each without a reason given one: a matrix product over those kept alone,
        however many candidates they were chosen from."""
        pending = [s.product_id for s in kept if s.reason is None]
        if not pending:
            return kept
        state, sources = self.sources.state, self.sources
        by_cf = closest_sources(self._of(CF_FIELD, pending), self.history or {}, self.cf_weights)
        by_content = closest_sources(
            self._of(CONTENT_FIELD, pending), sources.seeds, dict(state.history)
        )
        return [
            s
            if s.reason is not None
            else replace(
                s,
                reason=_reason(
                    s.product_id,
                    self.cf_side.get(s.product_id, False),
                    sources,
                    by_cf,
                    by_content,
                    self.titles,
                ),
            )
            for s in kept
        ]

    def _of(self, name: str, ids: list[str]) -> dict[str, np.ndarray]:
        found = self.vectors.get(name, {})
        return {pid: found[pid] for pid in ids if pid in found}


class HybridRounds(Candidates):
    """The hybrid's rounds: the user's state, the product and the queries are read once
    for every round, and reasons are worked out for the results kept alone."""

    def __init__(self, hybrid: HybridRecommender, view: CatalogView):
        super().__init__(hybrid, view)
        self._hybrid = hybrid
        self._read: tuple[Asked, Why] | None = None  # by the first round

    async def round(self, request: RecommendRequest) -> Based:
        hybrid, view = self._hybrid, self._view
        hybrid.check_around(request)
        if self._read is None:
            self._read = await hybrid.asked(view, request)
        asked, why = self._read
        return Based(None, await hybrid.candidates_round(view, request, asked, why))

    def explained(self, kept: list[Scored]) -> list[Scored]:
        return self._read[1].explained(kept) if self._read is not None else kept


class HybridRecommender(Recommender):
    around = Around.USER | Around.PRODUCT

    def __init__(
        self,
        products: ProductReader,
        users: UserStateReader,
        search: VectorSearch,
        cf: CFRecommender,
        popular: PopularRecommender,
        default_weights: tuple[float, float] = (0.5, 0.5),
    ):
        self._products, self._users, self._search = products, users, search
        self._cf, self._popular = cf, popular
        self._default_weights = default_weights  # (w_content, w_cf) where a request has none

    async def _recommend(self, view: CatalogView, request: RecommendRequest) -> list[Scored]:
        rounds = HybridRounds(self, view)
        return rounds.explained((await rounds.round(request)).results)

    def candidates(self, view: CatalogView, request: RecommendRequest) -> HybridRounds:
        return HybridRounds(self, view)

    async def asked(self, view: CatalogView, request: RecommendRequest) -> tuple[Asked, Why]:
        """The request's weights, reads and query vectors, and the start of its reasons."""
        weights = self._weights(request)
        state, product, title, seeds = await self._read_request(view, request)
        content_query, cf_query = await self._queries(view, state, product, seeds)
        sources = Sources(state, request.product_id, title, seeds or {})
        return Asked(weights, content_query, cf_query, sources), Why(
            sources, self._cf.weights_of(state)
        )

    async def candidates_round(
        self, view: CatalogView, request: RecommendRequest, asked: Asked, why: Why
    ) -> list[Scored]:
        """One round's results, unexplained (`why` gathers what explains them); popular
        products, explained, where neither side found anything."""
        state = asked.sources.state
        content, cf = await self._candidates(
            view, request, asked.weights, state, asked.content_query, asked.cf_query
        )
        if not content and not cf:
            return await self._popular.excluding(
                view, request, state.never_show(request.exclude_seen)
            )
        return await self._blended(view, request, asked.weights, content, cf, why)

    def _weights(self, request: RecommendRequest) -> tuple[float, float]:
        """(w_content, w_cf): the request's, a weight it left out (None) the served default."""
        w_content = self._default_weights[0] if request.w_content is None else request.w_content
        w_cf = self._default_weights[1] if request.w_cf is None else request.w_cf
        if w_content == 0 and w_cf == 0:
            raise ValueError("w_content and w_cf must not both be 0")
        return w_content, w_cf

    async def _candidates(
        self,
        view: CatalogView,
        request: RecommendRequest,
        weights: tuple[float, float],
        state: UserState,
        content_query: np.ndarray | None,
        cf_query: np.ndarray | None,
    ) -> tuple[list[Scored], list[Scored]]:
        """Content and CF candidates, without cards; a side without a query or without
        weight has none."""
        exclude = state.never_show(request.exclude_seen) | request.exclude
        if request.product_id:
            exclude = exclude | {request.product_id}
        sized_for = request.top_k if request.knn_top_k is None else request.knn_top_k
        k = max(sized_for * CANDIDATE_FACTOR, MIN_CANDIDATES, request.top_k)
        flt = search_filter(request)
        # Both sides in one round trip; cards of only the blended top_k are read afterwards
        # (see VectorSearch.knn).
        sides = {
            field: KnnQuery(field, query, k, flt, exclude, cards=False)
            for field, query, weight in (
                (CONTENT_FIELD, content_query, weights[0]),
                (CF_FIELD, cf_query, weights[1]),
            )
            if query is not None and weight > 0
        }
        found = await self._search.knn_batch(view, list(sides.values()))
        answers = dict(zip(sides, found, strict=True))
        return answers.get(CONTENT_FIELD, []), answers.get(CF_FIELD, [])

    async def _blended(
        self,
        view: CatalogView,
        request: RecommendRequest,
        weights: tuple[float, float],
        content: list[Scored],
        cf: list[Scored],
        why: Why,
    ) -> list[Scored]:
        """The best top_k of both sides blended, with their cards; what their reasons are
        worked out from goes to `why`. A side that found nothing leaves the other to serve
        alone, at full weight."""
        w_content, w_cf = weights if content and cf else (1.0, 1.0)
        sides = (
            min_max_normalise({s.product_id: s.score for s in content}),
            min_max_normalise({s.product_id: s.score for s in cf}),
        )
        scores = weighted_sum(sides[0], sides[1], w_content, w_cf)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[: request.top_k]
        ids = [pid for pid, _ in ranked]
        # The vectors a reason compares, and the titles it names, come with the cards in the
        # same command; the history's, with the first round's.
        sources = why.sources
        fields = (CF_FIELD,) * (not sources.state.is_new) + (CONTENT_FIELD,) * bool(sources.seeds)
        if request.mmr_field and request.mmr_field not in fields:
            fields += (request.mmr_field,)
        named = [self._cf.named_sources(sources.state)] if why.history is None else []
        cards, vectors, read = await self._products.cards_and_vectors(view, ids, fields, named)
        if read:
            ((why.history, titles),) = read
            why.titles.update(titles)
        for name, found in vectors.items():
            why.vectors.setdefault(name, {}).update(found)
        mmr = vectors.get(request.mmr_field, {}) if request.mmr_field else {}
        content_side, cf_side = sides
        out = []
        for pid, score in ranked:
            if pid not in cards:
                continue
            why.cf_side[pid] = w_cf * cf_side.get(pid, 0.0) > w_content * content_side.get(pid, 0.0)
            out.append(Scored(pid, score, cards[pid], vector=mmr.get(pid)))
        return out

    async def _read_request(
        self, view: CatalogView, request: RecommendRequest
    ) -> tuple[UserState, dict[str, np.ndarray], str | None, dict[str, np.ndarray] | None]:
        """The user's state (with their stored CF query); the product's content and CF query
        vectors (field -> vector; empty without a product) and title; without a product, the
        content vectors of the user's strongest products (the content side's seeds; None with
        a product). One round trip; two for the seeds where the state is on another Redis."""
        plan = self._products.plan()
        state = self._users.queue_read(plan, view, request.user_id) if request.user_id else None
        product = seeds = None
        if request.product_id:
            fields = (CONTENT_FIELD, CF_QUERY_FIELD)
            product = self._products.queue_vectors_and_title(plan, view, request.product_id, fields)
        elif request.user_id:
            seeds = self._products.queue_history_head(
                plan, view, request.user_id, CONTENT_SEED_ITEMS, CONTENT_FIELD
            )
        await plan.run()
        vectors, title = product.value if product else ({}, None)
        if request.product_id and CONTENT_FIELD not in vectors:
            raise ProductNotFound(request.product_id)
        user = state.value if state else UserState()
        if seeds is not None:
            return user, vectors, title, seeds.value
        if request.product_id or user.is_new:
            return user, vectors, title, None
        # The history is on another Redis than the products: the seeds take a round trip more.
        head = user.history_ids[:CONTENT_SEED_ITEMS]
        return user, vectors, title, await self._products.vectors(view, head, CONTENT_FIELD)

    async def _queries(
        self,
        view: CatalogView,
        state: UserState,
        product: dict[str, np.ndarray],
        seeds: dict[str, np.ndarray] | None,
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Content query: the product's vector, else the centroid of the user's strongest
        items (`seeds`). CF query: the user's stored query, else computed from the history
        (CFRecommender: one round trip for the vectors), else the product's own CF vector."""
        if state.is_new:
            return product.get(CONTENT_FIELD), product.get(CF_QUERY_FIELD)
        cf_query = await self._cf.query(view, state)
        if seeds is None:
            return product.get(CONTENT_FIELD), cf_query
        weights = dict(state.history)
        # Read beside the state, not inside one transaction: keep those the state has.
        seeds = {pid: v for pid, v in seeds.items() if pid in weights}
        return history_centroid(seeds, weights), cf_query


def _reason(
    pid: str,
    cf_side: bool,
    sources: Sources,
    by_cf: Mapping[str, str],
    by_content: Mapping[str, str],
    titles: Mapping[str, str],
) -> Reason:
    """The side that contributed more to a blended score, named after what it came from:
    the history item most like the result (CF: its term of the query's sum), the query
    product, or the content seed most like it."""
    if cf_side:
        if pid in by_cf:
            return Reason(HISTORY, by_cf[pid], titles.get(by_cf[pid]))
        if sources.product_id is not None and sources.state.is_new:
            return Reason(BOUGHT_WITH, sources.product_id, sources.product_title)
        return Reason(HISTORY)
    if sources.product_id is not None:
        return Reason(SIMILAR_TO, sources.product_id, sources.product_title)
    seed = by_content.get(pid)
    return Reason(SIMILAR_TO, seed, titles.get(seed) if seed else None)
