"""HTTP routes: parse and validate parameters, call the service layer, shape the answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK

from indexing.contract.settings import DEFAULT_SEEN_POLICY, SEEN_POLICIES
from service.api.access import ADMIN, FEEDBACK, PERSONAL, check_user
from service.api.feedback_intake import FeedbackIntake
from service.api.schemas import (
    ABReport,
    ABResponse,
    ErrorResponse,
    FeedbackRequest,
    FeedbackResponse,
    RecommendationResponse,
    TogetherResponse,
    TrendingResponse,
)
from service.experiments.ab_experiment import ABExperiment
from service.recommend.base import DEFAULT_TOP_K, MAX_TOP_K, RecommendRequest
from service.recommend.service import Answer, RecommendationService
from service.recommend.trending import (
    DEFAULT_WINDOW_HOURS,
    MAX_WINDOW_HOURS,
    MIN_RECENT_EVENTS,
    TrendingRequest,
)
from service.store.tag_value import TAG_PATTERN, TAG_RULE, check_tag_value

MAX_ID = 256
# Ids one request may leave out; the KNN asks for top_k + this many neighbours (within
# vector_search.MAX_KNN), so a full list of exclusions still fills top_k.
MAX_EXCLUDE = 500
# The objects app.py provides (`Services`), each under the parameter name used here.
Recommendations = NamedDependency[RecommendationService]
Experiment = NamedDependency[ABExperiment]
Intake = NamedDependency[FeedbackIntake]
# Text that is no tag value (exclude ids are dropped from the answer, not put in the query).
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
        # Documented here, checked by check_tag_value (a 422 that says what is allowed).
        schema_extra={"pattern": TAG_PATTERN},
        description="Only products of this category (filtered inside the KNN query; "
        f"case does not matter); {TAG_RULE}.",
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
        description=f"Comma-separated product ids to leave out (at most {MAX_EXCLUDE}).",
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

MaxPerCategory = Annotated[
    int | None,
    Parameter(
        ge=1,
        le=MAX_TOP_K,
        schema_extra={"minimum": 1, "maximum": MAX_TOP_K},
        description=f"At most this many products per category (1..{MAX_TOP_K}); a product of "
        "several categories counts in each and is left out if any of them is full. top_k is "
        "still filled where the candidates allow. Default: no cap.",
        examples=_example(2),
    ),
]
Diversity = Annotated[
    float,
    Parameter(
        ge=0,
        le=1,
        schema_extra={"minimum": 0, "maximum": 1},
        description="How much the list trades relevance for variety (0..1): products are "
        "re-picked by MMR over their content embeddings, 0 keeps the model's order (default), "
        "1 picks each next product least like those already listed. Scores stay the model's, "
        "each at most the one before it (the list stays best first).",
        examples=_example(0.3),
    ),
]

Window = Annotated[
    int,
    Parameter(
        ge=1,
        le=MAX_WINDOW_HOURS,
        description=f"The recent window in hours (1..{MAX_WINDOW_HOURS}): the current hour "
        "and the ones before it.",
        examples=_example(DEFAULT_WINDOW_HOURS),
    ),
]


ExcludeSeen = Annotated[
    str | None,
    Parameter(
        max_length=16,
        schema_extra={"enum": list(SEEN_POLICIES)},
        description="What of the user's own history to leave out: bought (purchases), carted "
        "(purchases and add-to-carts) or all (anything the user viewed, clicked, carted or "
        "bought); dismissed products always. Default: SHOPREC_EXCLUDE_SEEN.",
        examples=_example("all"),
    ),
]


def seen_policy(raw: str | None, default: str) -> str:
    """The request's `exclude_seen`, or the configured default when it has none."""
    if raw is None:
        return default
    if raw not in SEEN_POLICIES:
        raise ValidationException(
            f"exclude_seen must be one of {', '.join(SEEN_POLICIES)}, not {raw!r}"
        )
    return raw


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
    ids = frozenset(part.strip() for part in raw.split(",") if part.strip())
    if len(ids) > MAX_EXCLUDE:
        raise ValidationException(
            f"exclude takes at most {MAX_EXCLUDE} product ids; it has {len(ids):,}"
        )
    return ids


def _check_price(price_min: float | None, price_max: float | None) -> None:
    if price_min is not None and price_max is not None and price_min > price_max:
        raise ValidationException("price_min must not exceed price_max")


def _check_diversity(diversity: float) -> float:
    # NaN passes the bounds (every comparison with it is false).
    if not 0.0 <= diversity <= 1.0:
        raise ValidationException(f"diversity must be between 0 and 1, not {diversity!r}")
    return diversity


@dataclass(frozen=True)
class ListFilters:
    """The list parameters every recommend endpoint takes, validated together."""

    top_k: int
    category: str | None
    price_min: float | None
    price_max: float | None
    exclude: frozenset[str]
    max_per_category: int | None = None
    diversity: float = 0.0

    def request(
        self,
        user_id: str | None = None,
        product_id: str | None = None,
        w_content: float | None = None,
        w_cf: float | None = None,
        exclude_seen: str = DEFAULT_SEEN_POLICY,
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
            exclude_seen,
            self.max_per_category,
            self.diversity,
        )


Filters = NamedDependency[ListFilters]


async def list_filters(
    recommendations: Recommendations,
    top_k: TopK = DEFAULT_TOP_K,
    category: Category = None,
    price_min: PriceMin = None,
    price_max: PriceMax = None,
    exclude: Exclude = None,
    max_per_category: MaxPerCategory = None,
    diversity: Diversity = 0.0,
) -> ListFilters:
    """Litestar dependency: its parameters are query parameters of each route that uses it.
    It takes the service, unused, so Litestar resolves the two one after the other: two
    dependencies without dependencies of their own are resolved in an anyio task group, a
    tenth of a cached answer's CPU."""
    del recommendations
    _check_price(price_min, price_max)
    check_tag_value("category", category)
    return ListFilters(
        top_k,
        category,
        price_min,
        price_max,
        _exclude(exclude),
        max_per_category,
        _check_diversity(diversity),
    )


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
        "/together/{product_id:str}",
        operation_id="recommendTogether",
        summary="Products bought or carted with a product (CF item vectors); text neighbours "
        "for a product without interactions",
        responses=RECOMMEND_ERRORS,
    )
    async def together(
        self,
        recommendations: Recommendations,
        product_id: PathProductId,
        filters: Filters,
    ) -> TogetherResponse:
        answer = await recommendations.recommend("together", filters.request(product_id=product_id))
        return TogetherResponse(
            source=answer.source,  # type: ignore[arg-type]
            basis=answer.basis,  # type: ignore[arg-type]
            results=answer.results,
        )

    @get(
        "/trending",
        operation_id="recommendTrending",
        summary="Products whose event rate rose most in the recent window against the week's "
        f"(popular with fewer than {MIN_RECENT_EVENTS} events in the window)",
        responses={422: INVALID, 503: UNAVAILABLE},
    )
    async def trending(
        self,
        recommendations: Recommendations,
        top_k: TopK = DEFAULT_TOP_K,
        category: Category = None,
        window: Window = DEFAULT_WINDOW_HOURS,
    ) -> TrendingResponse:
        check_tag_value("category", category)
        answer = await recommendations.trending(TrendingRequest(top_k, window, category))
        return TrendingResponse(
            source=answer.source,  # type: ignore[arg-type]
            basis=answer.basis,  # type: ignore[arg-type]
            results=answer.results,
        )

    @get(
        "/user/{user_id:str}",
        operation_id="recommendForUser",
        opt=PERSONAL,
        summary="For-you products from the user's history (CF); popular for a new user",
        responses=RECOMMEND_ERRORS,
    )
    async def user(
        self,
        recommendations: Recommendations,
        user_id: UserIdParam,
        filters: Filters,
        exclude_seen: ExcludeSeen = None,
    ) -> RecommendationResponse:
        seen = seen_policy(exclude_seen, recommendations.settings.serving.exclude_seen)
        request = filters.request(user_id, exclude_seen=seen)
        return _response(await recommendations.recommend("user", request))

    @get(
        "/hybrid",
        operation_id="recommendHybrid",
        opt=PERSONAL,
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
        exclude_seen: ExcludeSeen = None,
    ) -> RecommendationResponse:
        if user_id is None and product_id is None:
            raise ValidationException("give user_id, product_id or both")
        # A weight left out is the live version's default (its tuned w_cf, else the configured
        # one); both 0 is refused (422) where the defaults are known, in the hybrid.
        seen = seen_policy(exclude_seen, recommendations.settings.serving.exclude_seen)
        request = filters.request(user_id, product_id, w_content, w_cf, seen)
        return _response(await recommendations.recommend("hybrid", request))

    @get(
        "/ab",
        operation_id="recommendAB",
        opt=PERSONAL,
        summary="The answer of the user's A/B variant (sticky per user)",
        responses=RECOMMEND_ERRORS,
    )
    async def ab(
        self,
        experiment: Experiment,
        recommendations: Recommendations,
        user_id: UserIdParam,
        product_id: QueryProductId = None,
        top_k: TopK = DEFAULT_TOP_K,
        exclude_seen: ExcludeSeen = None,
        max_per_category: MaxPerCategory = None,
        diversity: Diversity = 0.0,
    ) -> ABResponse:
        seen = seen_policy(exclude_seen, recommendations.settings.serving.exclude_seen)
        request = RecommendRequest(
            top_k,
            user_id,
            product_id,
            exclude_seen=seen,
            max_per_category=max_per_category,
            diversity=_check_diversity(diversity),
        )
        served = await experiment.recommend(request)
        return ABResponse(
            variant=served.variant,
            results=served.answer.results,
            source=served.answer.source,  # type: ignore[arg-type]
        )


@post(
    "/feedback",
    operation_id="postFeedback",
    opt=FEEDBACK,
    status_code=HTTP_200_OK,
    tags=["feedback"],
    summary="Record a user's action on a product",
    responses={
        404: NOT_FOUND,
        422: _error_spec(422, "Invalid body", "ts 'yesterday' is not an ISO-8601 timestamp"),
        503: UNAVAILABLE,
    },
)
async def feedback(
    request: Request, intake: Intake, data: JSONBody[FeedbackRequest]
) -> FeedbackResponse:
    check_user(request, data.user_id)
    durable = await intake.record(data.user_id, data.product_id, data.action, data.ts)
    return FeedbackResponse(durable=durable)


@get(
    "/ab/report",
    operation_id="abReport",
    opt=ADMIN,
    tags=["experiments"],
    summary="Per-variant impressions, actions, CTR with 95% CI, and the p-value",
)
async def ab_report(experiment: Experiment) -> ABReport:
    return await experiment.report()
