"""GET /metrics: the Prometheus text format, summed over the service's workers."""

from __future__ import annotations

import time

from litestar import MediaType, Response, get
from litestar.di import NamedDependency
from redis.exceptions import RedisError

from indexing.contract.redis_layout import RedisLayout
from service.api.access import ADMIN
from service.errors import NoLiveIndex
from service.observability import metrics
from service.recommend.service import RecommendationService
from service.store.pipeline_progress import ingest_mark_ts, sink_backlog

Recommendations = NamedDependency[RecommendationService]


@get(
    "/metrics",
    operation_id="metrics",
    tags=["operations"],
    summary="Prometheus metrics (request rate, latency, cache, feedback, A/B, index age)",
    description="Names and labels: docs/operations.md#metrics-and-request-logs. Needs the "
    "admin key when SHOPREC_ADMIN_KEY is set.",
    opt=ADMIN,
    media_type=MediaType.TEXT,
)
async def metrics_page(recommendations: Recommendations) -> Response[bytes]:
    try:
        view = await recommendations.live.current()
    except (NoLiveIndex, RedisError):
        pass  # the request counters still say what happened; /health says why
    else:
        metrics.INDEX_VERSION.set(view.meta.version)
        metrics.INDEX_AGE.set(max(0.0, time.time() - view.meta.built_at))
    try:
        await _pipeline_progress(recommendations)
    except RedisError:
        pass
    body, content_type = metrics.exposition()
    # Litestar adds the charset itself: without this, the header would name it twice.
    return Response(body, media_type=content_type.replace("; charset=utf-8", ""))


async def _pipeline_progress(recommendations: RecommendationService) -> None:
    client = recommendations.client
    layout = RedisLayout(recommendations.settings.redis.key_prefix)
    streams = recommendations.settings.redis.feedback_streams
    backlog = await sink_backlog(recommendations.state, layout, streams)  # user state
    if backlog is not None:
        metrics.FEEDBACK_SINK_BACKLOG.set(backlog)
    mark = await ingest_mark_ts(client, layout)
    if mark is not None:
        metrics.INGEST_MARK.set(mark)
