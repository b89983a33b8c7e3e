"""Writes a version's product hashes and creates its RediSearch index.

Each product is one hash (shown fields, a fingerprint of them, the content vector and, for
products with interactions, the CF vectors); redisvl loads them in pipelined batches and
RediSearch indexes them (HNSW insertion runs in the background: `wait_until_indexed`).
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
from indexing.contract.index_schema import CF_FIELD, CF_QUERY_FIELD, CONTENT_FIELD
from indexing.contract.redis_layout import RedisLayout
from indexing.models.cf_model import CFVectors


def _price(row: dict[str, object]) -> float | None:
    """The row's price; None for a product without one (NaN in the loaded catalog)."""
    value = row.get("price")
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def content_hash(row: dict[str, object]) -> str:
    """Fingerprint of what a product shows and what its content vector is made from."""
    price = _price(row)
    shown = {**row, "price": "" if price is None else price}
    text = "\x1f".join(
        str(shown.get(k, "")) for k in ("title", "category", "description", "price", "img_url")
    )
    return hashlib.sha1(text.encode()).hexdigest()


def product_hashes(
    products: pd.DataFrame, content: np.ndarray, cf: CFVectors | None
) -> Iterator[dict[str, object]]:
    """One Redis hash mapping per product; products without CF data get no CF fields, and
    products without a price no `price` (RediSearch then leaves them out of price ranges)."""
    cf_row = {item: i for i, item in enumerate(cf.item_ids)} if cf is not None else {}
    for i, row in enumerate(products.to_dict("records")):
        mapping: dict[str, object] = {
            "product_id": row["product_id"],
            "title": row["title"],
            "category": row["category"],
            "description": row["description"],
            "img_url": row["img_url"],
            "content_hash": content_hash(row),
            CONTENT_FIELD: content[i].astype(np.float32).tobytes(),
        }
        price = _price(row)
        if price is not None:
            mapping["price"] = price
        j = cf_row.get(row["product_id"])
        if cf is not None and j is not None:
            mapping[CF_FIELD] = cf.index[j].tobytes()
            mapping[CF_QUERY_FIELD] = cf.query[j].tobytes()
        yield mapping


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
