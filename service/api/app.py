"""The Litestar application factory: routes, the objects they are given, error mapping, OpenAPI
docs, the Redis pool."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from typing import Any

import redis.asyncio as aioredis
from litestar import Litestar, Request, Response
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.status_codes import (
    HTTP_404_NOT_FOUND,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from indexing.connection.redis_connection import embedded_server
from indexing.contract.event_types import FEEDBACK_ACTIONS, accepted_words
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings, get_settings
from service.api.access import Access, access_guard
from service.api.catalog_routes import product
from service.api.feedback_intake import FeedbackIntake
from service.api.health import health, health_head
from service.api.load_shedding import load_shedding
from service.api.metrics_route import metrics_page
from service.api.openapi_errors import document_errors
from service.api.pages import shop_handlers
from service.api.repeated_parameters import refuse_repeated_parameters
from service.api.request_deadline import request_deadline
from service.api.routes import RecommendController, ab_report, feedback
from service.api.rules_route import rules_page
from service.api.schemas import ErrorResponse
from service.api.security_headers import security_headers
from service.api.swagger_assets import SCHEMA_PATH, swagger_asset, swagger_render_plugin
from service.errors import FeedbackNotDurable, FeedbackRateLimited, NoLiveIndex, ProductNotFound
from service.experiments.ab_experiment import ABExperiment
from service.experiments.ab_router import ABCounters
from service.feedback.feedback_recorder import FeedbackRecorder, InvalidTimestamp
from service.feedback.rate_limit import FeedbackRateLimit
from service.observability import metrics
from service.observability.request_observer import request_observer
from service.recommend.service import RecommendationService

log = logging.getLogger("shoprec.service")

MAX_BODY_BYTES = 64 * 1024


def redis_pool_client(url: str, settings: Settings) -> aioredis.Redis:
    """Async client on a blocking pool: past max_connections callers wait for a free
    connection (up to the timeout) instead of failing with MaxConnectionsError."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=settings.redis.max_connections,
        timeout=settings.redis.timeout_s,
        socket_timeout=settings.redis.timeout_s,
        socket_connect_timeout=settings.redis.timeout_s,
        health_check_interval=30,
        # One immediate retry on a broken connection: after a Redis restart every pooled
        # connection is dead, and the retry reconnects instead of failing the request.
        # Timeouts are not retried (the request deadline is short).
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    )
    return aioredis.Redis(connection_pool=pool)


async def state_pool_client(url: str, settings: Settings) -> aioredis.Redis:
    """The client of REDIS_STATE_URL: redis-py's cluster client where `INFO cluster` says the
    node is in a cluster (it finds the other nodes and follows slot moves), else a pool client
    as `redis_pool_client`. Typed as a plain client: the commands the service sends its users'
    keys are the same on both."""
    plain = redis_pool_client(url, settings)
    info = await plain.info("cluster")
    if not int(info.get("cluster_enabled", 0)):
        return plain
    await plain.aclose()
    timeout = settings.redis.timeout_s
    cluster = RedisCluster.from_url(
        url,
        max_connections=settings.redis.max_connections,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        health_check_interval=30,
    )
    await cluster.initialize()
    return cluster  # type: ignore[return-value]


@dataclass(frozen=True)
class Services:
    """What the routes are given, each under its field's name (the handlers' parameter names),
    all over one Redis client."""

    recommendations: RecommendationService
    experiment: ABExperiment
    intake: FeedbackIntake
    served_redis: str  # the Redis URL in use, for /health (shown without its password)

    @classmethod
    def build(
        cls,
        settings: Settings,
        client: aioredis.Redis,
        url: str,
        replica: aioredis.Redis | None = None,
        state: aioredis.Redis | None = None,
    ) -> Services:
        recommendations = RecommendationService(settings, client, replica, state)
        state = recommendations.state  # REDIS_STATE_URL's client, else `client`
        # One set of counters: the A/B route counts exposures, feedback credits their arm.
        layout = RedisLayout(settings.redis.key_prefix)
        counters = ABCounters(state, layout, settings.ab.experiment)
        recorder = FeedbackRecorder(
            state,
            recommendations.products,
            recommendations.cache,
            counters,
            settings.cf.event_weights,
            recommendations.query_rule,
            settings.abuse.max_user_product_interest,
            FeedbackRateLimit(state, layout, settings.abuse),
            durable=settings.reliability.feedback_durable,
            fsync_timeout_ms=settings.reliability.feedback_fsync_timeout_ms,
            require_durable=settings.reliability.feedback_require_durable,
            catalog=client,
            streams=settings.redis.feedback_streams,
        )
        return cls(
            recommendations,
            ABExperiment(settings, recommendations, counters),
            FeedbackIntake(recorder, recommendations.live),
            url,
        )


UNKNOWN_ACTION = (
    f"action must be one of {accepted_words(FEEDBACK_ACTIONS)}; case, '-', '_' and spaces do "
    "not matter"
)


def _error(status: int, detail: str, extra: object = None) -> Response[ErrorResponse]:
    return Response(ErrorResponse(status, detail, extra), status_code=status)  # type: ignore[arg-type]


def _not_found(_: Request, exc: ProductNotFound) -> Response[ErrorResponse]:
    return _error(HTTP_404_NOT_FOUND, str(exc))


def _rate_limited(_: Request, exc: FeedbackRateLimited) -> Response[ErrorResponse]:
    response = _error(HTTP_429_TOO_MANY_REQUESTS, str(exc))
    response.headers["Retry-After"] = str(exc.retry_after_s)
    return response


def _unavailable(_: Request, exc: Exception) -> Response[ErrorResponse]:
    if isinstance(exc, NoLiveIndex | FeedbackNotDurable):
        return _error(HTTP_503_SERVICE_UNAVAILABLE, str(exc))
    log.warning("Redis error: %s", exc)
    metrics.REDIS_ERRORS.labels(kind=type(exc).__name__).inc()
    return _error(HTTP_503_SERVICE_UNAVAILABLE, f"Redis is unavailable: {type(exc).__name__}")


def _body_missing(extra: object) -> bool:
    """Litestar reports an empty body as a KeyError message "'data'" on the body field."""
    return isinstance(extra, list) and any(
        isinstance(e, dict) and e.get("key") == "data" and e.get("message") == "'data'"
        for e in extra
    )


def _bad_action(extra: object) -> bool:
    """The schema's spelling pattern refused `action` (its message is a long regex)."""
    return isinstance(extra, list) and any(
        isinstance(e, dict) and e.get("key") == "action" and "regex" in str(e.get("message"))
        for e in extra
    )


def _invalid(_: Request, exc: Exception) -> Response[ErrorResponse]:
    if isinstance(exc, ValidationException):
        if _body_missing(exc.extra):
            return _error(HTTP_422_UNPROCESSABLE_ENTITY, "the request body is empty: send JSON")
        if _bad_action(exc.extra):
            return _error(HTTP_422_UNPROCESSABLE_ENTITY, UNKNOWN_ACTION)
        return _error(HTTP_422_UNPROCESSABLE_ENTITY, str(exc.detail), exc.extra)
    return _error(HTTP_422_UNPROCESSABLE_ENTITY, str(exc))


def _http_error(_: Request, exc: HTTPException) -> Response[ErrorResponse]:
    response = _error(exc.status_code, str(exc.detail), exc.extra)
    # Keep the exception's headers: a 405 must say which methods are allowed (`Allow`).
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def _internal(_: Request, exc: Exception) -> Response[ErrorResponse]:
    log.exception("unhandled error", exc_info=exc)
    return _error(HTTP_500_INTERNAL_SERVER_ERROR, "internal error; see the service log")


def cors_config(origins: str) -> CORSConfig | None:
    """A frontend on another origin may read answers and post feedback: the listed origins get
    the CORS headers and a preflight for GET and POST with a JSON body; others get none."""
    allowed = [o.strip().rstrip("/") for o in origins.split(",") if o.strip()]
    if not allowed:
        return None
    return CORSConfig(
        allow_origins=allowed,
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        # The credentials a page may send: a user token, or a key in a server-side proxy.
        allow_headers=["Content-Type", "Authorization", "X-API-Key", "X-User-Token"],
        max_age=600,
    )


def create_app(settings: Settings | None = None, redis_url: str | None = None) -> Litestar:
    settings = settings or get_settings()
    url = redis_url or settings.redis.url or embedded_server(settings).url
    holder: dict[str, Services] = {}
    access = Access(settings.access)

    @asynccontextmanager
    async def redis_lifespan(_: Litestar) -> AsyncIterator[None]:
        client = redis_pool_client(url, settings)
        read_url = settings.redis.read_url
        replica = redis_pool_client(read_url, settings) if read_url else None
        state_url = settings.redis.state_url
        state = await state_pool_client(state_url, settings) if state_url else None
        holder["services"] = Services.build(settings, client, url, replica, state)
        try:
            yield
        finally:
            await client.aclose()
            for other in (replica, state):
                if other is not None:
                    await other.aclose()

    def provide(name: str) -> Provide:
        def dependency() -> object:
            return getattr(holder["services"], name)

        return Provide(dependency, sync_to_thread=False)

    route_handlers: list[Any] = [RecommendController, feedback, ab_report, health, health_head]
    route_handlers.append(metrics_page)
    route_handlers.append(rules_page)  # GET /rules: the merchandising rules (#18)
    route_handlers.append(product)  # GET /products/{id}: one card's details (#14)
    route_handlers.append(swagger_asset)  # the Swagger UI's own files, no CDN (#14)
    route_handlers += shop_handlers()  # the storefront, /insight and their /catalog reads (#17)
    document_errors(route_handlers)
    return Litestar(
        route_handlers=route_handlers,
        # Outermost first: every answer, errors of the others included, gets the security
        # headers; the observer counts and logs what the rest answered, shed and cut-off
        # requests included.
        middleware=[
            security_headers,
            request_observer(settings.observability.log_format == "json"),
            refuse_repeated_parameters,
            load_shedding(settings.reliability.max_in_flight),
            request_deadline(settings.reliability.request_timeout_s),
        ],
        guards=[access_guard(access)],
        dependencies={f.name: provide(f.name) for f in fields(Services)},
        lifespan=[redis_lifespan],
        exception_handlers={
            ProductNotFound: _not_found,
            NoLiveIndex: _unavailable,
            FeedbackNotDurable: _unavailable,
            FeedbackRateLimited: _rate_limited,
            RedisError: _unavailable,
            ValidationException: _invalid,
            InvalidTimestamp: _invalid,
            ValueError: _invalid,
            HTTPException: _http_error,
            Exception: _internal,
        },
        request_max_body_size=MAX_BODY_BYTES,
        cors_config=cors_config(settings.serving.cors_origins),
        openapi_config=OpenAPIConfig(
            title="shoprec",
            version="0.1.0",
            description="Hybrid product recommendations for online shops.",
            path=SCHEMA_PATH,
            render_plugins=[swagger_render_plugin()],
        ),
        debug=False,
    )
