"""How every command and the service find their Redis: REDIS_URL, or the embedded server."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.cluster import RedisCluster

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


def is_cluster(url: str, timeout_s: float = 5.0) -> bool:
    """Whether `url` names a node of a Redis Cluster: `INFO cluster` says `cluster_enabled:1`
    (a plain Redis answers 0, and the command needs no cluster support to answer)."""
    info = sync_client(url, timeout_s).info("cluster")
    return bool(int(info.get("cluster_enabled", 0)))


def sync_cluster_client(url: str, timeout_s: float = 30.0) -> RedisCluster:
    """A cluster client for offline jobs (it discovers every node from the one named)."""
    return RedisCluster.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=5.0)


def sync_state_client(
    settings: Settings, catalog: redis.Redis, timeout_s: float = 30.0
) -> redis.Redis:
    """Where offline jobs read and write user state: REDIS_STATE_URL (a cluster client when it
    names a cluster node), else the catalog's own client. Typed as redis.Redis: the commands
    the jobs use are the same on both, and cluster-only behaviour (SCAN over every node, a
    multi-key UNLINK split by slot) is redis-py's."""
    url = settings.redis.state_url
    if not url:
        return catalog
    if is_cluster(url):
        return sync_cluster_client(url, timeout_s)  # type: ignore[return-value]
    return sync_client(url, timeout_s)
