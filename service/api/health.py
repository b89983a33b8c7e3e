"""GET /health (and HEAD): is Redis reachable, which catalog is live, is feedback durable.

The answer names what is served (the Redis without its password, the key prefix, the live
version with its counts and build time), so an operator can tell two deployments apart.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Response, get, head
from litestar.di import NamedDependency
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError, ResponseError

from indexing.connection.redis_connection import display_url
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.tuned_params import TuningParams
from service.api.schemas import HealthResponse, ServedSettings
from service.errors import NoLiveIndex
from service.recommend.service import RecommendationService

log = logging.getLogger(__name__)
Recommendations = NamedDependency[RecommendationService]
ServedRedis = NamedDependency[str]
DURABILITY_HINTS = {
    "no": "Redis runs without an append-only file: feedback is stored but not durable "
    "(set appendonly yes and appendfsync always)",
    "everysec": "Redis fsyncs once a second (appendfsync everysec): feedback answers "
    '"durable": false; appendfsync always makes every event durable',
}


async def _health(
    recommendations: RecommendationService, served_redis: str
) -> tuple[HealthResponse, int]:
    settings = recommendations.settings
    redis_url, key_prefix = display_url(served_redis), settings.redis.key_prefix
    try:
        await recommendations.client.ping()
        if recommendations.state is not recommendations.client:
            await recommendations.state.ping()  # REDIS_STATE_URL: feedback needs it too
        recommendations.live.forget()
        view = await recommendations.live.current()
    except NoLiveIndex as exc:
        body = HealthResponse(
            "degraded", "ok", detail=str(exc), redis_url=redis_url, key_prefix=key_prefix
        )
        return body, 503
    except RedisError as exc:
        # The reason stays in the log: a public answer names no internals.
        log.warning("health: Redis unreachable: %r", exc)
        body = HealthResponse(
            "degraded",
            "unreachable",
            detail="Redis unreachable",
            redis_url=redis_url,
            key_prefix=key_prefix,
        )
        return body, 503
    durability = await feedback_durability(recommendations)
    await recommendations.routing.check(view.version, force=True)
    meta = view.meta
    version = await recommendations.served(view)
    served = version.settings
    body = HealthResponse(
        "ok",
        "ok",
        meta.version,
        meta.products,
        DURABILITY_HINTS.get(durability),
        {"always": True, "everysec": False, "no": False}.get(durability),
        users=meta.users,
        built_at=meta.built_at,
        feedback_durability=durability,
        redis_url=redis_url,
        key_prefix=key_prefix,
        read_replica=recommendations.routing.state,
        served=ServedSettings(
            tuned=TuningParams.from_meta(meta.params) is not None,
            query_weighting=served.cf.query_weighting,
            history_max_items=served.cf.history_max_items,
            w_cf=served.serving.w_cf,
            w_content=served.serving.w_content,
            reranker=version.reranker is not None,
        ),
    )
    return body, 200


@get(
    "/health",
    operation_id="health",
    tags=["operations"],
    summary="Service health: 200 when ok, 503 when Redis or the index is missing",
)
async def health(
    recommendations: Recommendations, served_redis: ServedRedis
) -> Response[HealthResponse]:
    body, status = await _health(recommendations, served_redis)
    return Response(body, status_code=status)


@head("/health", operation_id="healthHead", tags=["operations"], summary="Health, status only")
async def health_head(
    recommendations: Recommendations, served_redis: ServedRedis
) -> Response[None]:
    _body, status = await _health(recommendations, served_redis)
    return Response(None, status_code=status)


async def feedback_durability(recommendations: RecommendationService) -> str:
    """How Redis keeps feedback: "always" (fsynced before each answer), "everysec", "no"
    (no append-only file), "off" (SHOPREC_FEEDBACK_DURABLE=0) or "unknown" (a managed Redis
    may refuse INFO or CONFIG). Asked of the Redis that holds the feedback stream: the user
    state's (REDIS_STATE_URL), on a cluster the node of the stream's slot."""
    if not recommendations.settings.reliability.feedback_durable:
        return "off"
    client = recommendations.state
    stream = RedisLayout(recommendations.settings.redis.key_prefix).feedback_stream
    node: dict[str, Any] = (
        {"target_nodes": client.get_node_from_key(stream)}
        if isinstance(client, RedisCluster)
        else {}
    )
    try:
        info = await client.info("persistence", **node)
        if not int(info.get("aof_enabled", 0)):
            return "no"
        reply = await client.config_get("appendfsync", **node)
    except (ResponseError, RedisError):
        return "unknown"
    policy = str(reply.get("appendfsync", "unknown"))
    return policy if policy in ("always", "everysec", "no") else "unknown"
