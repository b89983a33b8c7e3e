"""Bought together: the products bought or carted with a product, by its CF item vector.

The product's CF query vector (CF_QUERY_FIELD) is the query a one-item history would send
(collaborative.py), so its KNN on the CF field answers "users who interacted with this went
on to that". A product without interactions has no CF vectors; it gets the content
neighbours instead, and the answer says so (`basis`)."""

from __future__ import annotations

from indexing.contract.index_schema import CF_FIELD, CF_QUERY_FIELD, CONTENT_FIELD
from service.errors import ProductNotFound
from service.recommend.base import Around, Based, Recommender, RecommendRequest, Scored
from service.recommend.content import ContentRecommender
from service.recommend.filters import search_filter
from service.recommend.reasons import BOUGHT_WITH, Reason, explained
from service.store.catalog_reader import CatalogView, ProductReader
from service.store.user_state import UserStateReader
from service.store.vector_search import VectorSearch

SIMILAR_CONTENT = "similar_content"


class TogetherRecommender(Recommender):
    around = Around.PRODUCT

    def __init__(
        self,
        products: ProductReader,
        search: VectorSearch,
        users: UserStateReader,
        content: ContentRecommender,
    ):
        self._products, self._search, self._users = products, search, users
        self._content = content

    async def _recommend(self, view: CatalogView, request: RecommendRequest) -> list[Scored]:
        return (await self._based(view, request)).results

    async def answer(self, view: CatalogView, request: RecommendRequest) -> Based:
        self.check_around(request)
        return await self._based(view, request)

    async def _based(self, view: CatalogView, request: RecommendRequest) -> Based:
        product_id = request.product_id
        assert product_id is not None  # `around` made sure
        # Both vectors and the user's dismissals in one round trip: the content vector tells
        # a known product without interactions from an unknown one.
        plan = self._products.plan()
        product = self._products.queue_vectors_and_title(
            plan, view, product_id, (CF_QUERY_FIELD, CONTENT_FIELD)
        )
        dismissed = (
            self._users.queue_dismissed(plan, view, request.user_id) if request.user_id else None
        )
        await plan.run()
        vectors, title = product.value
        query = vectors.get(CF_QUERY_FIELD)
        if query is None:
            if CONTENT_FIELD not in vectors:
                raise ProductNotFound(product_id)
            return Based(SIMILAR_CONTENT, await self._content.recommend(view, request))
        never_show = dismissed.value if dismissed is not None else frozenset[str]()
        results = await self._search.knn(
            view,
            CF_FIELD,
            query,
            request.top_k,
            search_filter(request),
            exclude=request.exclude | {product_id} | never_show,
            vector_field=request.mmr_field,
        )
        return Based(BOUGHT_WITH, explained(results, Reason(BOUGHT_WITH, product_id, title)))
