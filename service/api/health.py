"""GET /health: is Redis reachable, is a catalog version live, how big is it."""

from __future__ import annotations

from litestar import Response, get
from litestar.di import NamedDependency
from redis.exceptions import RedisError

from service.api.schemas import HealthResponse
from service.errors import NoLiveIndex
from service.recommend.service import RecommendationService


@get(
    "/health",
    operation_id="health",
    tags=["operations"],
    summary="Service health: 200 when ok, 503 when Redis or the index is missing",
)
async def health(
    recommendations: NamedDependency[RecommendationService],
) -> Response[HealthResponse]:
    try:
        await recommendations.client.ping()
    except RedisError as exc:
        body = HealthResponse("degraded", "unreachable", detail=f"Redis unreachable: {exc}")
        return Response(body, status_code=503)
    recommendations.live.forget()
    try:
        view = await recommendations.live.current()
    except NoLiveIndex as exc:
        return Response(HealthResponse("degraded", "ok", detail=str(exc)), status_code=503)
    except RedisError as exc:
        body = HealthResponse("degraded", "unreachable", detail=f"Redis unreachable: {exc}")
        return Response(body, status_code=503)
    durable = await feedback_durable(recommendations)
    detail = None
    if durable is False:
        detail = (
            "feedback is not durable: Redis has appendonly off, so POST /feedback answers 503 "
            "(set appendonly yes, or SHOPREC_FEEDBACK_DURABLE=0)"
        )
    body = HealthResponse("ok", "ok", view.version, view.meta.products, detail, durable)
    return Response(body)


async def feedback_durable(recommendations: RecommendationService) -> bool | None:
    """Can POST /feedback make events durable? None when durability is off or unknown (a
    managed Redis may refuse INFO)."""
    if not recommendations.settings.reliability.feedback_durable:
        return None
    try:
        info = await recommendations.client.info("persistence")
    except RedisError:
        return None
    return bool(int(info.get("aof_enabled", 0)))
