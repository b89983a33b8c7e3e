"""`shoprec serve`: the REST API under uvicorn."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import time

from indexing.connection.redis_connection import display_url, resolve_redis_url, sync_client
from indexing.contract.settings import Settings
from service.cli.errors import CommandError

log = logging.getLogger("shoprec.serve")


def register(sub: argparse._SubParsersAction, settings: Settings) -> None:
    serve_p = sub.add_parser(
        "serve",
        help="serve the REST API (uvicorn + Litestar)",
        description="Serve recommendations over HTTP. Refuses to start without a live index.",
    )
    serve_p.add_argument("--host", default="127.0.0.1")
    serve_p.add_argument("--port", type=int, default=8000)
    serve_p.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="uvicorn worker processes (default: one per core; the service is CPU-bound)",
    )
    serve_p.add_argument(
        "--access-log",
        action="store_true",
        help="log every request (uvicorn's line; with SHOPREC_LOG_FORMAT=json, one JSON line "
        "per request is written anyway)",
    )
    serve_p.set_defaults(handler=cmd_serve)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from indexing.contract.catalog_meta import CatalogMeta
    from indexing.contract.redis_layout import RedisLayout
    from service.api.http_server import serve
    from service.observability.metrics import share_metrics_between_workers

    url = resolve_redis_url(settings)
    log_json = settings.observability.log_format == "json"
    prefix = settings.redis.key_prefix
    meta = CatalogMeta.from_redis(sync_client(url).hgetall(RedisLayout(prefix).meta))  # type: ignore[arg-type]
    if meta is None:
        raise CommandError(
            f"no live catalog index under key prefix {prefix!r} in Redis {display_url(url)}; "
            "build one first with `shoprec index --products data/products.csv --interactions "
            "data/interactions.csv`"
        )
    # Workers are separate processes: hand them the resolved Redis through the environment.
    os.environ["REDIS_URL"] = url
    built = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(meta.built_at))
    read_url = settings.redis.read_url
    replica = f"vector searches on replica {display_url(read_url)}; " if read_url else ""
    if state_url := settings.redis.state_url:
        replica += f"user state on {display_url(state_url)}; "
    print(
        f"serving on http://{args.host}:{args.port} ({args.workers} worker(s)): Redis "
        f"{display_url(url)}, key prefix {prefix!r}, catalog version {meta.version} "
        f"({meta.products:,} products, {meta.users:,} users, built {built}); {replica}"
        f"API docs at http://{args.host}:{args.port}/schema/swagger",
        flush=True,
    )
    warn_if_open(args.host, settings)
    if args.workers > 1:
        share_metrics_between_workers()
    serve(args.host, args.port, args.workers, args.access_log, settings.resources, log_json)
    return 0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def warn_if_open(host: str, settings: Settings) -> list[str]:
    """Log (and return) a warning per key left unset when the service listens beyond loopback:
    then anyone who reaches the port may write feedback or read the A/B report."""
    if is_loopback(host):
        return []
    access = settings.access
    missing = []
    if not access.api_key and not access.signing_secret:
        missing.append("SHOPREC_API_KEY is unset: anyone who reaches it may POST /feedback")
    if not access.admin_key:
        missing.append("SHOPREC_ADMIN_KEY is unset: the A/B report and insight data are open")
    for text in missing:
        log.warning("listening on %s beyond loopback and %s (docs/security.md)", host, text)
    return missing
