"""GET /health: is Redis reachable, is a catalog version live, how big is it."""

from __future__ import annotations

from litestar import Response, get
from litestar.di import NamedDependency
from redis.exceptions import RedisError

from service.api_types import HealthResponse
from service.errors import NoLiveIndex
from service.recommendation_service import RecommendationService


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
    return Response(HealthResponse("ok", "ok", view.version, view.meta.products))
