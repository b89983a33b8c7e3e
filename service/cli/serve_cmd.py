"""`shoprec serve`: the REST API under uvicorn."""

from __future__ import annotations

import argparse
import os
import time

from indexing.connection.redis_connection import display_url, resolve_redis_url, sync_client
from indexing.contract.settings import Settings
from service.cli.errors import CommandError


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
    serve_p.add_argument("--access-log", action="store_true", help="log every request")
    serve_p.set_defaults(handler=cmd_serve)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from indexing.contract.catalog_meta import CatalogMeta
    from indexing.contract.redis_layout import RedisLayout
    from service.api.http_server import serve

    url = resolve_redis_url(settings)
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
    print(
        f"serving on http://{args.host}:{args.port} ({args.workers} worker(s)): Redis "
        f"{display_url(url)}, key prefix {prefix!r}, catalog version {meta.version} "
        f"({meta.products:,} products, {meta.users:,} users, built {built}); "
        f"API docs at http://{args.host}:{args.port}/schema/swagger",
        flush=True,
    )
    serve(args.host, args.port, args.workers, args.access_log, settings.resources)
    return 0
