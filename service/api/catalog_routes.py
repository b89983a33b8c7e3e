"""GET /catalog...: the read-only catalog listing, categories, user ids and build facts the
storefront (/) and the insight page (/insight) show. Bounded and escaped: see
service/store/catalog_search.py."""

from __future__ import annotations

import time
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Parameter

from service.api.access import ADMIN
from service.api.catalog_schemas import (
    CatalogInfo,
    CatalogItem,
    CatalogPage,
    CategoryCount,
    CategoryList,
    UserList,
)
from service.api.routes import NOT_FOUND, UNAVAILABLE, PathProductId
from service.errors import ProductNotFound
from service.recommend.service import RecommendationService
from service.store.catalog_reader import ProductCard
from service.store.catalog_search import MAX_LIMIT, MAX_OFFSET, CatalogQuery, CatalogSearch
from service.store.tag_value import TAG_PATTERN, TAG_RULE

Recommendations = NamedDependency[RecommendationService]
NO_NUL = "^[^\\x00]*$"
DEFAULT_LIMIT = 24
MAX_USERS = 100


def _example(value: object) -> list[Example]:
    return [Example(value=value)]


# `query` is Litestar's reserved name for the whole query string: the Python name is `text`.
# (Parameter(query=...) warns on Litestar 2.25, whose QueryParameter 2.23 does not have.)
SearchText = Annotated[
    str | None,
    Parameter(
        query="query",
        max_length=256,
        pattern=NO_NUL,
        description="Words of the title (the last one also as a prefix); punctuation is ignored.",
        examples=_example("terracotta plan"),
    ),
]
Category = Annotated[
    str | None,
    Parameter(
        max_length=256,
        schema_extra={"pattern": TAG_PATTERN},
        description=f"Only products of this category (case does not matter); {TAG_RULE}.",
        examples=_example("Garden"),
    ),
]
Ids = Annotated[
    str | None,
    Parameter(
        max_length=5_000,
        schema_extra={"pattern": TAG_PATTERN},
        description=f"Only these comma-separated product ids; {TAG_RULE}.",
        examples=_example("P000001,P000002"),
    ),
]
Offset = Annotated[
    int, Parameter(ge=0, le=MAX_OFFSET, description=f"Skip this many (0..{MAX_OFFSET}).")
]
Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description=f"Page size (1..{MAX_LIMIT}).")]
UserLimit = Annotated[
    int, Parameter(ge=1, le=MAX_USERS, description=f"How many user ids (1..{MAX_USERS}).")
]


def catalog_item(product_id: str, card: ProductCard) -> CatalogItem:
    return CatalogItem(product_id, card.title, list(card.categories), card.price, card.img_url)


def _ids(raw: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.strip() for p in (raw or "").split(",") if p.strip()))


class CatalogController(Controller):
    path = "/catalog"
    tags = ["catalog"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get("/", operation_id="listCatalog", summary="A page of the live catalog, searchable")
    async def products(
        self,
        recommendations: Recommendations,
        text: SearchText = None,
        category: Category = None,
        ids: Ids = None,
        offset: Offset = 0,
        limit: Limit = DEFAULT_LIMIT,
    ) -> CatalogPage:
        view = await recommendations.live.current()
        total, found = await CatalogSearch(recommendations.client).products(
            view, CatalogQuery(text, category, _ids(ids)), offset, limit
        )
        items = [catalog_item(p.product_id, p.card) for p in found]
        return CatalogPage(view.version, total, offset, limit, items)

    @get("/categories", operation_id="listCategories", summary="The live catalog's categories")
    async def categories(self, recommendations: Recommendations) -> CategoryList:
        view = await recommendations.live.current()
        counts = await CatalogSearch(recommendations.client).categories(view)
        return CategoryList(view.version, [CategoryCount(name, n) for name, n in counts])

    @get("/users", operation_id="listUsers", summary="Some user ids with a history", opt=ADMIN)
    async def users(self, recommendations: Recommendations, limit: UserLimit = 20) -> UserList:
        view = await recommendations.live.current()
        found = await CatalogSearch(
            recommendations.client, recommendations.state
        ).users_with_history(view, limit)
        return UserList(view.version, found)

    @get("/meta", operation_id="catalogMeta", summary="How the live version was built", opt=ADMIN)
    async def meta(self, recommendations: Recommendations) -> CatalogInfo:
        recommendations.live.forget()
        view = await recommendations.live.current()
        meta = view.meta
        events = meta.params.get("events")
        return CatalogInfo(
            version=meta.version,
            built_at=meta.built_at,
            built_at_iso=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(meta.built_at)),
            products=meta.products,
            cf_items=meta.cf_items,
            users=meta.users,
            events=int(events) if isinstance(events, int | float) else None,
            feedback_events=await CatalogSearch(
                recommendations.client, recommendations.state
            ).feedback_events(view, recommendations.settings.redis.feedback_streams),
            embedder=meta.embedder,
            content_dims=meta.content_dims,
            cf_model=meta.cf_model,
            cf_dims=meta.cf_dims,
            half_life_days=meta.half_life_days,
            feedback_stream_id=meta.feedback_stream_id,
            params=meta.params,
        )


@get(
    "/products/{product_id:str}",
    operation_id="getProduct",
    tags=["catalog"],
    summary="One product of the live catalog, as /catalog lists it",
    responses={404: NOT_FOUND, 503: UNAVAILABLE},
)
async def product(recommendations: Recommendations, product_id: PathProductId) -> CatalogItem:
    # The product's hash by its exact key (one command), not a search: tags match any case.
    view = await recommendations.live.current()
    card = (await recommendations.products.cards(view, [product_id])).get(product_id)
    if card is None:
        raise ProductNotFound(product_id)
    return catalog_item(product_id, card)
