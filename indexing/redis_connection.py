"""How every command and the service find their Redis: REDIS_URL, or the embedded server."""

from __future__ import annotations

import logging

import redis

from indexing.embedded_redis import EmbeddedRedis
from indexing.settings import Settings

log = logging.getLogger(__name__)


def embedded_server(settings: Settings) -> EmbeddedRedis:
    return EmbeddedRedis(port=settings.embedded_redis_port, data_dir=settings.embedded_redis_dir)


def resolve_redis_url(settings: Settings, start_embedded: bool = True) -> str:
    """The configured Redis URL; with none configured, the embedded server (started on demand)."""
    if settings.redis_url:
        return settings.redis_url
    server = embedded_server(settings)
    if start_embedded and not server.is_running():
        log.info("starting embedded Redis on port %d (data in %s)", server.port, server.data_dir)
        server.start()
    return server.url


def sync_client(url: str, timeout_s: float = 30.0) -> redis.Redis:
    """A client for offline jobs: long timeouts, because index builds send big batches."""
    return redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=5.0)
