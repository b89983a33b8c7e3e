"""HTTP routes: parse and validate parameters, call the service layer, shape the answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK

from service.api.feedback_intake import FeedbackIntake
from service.api.schemas import (
    ABReport,
    ABResponse,
    ErrorResponse,
    FeedbackRequest,
    FeedbackResponse,
    RecommendationResponse,
)
from service.experiments.ab_experiment import ABExperiment
from service.recommend.base import DEFAULT_TOP_K, MAX_TOP_K, RecommendRequest
from service.recommend.service import Answer, RecommendationService

MAX_ID = 256
# The objects app.py provides (`Services`), each under the parameter name used here.
Recommendations = NamedDependency[RecommendationService]
Experiment = NamedDependency[ABExperiment]
Intake = NamedDependency[FeedbackIntake]
# Strings that reach a RediSearch query: any text, but no NUL (the query parser rejects it).
NO_NUL = "^[^\\x00]*$"


def _example(value: object) -> list[Example]:
    return [Example(value=value)]


# Examples are real ids and categories of the demo data (data/), so the docs' "Try it out" works.
TopK = Annotated[
    int,
    Parameter(
        ge=1,
        le=MAX_TOP_K,
        description=f"How many products (1..{MAX_TOP_K}).",
        examples=_example(5),
    ),
]
Category = Annotated[
    str | None,
    Parameter(
        max_length=MAX_ID,
        pattern=NO_NUL,
        description="Only products of this category (filtered inside the KNN query).",
        examples=_example("Garden"),
    ),
]
# `schema_extra` repeats the bounds: Litestar drops `ge`/`le` from the schema of an optional
# number, and the schema must state what the service enforces (schemathesis checks it).
PriceMin = Annotated[
    float | None,
    Parameter(
        ge=0,
        schema_extra={"minimum": 0},
        description="Only products at this price or above.",
        examples=_example(20),
    ),
]
PriceMax = Annotated[
    float | None,
    Parameter(
        ge=0,
        schema_extra={"minimum": 0},
        description="Only products at this price or below.",
        examples=_example(150),
    ),
]
Exclude = Annotated[
    str | None,
    Parameter(
        max_length=20_000,
        pattern=NO_NUL,
        description="Comma-separated product ids to leave out.",
        examples=_example("P004389,P000125"),
    ),
]
_PRODUCT = "A product id of the catalog (unknown: 404)."
_USER = "Any user id; one without history gets popular products."
PathProductId = Annotated[
    str,
    Parameter(min_length=1, max_length=MAX_ID, description=_PRODUCT, examples=_example("P000001")),
]
UserIdParam = Annotated[
    str,
    Parameter(min_length=1, max_length=MAX_ID, description=_USER, examples=_example("U00007")),
]
QueryUserId = Annotated[
    str | None,
    Parameter(min_length=1, max_length=MAX_ID, description=_USER, examples=_example("U00007")),
]
QueryProductId = Annotated[
    str | None,
    Parameter(min_length=1, max_length=MAX_ID, description=_PRODUCT, examples=_example("P000001")),
]
Weight = Annotated[
    float | None,
    Parameter(
        ge=0,
        le=1000,
        schema_extra={"minimum": 0, "maximum": 1000},
        description="Blend weight (>= 0; w_content and w_cf not both 0); default: the live "
        "version's (tuned, or configured; /health shows it under `served`).",
        examples=_example(0.5),
    ),
]


def _error_spec(status: int, description: str, detail: str) -> ResponseSpec:
    return ResponseSpec(
        ErrorResponse,
        # Our own example, not a generated one (a generator cannot make up `extra`).
        generate_examples=False,
        description=description,
        examples=[Example(value={"status_code": status, "detail": detail, "extra": None})],
    )


NOT_FOUND = _error_spec(404, "Unknown product id", "unknown product_id 'P999999'")
INVALID = _error_spec(422, "Invalid parameter", "price_min must not exceed price_max")
UNAVAILABLE = _error_spec(503, "Redis or the index unavailable", "Redis is unavailable")
RECOMMEND_ERRORS = {404: NOT_FOUND, 422: INVALID, 503: UNAVAILABLE}


def _exclude(raw: str | None) -> frozenset[str]:
    if not raw:
        return frozenset()
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def _check_price(price_min: float | None, price_max: float | None) -> None:
    if price_min is not None and price_max is not None and price_min > price_max:
        raise ValidationException("price_min must not exceed price_max")


@dataclass(frozen=True)
class ListFilters:
    """The list parameters every recommend endpoint takes, validated together."""

    top_k: int
    category: str | None
    price_min: float | None
    price_max: float | None
    exclude: frozenset[str]

    def request(
        self,
        user_id: str | None = None,
        product_id: str | None = None,
        w_content: float | None = None,
        w_cf: float | None = None,
    ) -> RecommendRequest:
        return RecommendRequest(
            self.top_k,
            user_id,
            product_id,
            self.category,
            self.price_min,
            self.price_max,
            self.exclude,
            w_content,
            w_cf,
        )


Filters = NamedDependency[ListFilters]


async def list_filters(
    top_k: TopK = DEFAULT_TOP_K,
    category: Category = None,
    price_min: PriceMin = None,
    price_max: PriceMax = None,
    exclude: Exclude = None,
) -> ListFilters:
    """Litestar dependency: its parameters are query parameters of each route that uses it."""
    _check_price(price_min, price_max)
    return ListFilters(top_k, category, price_min, price_max, _exclude(exclude))


def _response(answer: Answer) -> RecommendationResponse:
    return RecommendationResponse(source=answer.source, results=answer.results)  # type: ignore[arg-type]


class RecommendController(Controller):
    path = "/recommend"
    tags = ["recommendations"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    dependencies = {"filters": Provide(list_filters)}  # noqa: RUF012 (as above)

    @get(
        "/content/{product_id:str}",
        operation_id="recommendContent",
        summary="Products similar to a product (text embedding KNN)",
        responses=RECOMMEND_ERRORS,
    )
    async def content(
        self,
        recommendations: Recommendations,
        product_id: PathProductId,
        filters: Filters,
    ) -> RecommendationResponse:
        request = filters.request(product_id=product_id)
        return _response(await recommendations.recommend("content", request))

    @get(
        "/user/{user_id:str}",
        operation_id="recommendForUser",
        summary="For-you products from the user's history (CF); popular for a new user",
        responses=RECOMMEND_ERRORS,
    )
    async def user(
        self,
        recommendations: Recommendations,
        user_id: UserIdParam,
        filters: Filters,
    ) -> RecommendationResponse:
        return _response(await recommendations.recommend("user", filters.request(user_id)))

    @get(
        "/hybrid",
        operation_id="recommendHybrid",
        summary="Content and CF candidates blended with w_content and w_cf",
        responses=RECOMMEND_ERRORS,
    )
    async def hybrid(
        self,
        recommendations: Recommendations,
        filters: Filters,
        user_id: QueryUserId = None,
        product_id: QueryProductId = None,
        w_content: Weight = None,
        w_cf: Weight = None,
    ) -> RecommendationResponse:
        if user_id is None and product_id is None:
            raise ValidationException("give user_id, product_id or both")
        # A weight left out is the live version's default (its tuned w_cf, else the configured
        # one); both 0 is refused (422) where the defaults are known, in the hybrid.
        request = filters.request(user_id, product_id, w_content, w_cf)
        return _response(await recommendations.recommend("hybrid", request))

    @get(
        "/ab",
        operation_id="recommendAB",
        summary="The answer of the user's A/B variant (sticky per user)",
        responses=RECOMMEND_ERRORS,
    )
    async def ab(
        self,
        experiment: Experiment,
        user_id: UserIdParam,
        product_id: QueryProductId = None,
        top_k: TopK = DEFAULT_TOP_K,
    ) -> ABResponse:
        served = await experiment.recommend(RecommendRequest(top_k, user_id, product_id))
        return ABResponse(
            variant=served.variant,
            results=served.answer.results,
            source=served.answer.source,  # type: ignore[arg-type]
        )


@post(
    "/feedback",
    operation_id="postFeedback",
    status_code=HTTP_200_OK,
    tags=["feedback"],
    summary="Record a user's action on a product",
    responses={
        404: NOT_FOUND,
        422: _error_spec(422, "Invalid body", "ts 'yesterday' is not an ISO-8601 timestamp"),
        503: UNAVAILABLE,
    },
)
async def feedback(intake: Intake, data: JSONBody[FeedbackRequest]) -> FeedbackResponse:
    durable = await intake.record(data.user_id, data.product_id, data.action, data.ts)
    return FeedbackResponse(durable=durable)


@get(
    "/ab/report",
    operation_id="abReport",
    tags=["experiments"],
    summary="Per-variant impressions, actions, CTR with 95% CI, and the p-value",
)
async def ab_report(experiment: Experiment) -> ABReport:
    return await experiment.report()
