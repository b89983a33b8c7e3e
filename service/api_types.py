"""Request and response types at the HTTP edge (msgspec Structs; the OpenAPI schema is built
from them). Field names are the frontend's contract in DESIGN.md: do not rename."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

ProductId = Annotated[str, msgspec.Meta(min_length=1, max_length=256, examples=["P000123"])]
UserId = Annotated[str, msgspec.Meta(min_length=1, max_length=256, examples=["U00042"])]
Action = Literal["view", "click", "clicked", "add_to_cart", "purchase", "dismiss"]


class RecommendedItem(msgspec.Struct, frozen=True):
    product_id: str
    title: str
    score: float


class RecommendationResponse(msgspec.Struct):
    """`source` is "model" for a fresh answer and "cache" for one served from the cache."""

    source: Literal["model", "cache"]
    results: list[RecommendedItem]


class ABResponse(msgspec.Struct):
    variant: str
    results: list[RecommendedItem]
    source: Literal["model", "cache"] = "model"


class FeedbackRequest(msgspec.Struct, forbid_unknown_fields=False):
    user_id: UserId
    product_id: ProductId
    action: Action
    # ISO-8601; absent means now.
    ts: Annotated[str, msgspec.Meta(max_length=64, examples=["2026-11-26T12:00:00Z"])] | None = None


class FeedbackResponse(msgspec.Struct):
    status: Literal["received"] = "received"


class HealthResponse(msgspec.Struct):
    status: Literal["ok", "degraded"]
    redis: Literal["ok", "unreachable"]
    index_version: int | None = None
    products: int | None = None
    detail: str | None = None
    # False when feedback durability is on but Redis has no append-only file (POST /feedback
    # then answers 503); None when durability is off or Redis did not say.
    feedback_durable: bool | None = None


class VariantReport(msgspec.Struct):
    variant: str
    impressions: int
    clicks: int
    add_to_cart: int
    purchases: int
    dismissals: int
    ctr: float
    ctr_ci95: tuple[float, float]


class ABReport(msgspec.Struct):
    experiment: str
    split: dict[str, float]
    variants: list[VariantReport]
    # Two-sided p-value of the CTR difference between the first two variants (z-test).
    p_value: float | None


class ErrorResponse(msgspec.Struct):
    status_code: int
    detail: str
    extra: dict[str, object] | list[object] | None = None
