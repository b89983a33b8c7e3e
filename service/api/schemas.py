"""Request and response types at the HTTP edge (msgspec Structs; the OpenAPI schema is built
from them). Field names are the frontend's contract in docs/architecture.md: do not rename."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from indexing.contract.event_types import FEEDBACK_ACTIONS, spelling_pattern

# Examples are real ids of the demo data in data/, so "Try it out" in /schema/swagger works.
ProductId = Annotated[str, msgspec.Meta(min_length=1, max_length=256, examples=["P000001"])]
UserId = Annotated[str, msgspec.Meta(min_length=1, max_length=256, examples=["U00007"])]
Action = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=32,
        description="view, click, add_to_cart, purchase or dismiss; case, '-', '_' and spaces "
        "do not matter, and a few synonyms are taken (clicked, cart, addtocart, buy, "
        "purchased, viewed). `dismiss` hides the product from that user for good.",
        examples=["click"],
        pattern=spelling_pattern(FEEDBACK_ACTIONS),
    ),
]
Source = Annotated[
    Literal["model", "cache"],
    msgspec.Meta(description='"model": computed now; "cache": served from the cache.'),
]


Reason = Literal["similar_to", "bought_with", "history", "popular", "trending", "boosted", "pinned"]


class RecommendedItem(msgspec.Struct, frozen=True):
    """One product of an answer, with what a shop's card shows of it (read together with the
    answer, so no second call per card is needed)."""

    product_id: Annotated[str, msgspec.Meta(examples=["P004389"])]
    title: Annotated[str, msgspec.Meta(examples=["GreenThumb Planter, White, Medium"])]
    score: Annotated[
        float, msgspec.Meta(description="Higher is better; comparable within one list.")
    ]
    # No defaults (here and for the reasons below): a cached answer written before these
    # fields existed fails to decode, and the model answers instead of serving it without them.
    price: Annotated[float | None, msgspec.Meta(description="null when the product has none.")]
    category: Annotated[
        list[str],
        msgspec.Meta(
            description="The product's categories; empty when it has none.",
            examples=[["Garden"]],
        ),
    ]
    img_url: Annotated[
        str | None,
        msgspec.Meta(
            description="null when the catalog has none.",
            examples=["https://img.example.com/products/P004389.jpg"],
        ),
    ]
    reason: Annotated[
        Reason,
        msgspec.Meta(
            description="Why the product is in the list: similar_to (text like the product "
            "named), bought_with (bought or carted with it), history (like a product of the "
            "user's history: the one whose CF similarity adds most to the score), popular, "
            "trending, boosted or pinned (a merchandising rule, docs/merchandising.md).",
            examples=["history"],
        ),
    ]
    explanation: Annotated[
        str,
        msgspec.Meta(
            description="The reason in words, naming the product it comes from where there is one.",
            examples=["Because you viewed GreenThumb Planter, White, Medium"],
        ),
    ]
    based_on: Annotated[
        str | None,
        msgspec.Meta(
            description="The id of the product the explanation names (the query product, or "
            "one of the user's history); null where there is none.",
            examples=["P000001"],
        ),
    ]


class RecommendationResponse(msgspec.Struct):
    """`source` is "model" for a fresh answer and "cache" for one served from the cache."""

    source: Source
    results: list[RecommendedItem]


class TogetherResponse(msgspec.Struct):
    """/recommend/together's answer: `basis` says what the list rests on."""

    source: Source
    basis: Annotated[
        Literal["bought_with", "similar_content"],
        msgspec.Meta(
            description='"bought_with": products users bought, carted or viewed with this one '
            '(its CF item vector); "similar_content": the product has no interactions yet, '
            "so its text neighbours stand in."
        ),
    ]
    results: list[RecommendedItem]


class TrendingResponse(msgspec.Struct):
    """/recommend/trending's answer (never cached: `source` is always "model")."""

    source: Source
    basis: Annotated[
        Literal["trending", "popular"],
        msgspec.Meta(
            description='"trending": ranked by the rise of the recent event rate against the '
            'week\'s; "popular": too few recent events, so the popular list stands in.'
        ),
    ]
    results: list[RecommendedItem]


class ABResponse(msgspec.Struct):
    variant: Annotated[
        str, msgspec.Meta(description="The user's (sticky) variant.", examples=["hybrid"])
    ]
    results: list[RecommendedItem]
    source: Source = "model"


class FeedbackRequest(msgspec.Struct, forbid_unknown_fields=False):
    user_id: UserId
    product_id: ProductId
    action: Action
    # ISO-8601 or epoch seconds or milliseconds; absent means now.
    ts: (
        Annotated[str, msgspec.Meta(max_length=64, examples=["2026-11-26T12:00:00Z"])]
        | Annotated[float, msgspec.Meta(ge=0, le=1e13, examples=[1764158400])]
        | None
    ) = None


class FeedbackResponse(msgspec.Struct, kw_only=True):
    status: Literal["received"] = "received"
    durable: Annotated[
        bool,
        msgspec.Meta(
            description="Redis had fsynced the event to its append-only file before this "
            "answer (false: stored, but a Redis crash in the next second could lose it)."
        ),
    ]


class ServedSettings(msgspec.Struct):
    """What the live version answers with: its build's tuned values, or the configured ones."""

    tuned: Annotated[
        bool, msgspec.Meta(description="True: the values below are what the build's tuning chose.")
    ]
    query_weighting: Annotated[str, msgspec.Meta(examples=["uniform"])]
    history_max_items: Annotated[int, msgspec.Meta(examples=[300])]
    w_cf: Annotated[float, msgspec.Meta(description="/recommend/hybrid's default CF weight.")]
    w_content: float
    reranker: Annotated[
        bool,
        msgspec.Meta(
            description="True: a learned model re-ranks /recommend/user and the default "
            "/recommend/hybrid (the build chose it on validation)."
        ),
    ] = False


class HealthResponse(msgspec.Struct):
    status: Literal["ok", "degraded"]
    redis: Literal["ok", "unreachable"]
    index_version: Annotated[int, msgspec.Meta(examples=[1])] | None = None
    products: Annotated[int, msgspec.Meta(examples=[5000])] | None = None
    detail: (
        Annotated[str, msgspec.Meta(description="Why the status is degraded, or a hint.")] | None
    ) = None
    # True when every feedback event is fsynced before its answer (appendfsync always); False
    # when Redis has no append-only file or fsyncs once a second; None when durability is off
    # or Redis did not say.
    feedback_durable: bool | None = None
    users: int | None = None
    built_at: Annotated[float, msgspec.Meta(description="Epoch seconds.")] | None = None
    feedback_durability: (
        Annotated[
            str,
            msgspec.Meta(
                description="Redis's appendfsync policy (always, everysec), no (no append-only "
                "file), off (SHOPREC_FEEDBACK_DURABLE=0) or unknown.",
                examples=["always"],
            ),
        ]
        | None
    ) = None
    redis_url: Annotated[str, msgspec.Meta(description="Without its password.")] | None = None
    read_replica: (
        Annotated[
            str,
            msgspec.Meta(
                description="Where the vector searches go: off (no REDIS_READ_URL), ok (the "
                "replica), or primary (and why: the replica is unreachable, unlinked or lagging).",
                examples=["off"],
            ),
        ]
        | None
    ) = None
    key_prefix: str | None = None
    served: ServedSettings | None = None


class VariantReport(msgspec.Struct):
    variant: Annotated[str, msgspec.Meta(examples=["content"])]
    impressions: int
    clicks: int
    add_to_cart: int
    purchases: int
    dismissals: int
    ctr: Annotated[float, msgspec.Meta(description="clicks / impressions")]
    ctr_ci95: Annotated[
        tuple[float, float], msgspec.Meta(description="95% Wilson interval of the CTR")
    ]


class ABReport(msgspec.Struct):
    experiment: Annotated[str, msgspec.Meta(examples=["content-vs-hybrid"])]
    split: Annotated[dict[str, float], msgspec.Meta(examples=[{"content": 0.5, "hybrid": 0.5}])]
    variants: list[VariantReport]
    # Two-sided p-value of the CTR difference between the first two variants (z-test).
    p_value: float | None


class ErrorResponse(msgspec.Struct):
    status_code: Annotated[int, msgspec.Meta(examples=[404])]
    detail: Annotated[
        str, msgspec.Meta(description="What was wrong.", examples=["unknown product_id 'P9'"])
    ]
    extra: dict[str, object] | list[object] | None = None
