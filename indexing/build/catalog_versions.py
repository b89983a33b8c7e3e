"""Catalog versions in Redis: numbering them, making one live, finding and dropping them.

A version is written beside the live one (new key prefix, new index), then the alias and the
metadata hash are switched together in one MULTI/EXEC, so readers see either the old version
or the new one, never a half-built one.
"""

from __future__ import annotations

import time

import redis

from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.redis_text import as_text


def next_version(client: redis.Redis, layout: RedisLayout) -> int:
    return int(client.incr(layout.version_counter))


def live_version(client: redis.Redis, layout: RedisLayout) -> int | None:
    raw = client.hget(layout.meta, "version")
    return int(raw) if raw is not None else None


def publish(
    client: redis.Redis, layout: RedisLayout, meta: CatalogMeta, retire: int | None = None
) -> None:
    """Point the alias and the metadata at `meta.version` in one transaction; `retire` (the
    version it replaces) is marked retired in the same transaction (see version_retirement)."""
    index_name = layout.index_name(meta.version)
    aliased = _alias_exists(client, layout.alias)
    pipe = client.pipeline(transaction=True)
    command = "FT.ALIASUPDATE" if aliased else "FT.ALIASADD"
    pipe.execute_command(command, layout.alias, index_name)
    pipe.delete(layout.meta)
    pipe.hset(layout.meta, mapping=meta.to_redis())  # type: ignore[arg-type]
    if retire is not None and retire != meta.version:
        pipe.hset(layout.retired_versions, str(retire), f"{time.time():.3f}")
    pipe.execute()


def _alias_exists(client: redis.Redis, alias: str) -> bool:
    try:
        client.ft(alias).info()
    except redis.ResponseError:
        return False
    return True


def drop_version(
    client: redis.Redis, layout: RedisLayout, version: int, state: redis.Redis | None = None
) -> int:
    """Remove a version's index and every key under its prefix, on the catalog's Redis and on
    the user state's (`state`, REDIS_STATE_URL) where that is another; returns keys removed.
    On a cluster the SCAN visits every primary (redis-py's scan_iter) with the version's
    MATCH: bounded by the state's key count, in batches, never one KEYS."""
    try:
        client.ft(layout.index_name(version)).dropindex(delete_documents=False)
    except redis.ResponseError:
        pass  # never created, or already dropped
    return unlink_on_both(client, state, f"{layout.version_prefix(version)}:*")


def unlink_on_both(client: redis.Redis, state: redis.Redis | None, pattern: str) -> int:
    """`unlink_matching` on the catalog's Redis, and on the user state's where that is another
    (REDIS_STATE_URL); returns keys removed."""
    removed = unlink_matching(client, pattern)
    if state is not None and state is not client:
        removed += unlink_matching(state, pattern)
    return removed


def unlink_matching(client: redis.Redis, pattern: str, batch_size: int = 2000) -> int:
    """UNLINK every key matching a SCAN pattern; returns keys removed."""
    removed = 0
    batch: list[bytes] = []
    for key in client.scan_iter(match=pattern, count=batch_size):
        batch.append(key)
        if len(batch) >= batch_size:
            removed += int(client.unlink(*batch))  # on a cluster, split by slot by redis-py
            batch = []
    if batch:
        removed += int(client.unlink(*batch))
    return removed


def remove_prefix(
    client: redis.Redis, layout: RedisLayout, state: redis.Redis | None = None
) -> int:
    """Drop every version's index, the alias and every key under the layout's prefix (a
    scratch catalog of `shoprec evaluate` or `shoprec bench`), on `state` too where the user
    state lives elsewhere; returns keys removed."""
    for version in versions_present(client, layout):
        drop_version(client, layout, version, state)
    try:
        client.execute_command("FT.ALIASDEL", layout.alias)
    except redis.ResponseError:
        pass  # never published
    return unlink_on_both(client, state, f"{layout.prefix}:*")


def versions_present(client: redis.Redis, layout: RedisLayout) -> list[int]:
    """Versions that have an index (live, being built, or left behind)."""
    versions = []
    for raw in client.execute_command("FT._LIST"):
        name = as_text(raw)
        version = layout.version_of(name)
        if version is not None and name == layout.index_name(version):
            versions.append(version)
    return sorted(versions)
