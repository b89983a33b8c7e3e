"""Writes one version of the catalog into Redis and makes it live.

A version is written beside the live one (new key prefix, new index), then the alias and the
metadata hash are switched together in one MULTI/EXEC, so readers see either the old version
or the new one, never a half-built one.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator

import numpy as np
import pandas as pd
import redis
from redisvl.index import SearchIndex
from redisvl.schema import IndexSchema

from indexing.build.progress import Progress
from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.index_schema import CF_FIELD, CF_QUERY_FIELD, CONTENT_FIELD
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.redis_text import as_text
from indexing.models.cf_model import CFVectors

CONTENT_MODEL_FIELD = "content_model"


def content_hash(row: dict[str, object]) -> str:
    """Fingerprint of what a product shows and what its content vector is made from."""
    text = "\x1f".join(
        str(row.get(k, "")) for k in ("title", "category", "description", "price", "img_url")
    )
    return hashlib.sha1(text.encode()).hexdigest()


def product_hashes(
    products: pd.DataFrame, content: np.ndarray, cf: CFVectors | None
) -> Iterator[dict[str, object]]:
    """One Redis hash mapping per product; products without CF data get no CF fields."""
    cf_row = {item: i for i, item in enumerate(cf.item_ids)} if cf is not None else {}
    for i, row in enumerate(products.to_dict("records")):
        mapping: dict[str, object] = {
            "product_id": row["product_id"],
            "title": row["title"],
            "category": row["category"],
            "description": row["description"],
            "price": float(row["price"]),
            "img_url": row["img_url"],
            "content_hash": content_hash(row),
            CONTENT_FIELD: content[i].astype(np.float32).tobytes(),
        }
        j = cf_row.get(row["product_id"])
        if cf is not None and j is not None:
            mapping[CF_FIELD] = cf.index[j].tobytes()
            mapping[CF_QUERY_FIELD] = cf.query[j].tobytes()
        yield mapping


def next_version(client: redis.Redis, layout: RedisLayout) -> int:
    return int(client.incr(layout.version_counter))


def live_version(client: redis.Redis, layout: RedisLayout) -> int | None:
    raw = client.hget(layout.meta, "version")
    return int(raw) if raw is not None else None


def create_index(client: redis.Redis, schema: IndexSchema) -> SearchIndex:
    index = SearchIndex(schema, redis_client=client)
    index.create(overwrite=True, drop=True)
    return index


def load_products(
    index: SearchIndex,
    layout: RedisLayout,
    version: int,
    products: pd.DataFrame,
    content: np.ndarray,
    cf: CFVectors | None,
    batch_size: int,
    quiet: bool = False,
) -> None:
    progress = Progress("products loaded", len(products), quiet=quiet)
    batch: list[dict[str, object]] = []
    for mapping in product_hashes(products, content, cf):
        batch.append(mapping)
        if len(batch) >= batch_size:
            _load_batch(index, layout, version, batch)
            progress.advance(len(batch))
            batch = []
    if batch:
        _load_batch(index, layout, version, batch)
        progress.advance(len(batch))


def _load_batch(
    index: SearchIndex, layout: RedisLayout, version: int, batch: list[dict[str, object]]
) -> None:
    keys = [layout.product(version, str(m["product_id"])) for m in batch]
    index.load(batch, keys=keys, batch_size=len(batch))


def wait_until_indexed(
    client: redis.Redis, index_name: str, timeout_s: float = 3600.0, quiet: bool = False
) -> None:
    """Block until RediSearch has indexed every hash (HNSW insertion runs in the background)."""
    deadline = time.monotonic() + timeout_s
    last_print = 0.0
    while True:
        info = client.ft(index_name).info()
        if (
            str(info.get("indexing", "0")) in ("0", "0.0")
            or float(info.get("percent_indexed", 1)) >= 1.0
        ):
            return
        now = time.monotonic()
        if now > deadline:
            raise TimeoutError(f"index {index_name} still indexing after {timeout_s:.0f}s")
        if not quiet and now - last_print > 2:
            percent = float(info.get("percent_indexed", 0)) * 100
            print(f"  HNSW indexing: {percent:.0f}%", flush=True)
            last_print = now
        time.sleep(0.1)


def store_content_model(
    client: redis.Redis, layout: RedisLayout, version: int, blob: bytes
) -> None:
    client.hset(layout.models(version), CONTENT_MODEL_FIELD, blob)


def load_content_model(client: redis.Redis, layout: RedisLayout, version: int) -> bytes | None:
    blob = client.hget(layout.models(version), CONTENT_MODEL_FIELD)
    if blob is None:
        return None
    return blob if isinstance(blob, bytes) else blob.encode()


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


def drop_version(client: redis.Redis, layout: RedisLayout, version: int) -> int:
    """Remove a version's index and every key under its prefix; returns keys removed."""
    try:
        client.ft(layout.index_name(version)).dropindex(delete_documents=False)
    except redis.ResponseError:
        pass  # never created, or already dropped
    return unlink_matching(client, f"{layout.version_prefix(version)}:*")


def unlink_matching(client: redis.Redis, pattern: str, batch_size: int = 2000) -> int:
    """UNLINK every key matching a SCAN pattern; returns keys removed."""
    removed = 0
    batch: list[bytes] = []
    for key in client.scan_iter(match=pattern, count=batch_size):
        batch.append(key)
        if len(batch) >= batch_size:
            removed += int(client.unlink(*batch))
            batch = []
    if batch:
        removed += int(client.unlink(*batch))
    return removed


def remove_prefix(client: redis.Redis, layout: RedisLayout) -> int:
    """Drop every version's index, the alias and every key under the layout's prefix (a
    scratch catalog of `shoprec evaluate` or `shoprec bench`); returns keys removed."""
    for version in versions_present(client, layout):
        drop_version(client, layout, version)
    try:
        client.execute_command("FT.ALIASDEL", layout.alias)
    except redis.ResponseError:
        pass  # never published
    return unlink_matching(client, f"{layout.prefix}:*")


def versions_present(client: redis.Redis, layout: RedisLayout) -> list[int]:
    """Versions that have an index (live, being built, or left behind)."""
    versions = []
    for raw in client.execute_command("FT._LIST"):
        name = as_text(raw)
        version = layout.version_of(name)
        if version is not None and name == layout.index_name(version):
            versions.append(version)
    return sorted(versions)
