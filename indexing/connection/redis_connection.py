"""How every command and the service find their Redis: REDIS_URL, or the embedded server."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis

from indexing.connection.embedded_redis import EmbeddedRedis
from indexing.contract.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)


def embedded_server(settings: Settings) -> EmbeddedRedis:
    port = settings.redis.embedded_port
    return EmbeddedRedis(
        port=port,
        data_dir=embedded_data_dir(settings, port),
        maxmemory=settings.resources.embedded_redis_maxmemory,
    )


def embedded_data_dir(settings: Settings, port: int) -> Path:
    """SHOPREC_EMBEDDED_REDIS_DIR, else var/redis/<port>: one folder per server, because two
    servers writing one append-only file and one pid file corrupt each other."""
    return settings.redis.embedded_dir or PROJECT_ROOT / "var" / "redis" / str(port)


def resolve_redis_url(settings: Settings, start_embedded: bool = True) -> str:
    """The configured Redis URL; with none configured, the embedded server (started on demand)."""
    if settings.redis.url:
        return settings.redis.url
    server = embedded_server(settings)
    if start_embedded and not server.is_running():
        log.info("starting embedded Redis on port %d (data in %s)", server.port, server.data_dir)
        server.start()
    return server.url


def display_url(url: str) -> str:
    """The URL with its password (if any) replaced by ***, for logs, answers and messages."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:" if parts.username else ":"
    return urlunsplit(parts._replace(netloc=f"{user}***@{netloc}"))


def sync_client(url: str, timeout_s: float = 30.0) -> redis.Redis:
    """A client for offline jobs: long timeouts, because index builds send big batches."""
    return redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=5.0)
