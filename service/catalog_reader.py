"""Read access to the live catalog version: which version is live, and product fields.

Every request works against one `CatalogView` (a version snapshot) so that its reads, its
cache key and its queries agree even if a rebuild switches versions meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import redis.asyncio as aioredis

from indexing.catalog_meta import CatalogMeta
from indexing.redis_layout import RedisLayout
from service.errors import NoLiveIndex


@dataclass(frozen=True)
class CatalogView:
    meta: CatalogMeta
    layout: RedisLayout

    @property
    def version(self) -> int:
        return self.meta.version

    def product_key(self, product_id: str) -> str:
        return self.layout.product(self.meta.version, product_id)


class LiveCatalog:
    """The live version, re-read from Redis at most every `refresh_s` seconds.

    Saves a round trip per request; a rebuild is followed within `refresh_s`, and the old
    version is kept for a grace period longer than that.
    """

    def __init__(self, client: aioredis.Redis, layout: RedisLayout, refresh_s: float = 1.0):
        self._client, self._layout, self._refresh_s = client, layout, refresh_s
        self._view: CatalogView | None = None
        self._read_at = 0.0

    async def current(self) -> CatalogView:
        now = time.monotonic()
        if self._view is None or now - self._read_at > self._refresh_s:
            meta = CatalogMeta.from_redis(await self._client.hgetall(self._layout.meta))
            self._view = CatalogView(meta, self._layout) if meta is not None else None
            self._read_at = now
        if self._view is None:
            raise NoLiveIndex()
        return self._view

    def forget(self) -> None:
        """Drop the cached version so the next request re-reads it."""
        self._view = None


class ProductReader:
    def __init__(self, client: aioredis.Redis):
        self._client = client

    async def vector(self, view: CatalogView, product_id: str, field: str) -> np.ndarray | None:
        """The product's vector field; None if the product has no such vector.

        Raises nothing for a missing product: callers decide (see `exists`)."""
        raw = await self._client.hget(view.product_key(product_id), field)
        return np.frombuffer(raw, dtype=np.float32) if raw else None

    async def vectors(
        self, view: CatalogView, product_ids: Iterable[str], field: str
    ) -> dict[str, np.ndarray]:
        """Vectors of those products that have the field (one pipelined round trip)."""
        ids = list(product_ids)
        if not ids:
            return {}
        pipe = self._client.pipeline(transaction=False)
        for product_id in ids:
            pipe.hget(view.product_key(product_id), field)
        raws = await pipe.execute()
        return {
            pid: np.frombuffer(raw, dtype=np.float32)
            for pid, raw in zip(ids, raws, strict=True)
            if raw
        }

    async def exists(self, view: CatalogView, product_id: str) -> bool:
        return bool(await self._client.exists(view.product_key(product_id)))

    async def titles(self, view: CatalogView, product_ids: Iterable[str]) -> dict[str, str]:
        ids = list(product_ids)
        if not ids:
            return {}
        pipe = self._client.pipeline(transaction=False)
        for product_id in ids:
            pipe.hget(view.product_key(product_id), "title")
        raws = await pipe.execute()
        return {pid: raw.decode() for pid, raw in zip(ids, raws, strict=True) if raw is not None}
