"""Answer types of the read-only catalog endpoints behind the storefront and /insight
(service/api/catalog_routes.py). Kept apart from schemas.py, the recommendation contract."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec


class CatalogItem(msgspec.Struct, frozen=True):
    product_id: Annotated[str, msgspec.Meta(examples=["P000001"])]
    title: Annotated[str, msgspec.Meta(examples=["GreenThumb Terracotta Planter, White, Small"])]
    categories: Annotated[list[str], msgspec.Meta(description="Empty when the catalog has none.")]
    price: float | None
    img_url: Annotated[str | None, msgspec.Meta(description="None when the catalog has none.")]


class CatalogPage(msgspec.Struct):
    version: Annotated[int, msgspec.Meta(description="The live index version read.")]
    total: Annotated[int, msgspec.Meta(description="Products matching, over all pages.")]
    offset: int
    limit: int
    results: list[CatalogItem]


class CategoryCount(msgspec.Struct, frozen=True):
    name: Annotated[str, msgspec.Meta(examples=["Garden"])]
    products: int


class CategoryList(msgspec.Struct):
    version: int
    categories: Annotated[
        list[CategoryCount], msgspec.Meta(description="By name; empty when there are none.")
    ]


class UserList(msgspec.Struct):
    version: int
    users: Annotated[list[str], msgspec.Meta(examples=[["U00001", "U00007"]])]


class CatalogInfo(msgspec.Struct):
    """The live version's meta hash (what `shoprec index` built, and how), plus the number of
    feedback events recorded since."""

    version: int
    built_at: Annotated[float, msgspec.Meta(description="Epoch seconds.")]
    built_at_iso: Annotated[str, msgspec.Meta(examples=["2026-12-02T18:42:32Z"])]
    products: int
    cf_items: Annotated[int, msgspec.Meta(description="Products with a CF vector.")]
    users: int
    events: Annotated[
        int | None, msgspec.Meta(description="Interactions the build read (None: not recorded).")
    ]
    feedback_events: Annotated[int, msgspec.Meta(description="Events in the feedback stream.")]
    embedder: str
    content_dims: int
    cf_model: str
    cf_dims: int
    half_life_days: float
    feedback_stream_id: str
    params: dict[str, Any]
