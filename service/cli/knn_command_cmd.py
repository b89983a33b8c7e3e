"""`shoprec knn-command PRODUCT_ID`: a KNN query to paste into RedisInsight's Workbench.

A vector query needs the query vector as raw float32 bytes, which nobody can type. This reads
the product's own vector from the live version and prints one FT.SEARCH line with the bytes
written as "\\xNN" escapes, which both RedisInsight's Workbench and redis-cli turn back into
bytes. The first hit is the product itself (distance ~0), then its nearest neighbours.
"""

from __future__ import annotations

import argparse

import redis

from indexing.build.catalog_versions import live_version
from indexing.connection.redis_connection import resolve_redis_url, sync_client
from indexing.contract.index_schema import CF_FIELD, CF_QUERY_FIELD, CONTENT_FIELD
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.cli.errors import CommandError

# Which stored vector queries which indexed field: content is symmetric (cosine); CF queries
# the index-side cf_vector with the item's query-side cf_query vector (inner product).
QUERY_VECTOR = {"content": (CONTENT_FIELD, CONTENT_FIELD), "cf": (CF_QUERY_FIELD, CF_FIELD)}


def register(sub: argparse._SubParsersAction, settings: Settings) -> None:
    knn_p = sub.add_parser(
        "knn-command",
        help="print a KNN FT.SEARCH for a product, ready for RedisInsight's Workbench",
        description="Print one FT.SEARCH line that finds the nearest products to PRODUCT_ID "
        "through the alias; paste it into RedisInsight's Workbench or redis-cli.",
    )
    knn_p.add_argument("product_id")
    knn_p.add_argument(
        "--vector", choices=sorted(QUERY_VECTOR), default="content", help="default content"
    )
    knn_p.add_argument("-k", "--top-k", type=int, default=10, help="neighbours (default 10)")
    knn_p.set_defaults(handler=cmd_knn_command)


def workbench_escape(blob: bytes) -> str:
    """Bytes as a double-quoted "\\xNN..." argument (redis-cli / Workbench syntax)."""
    return '"' + "".join(f"\\x{byte:02x}" for byte in blob) + '"'


def knn_command_line(alias: str, field: str, blob: bytes, k: int) -> str:
    return (
        f'FT.SEARCH {alias} "*=>[KNN {k} @{field} $vec AS distance]" '
        f"PARAMS 2 vec {workbench_escape(blob)} "
        "SORTBY distance RETURN 3 product_id title distance DIALECT 2"
    )


def cmd_knn_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.top_k < 1:
        raise CommandError("--top-k must be at least 1", code=2)
    client = sync_client(resolve_redis_url(settings))
    layout = RedisLayout(settings.redis.key_prefix)
    version = live_version(client, layout)
    if version is None:
        raise CommandError("no live catalog index in Redis; build one with `shoprec index`")
    stored, field = QUERY_VECTOR[args.vector]
    key = layout.product(version, args.product_id)
    blob = _hget_bytes(client, key, stored)
    if blob is None:
        if not client.exists(key):
            raise CommandError(f"unknown product {args.product_id!r} (no key {key})")
        raise CommandError(f"product {args.product_id!r} has no {stored} (no interactions)")
    print(knn_command_line(layout.alias, field, blob, args.top_k + 1))
    return 0


def _hget_bytes(client: redis.Redis, key: str, field: str) -> bytes | None:
    raw = client.hget(key, field)
    return bytes(raw) if raw is not None else None  # type: ignore[arg-type]
