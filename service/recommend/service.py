"""The service layer behind the recommendation routes: version snapshot -> cache ->
recommender -> cache.

Knows nothing about HTTP (the routes translate); knows nothing about key names (the readers
do); knows nothing about A/B tests or feedback (service/experiments and the feedback recorder
use it or sit beside it). `shoprec evaluate` and the benchmarks call the same objects the
routes call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np
import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from indexing.contract.history_update import QueryRule
from indexing.contract.index_schema import CONTENT_FIELD
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.contract.tuned_params import served_settings
from service.api.schemas import RecommendedItem
from service.observability import request_facts
from service.recommend.base import Based, Recommender, RecommendRequest, Scored
from service.recommend.cap_depth import CapDepth, CapWalk
from service.recommend.collaborative import CFRecommender
from service.recommend.content import ContentRecommender
from service.recommend.diversify import CAP_ROUNDS, candidates_for, diversified, full_categories
from service.recommend.filters import search_filter
from service.recommend.hybrid import HybridRecommender
from service.recommend.popular import PopularRecommender
from service.recommend.reasons import POPULAR, Reason
from service.recommend.reranked import RerankedRecommender
from service.recommend.ruled import RuledRecommender, pin, rule_candidates
from service.recommend.rules import ranked
from service.recommend.together import TogetherRecommender
from service.recommend.trending import TrendingRecommender, TrendingRequest
from service.store.answer_cache import AnswerCache, CachedAnswer, cache_key
from service.store.catalog_reader import CatalogView, LiveCatalog, ProductReader
from service.store.read_routing import ReadRouting
from service.store.rerank_reader import VersionReranker, read_reranker
from service.store.rules_store import KeptRules
from service.store.trending_reader import TrendingReader
from service.store.user_state import UserStateReader
from service.store.vector_search import SearchFilter, VectorSearch

T = TypeVar("T")


@dataclass(frozen=True)
class Answer:
    source: str  # "model" or "cache"
    results: list[RecommendedItem]
    basis: str | None = None  # what the answer rests on, where the endpoint says (together)


@dataclass(frozen=True)
class Readers:
    """The Redis readers every strategy of a version reads through."""

    products: ProductReader
    users: UserStateReader
    search: VectorSearch

    @classmethod
    def build(
        cls,
        settings: Settings,
        client: aioredis.Redis,
        products: ProductReader,
        routing: ReadRouting,
        state: aioredis.Redis | None = None,
    ) -> Readers:
        return cls(
            products,
            UserStateReader(client, QueryRule.of(settings), state),
            VectorSearch(routing, settings.index.hnsw_ef_runtime),
        )


@dataclass(frozen=True)
class Recommenders:
    """Every strategy, over one set of readers. A strategy added here is one line more in
    the contract test (tests/integration/test_recommender_contract.py)."""

    content: ContentRecommender
    cf: CFRecommender
    hybrid: HybridRecommender
    popular: PopularRecommender
    together: TogetherRecommender

    @classmethod
    def over(cls, settings: Settings, readers: Readers) -> Recommenders:
        products, users, search = readers.products, readers.users, readers.search
        popular = PopularRecommender(products, users)
        cf = CFRecommender(products, users, search, popular, QueryRule.of(settings))
        content = ContentRecommender(products, search, users)
        return cls(
            content=content,
            cf=cf,
            hybrid=HybridRecommender(
                products,
                users,
                search,
                cf,
                popular,
                (settings.serving.w_content, settings.serving.w_cf),
            ),
            popular=popular,
            together=TogetherRecommender(products, search, users, content),
        )


@dataclass(frozen=True)
class ServedVersion:
    """What one catalog version is served with: its settings, the recommenders over them,
    and the endpoints: with the version's re-ranker (if its build chose one) in front of the
    user and hybrid strategies."""

    settings: Settings
    readers: Readers
    recommenders: Recommenders
    reranker: VersionReranker | None = None

    def endpoint(self, name: str) -> Recommender:
        """The strategy an endpoint asks; the names are also the cache keys'."""
        r = self.recommenders
        first_stage: dict[str, Recommender] = {
            "content": r.content,
            "user": r.cf,
            "hybrid": r.hybrid,
            "together": r.together,
        }
        strategy = first_stage[name]
        # The re-ranker is trained on users' next items: it re-ranks only the personal lists.
        if self.reranker is None or name in ("content", "together"):
            return strategy
        readers = (self.readers.products, self.readers.users, self.readers.search)
        return RerankedRecommender(strategy, self.reranker, readers, r.cf, r.popular)


# Versions whose recommenders are kept: the live one and the one a rebuild just replaced
# (requests that started on it finish there during the grace period).
KEPT_VERSIONS = 2


class RecommendationService:
    def __init__(
        self,
        settings: Settings,
        client: aioredis.Redis,
        replica: aioredis.Redis | None = None,
        state: aioredis.Redis | None = None,
    ):
        self.settings = settings  # as configured; a version serves `served(view).settings`
        self.client = client
        # Users' keys (REDIS_STATE_URL, a cluster or a plain Redis); the catalog's otherwise.
        self.state = state if state is not None else client
        layout = RedisLayout(settings.redis.key_prefix)
        self.routing = ReadRouting(client, replica, layout)
        self.live = LiveCatalog(client, layout, routing=self.routing)
        self.products = ProductReader(client, self.state, settings.resources.product_cache_items)
        self.trends = TrendingReader(client)
        self.rules = KeptRules(client, layout)
        self._served: dict[int, ServedVersion] = {}
        self.cap_depth = CapDepth()
        self._loading = asyncio.Lock()
        self.cache = AnswerCache(
            client,
            settings.serving.cache_ttl_s,
            settings.resources.cache_max_answer_bytes,
            self.state,
        )

    async def served(self, view: CatalogView) -> ServedVersion:
        """The recommenders of `view`'s version, with the settings its build chose (the
        configured ones overridden by its tuning, see indexing/contract/tuned_params.py) and
        its re-ranker; made once per version, as a rebuild may switch versions while the
        service runs. Concurrent first requests wait for one load instead of each loading."""
        served = self._served.get(view.version)
        if served is not None:
            return served
        async with self._loading:
            served = self._served.get(view.version)
            if served is None:
                served = await self._load(view)
                self._served[view.version] = served
                for old in sorted(self._served)[:-KEPT_VERSIONS]:
                    del self._served[old]
        return served

    async def _load(self, view: CatalogView) -> ServedVersion:
        settings = served_settings(self.settings, view.meta.params)
        readers = Readers.build(settings, self.client, self.products, self.routing, self.state)
        reranker = None
        if settings.cf.rerank != "off":
            reranker = await read_reranker(self.client, view, settings.cf.popular_max_items)
        return ServedVersion(settings, readers, Recommenders.over(settings, readers), reranker)

    async def query_rule(self, view: CatalogView) -> QueryRule:
        """How many of a user's products the version keeps (live feedback trims to it) and
        how it forms their CF query (live feedback rewrites the stored one)."""
        return QueryRule.of((await self.served(view)).settings)

    async def recommend(self, endpoint: str, request: RecommendRequest) -> Answer:
        """Answer one endpoint ("content", "user", "hybrid", "together") through the cache."""
        return await self._with_view(lambda view: self._recommend(view, endpoint, request))

    async def _recommend(
        self, view: CatalogView, endpoint: str, request: RecommendRequest
    ) -> Answer:
        served = await self.served(view)
        rules = (await self.rules.current()).live(time.time())
        params = _cache_params(endpoint, request)
        # Answers made under other rules (or other rules in force) are not served.
        params["rules"] = rules.fingerprint
        key = cache_key(endpoint, params)
        # Any answer computed for a user (user, hybrid with a user, the A/B content arm that
        # leaves out the user's dismissals) lives in that user's own cache hash.
        personal = request.user_id
        cached = await self.cache.get(view, key, personal)
        request_facts.current().cache_hit = cached is not None
        if cached is not None:
            return Answer("cache", cached.results, cached.basis)
        strategy = served.endpoint(endpoint)
        if rules.ranking:
            strategy = RuledRecommender(strategy, rules)
        based = await self._answered(view, endpoint, strategy, request)
        if rules.pins:
            results = await pin(
                view,
                self.products,
                served.readers.users,
                request,
                search_filter(request),
                rules,
                based.results,
                request.top_k,
            )
            based = Based(based.basis, results)
        items = _items(based.results)
        await self.cache.put(view, key, personal, CachedAnswer(items, based.basis))
        return Answer("model", items, based.basis)

    async def trending(self, request: TrendingRequest) -> Answer:
        """GET /recommend/trending: never cached (it follows feedback within a second)."""
        return await self._with_view(lambda view: self._trending(view, request))

    async def _trending(self, view: CatalogView, request: TrendingRequest) -> Answer:
        served = await self.served(view)
        now = time.time()
        rules = (await self.rules.current()).live(now)
        strategy = TrendingRecommender(self.products, self.trends, served.recommenders.popular)
        if not rules:
            based = await strategy.answer(view, request, now)
            return Answer("model", _items(based.results), based.basis)
        # Rules rank among more candidates, as they do for the other endpoints.
        wider = replace(request, top_k=rule_candidates(request.top_k))
        based = await strategy.answer(view, wider, now)
        results, _ = ranked(based.results, rules, request.top_k)
        flt = SearchFilter(request.category)
        users = served.readers.users
        results = await pin(view, self.products, users, None, flt, rules, results, request.top_k)
        return Answer("model", _items(results), based.basis)

    async def _answered(
        self, view: CatalogView, endpoint: str, strategy: Recommender, request: RecommendRequest
    ) -> Based:
        """The strategy's list and its basis; a diversifying request asks it for more
        candidates (`Recommender.candidates`: reasons only for those kept, where the strategy
        can leave them) and keeps `top_k` of them. The content vectors MMR compares come with the
        candidates (`Scored.vector`, read with their cards); those of popular fallbacks cost a
        round trip per round. A capped request asks for as many as the endpoint's recent capped
        requests needed (`CapDepth`); where the cap still leaves the list short (neighbours
        mostly of a few categories), the next round asks the strategy again without the full
        categories and what is already picked."""
        if not request.diversifies:
            return await strategy.answer(view, request)
        cap = request.max_per_category
        wanted = candidates_for(request.top_k)
        if cap is not None:
            wanted = self.cap_depth.candidates(endpoint, request.top_k, cap)
        # The hybrid finds the candidates in the blend of the searches `top_k` calls for (a
        # capped request's deeper first round: of searches as deep as its candidates).
        asked = replace(request, top_k=wanted, knn_top_k=request.top_k)
        picked: list[Scored] = []
        vectors: dict[str, np.ndarray] = {}
        basis: str | None = None
        walk = CapWalk(request.top_k)
        rounds = strategy.candidates(view, asked)
        for _ in range(CAP_ROUNDS):
            based = await rounds.round(asked)
            scored, basis = based.results, based.basis
            if request.diversity > 0:
                vectors |= {s.product_id: s.vector for s in scored if s.vector is not None}
                # What the strategy did not read with the cards; a later round's candidates
                # overlap the earlier ones': read only the new.
                ids = [s.product_id for s in scored if s.product_id not in vectors]
                if ids:
                    vectors |= await self.products.vectors(view, ids, CONTENT_FIELD)
            before = len(picked)
            picked = diversified(scored, request.top_k, cap, request.diversity, vectors, picked)
            filled = len(picked) >= request.top_k
            if filled and cap is not None:
                needed = walk.needed(scored, picked[before:])
                self.cap_depth.observe(endpoint, request.top_k, cap, needed)
            walk.went_through(scored, len(picked))
            if filled or len(scored) < asked.top_k or cap is None or len(picked) == before:
                break  # full, the strategy has no more to give, or nothing more fits
            # A later round searches without the full categories: the usual 3 x top_k is
            # enough there, and a filtered search costs more the deeper it goes.
            asked = replace(
                asked,
                top_k=candidates_for(request.top_k),
                exclude=request.exclude | {s.product_id for s in picked},
                without_categories=full_categories(picked, cap),
            )
        return Based(basis, rounds.explained(picked))

    async def _with_view(self, work: Callable[[CatalogView], Awaitable[T]]) -> T:
        """Run `work` on the live version; if that version vanished under us (a rebuild
        dropped it), re-read the live version once and retry."""
        view = await self.live.current()
        try:
            return await work(view)
        except ResponseError as exc:
            if "no such index" not in str(exc).lower() and "unknown index" not in str(exc).lower():
                raise
            self.live.forget()
            return await work(await self.live.current())


def _cache_params(endpoint: str, request: RecommendRequest) -> dict[str, object]:
    params: dict[str, object] = {
        "top_k": request.top_k,
        "category": request.category,
        "price_min": request.price_min,
        "price_max": request.price_max,
        "exclude": request.exclude,
    }
    if endpoint in ("content", "hybrid", "together"):
        params["product_id"] = request.product_id
    # Every endpoint: a request made for a user is answered for that user (None drops out).
    params["user_id"] = request.user_id
    if endpoint in ("user", "hybrid") and request.user_id is not None:
        # What of the user's history is left out changes the answer (content: nothing).
        params["exclude_seen"] = request.exclude_seen
    if endpoint == "hybrid":
        params["w_content"] = request.w_content
        params["w_cf"] = request.w_cf
    # Unset (no cap, diversity 0) they drop out, so today's answers keep their keys.
    params["max_per_category"] = request.max_per_category
    params["diversity"] = request.diversity or None
    return params


def _items(scored: list[Scored]) -> list[RecommendedItem]:
    """Response items; duplicates are dropped (first, best-scored, occurrence wins)."""
    seen: set[str] = set()
    out = []
    for s in scored:
        if s.product_id in seen or s.card is None:
            continue  # no card: a strategy bug the contract test catches, never a bare item
        seen.add(s.product_id)
        card = s.card
        # Every strategy names its reason; one that did not (a bug the API tests catch)
        # answers with the most modest claim rather than none.
        reason = s.reason or Reason(POPULAR)
        out.append(
            RecommendedItem(
                product_id=s.product_id,
                title=card.title,
                score=round(float(s.score), 6),
                price=card.price,
                category=list(card.categories),
                img_url=card.img_url,
                reason=reason.kind,  # type: ignore[arg-type]  # one of REASONS
                explanation=reason.explanation,
                based_on=reason.product_id,
            )
        )
    return out
