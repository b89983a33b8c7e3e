"""The recommendation strategies called directly on the live demo version: no cache, no HTTP,
so a test sees exactly what a strategy answers (and how many round trips it takes)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import redis.asyncio as aioredis

from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.recommend.base import Recommender, RecommendRequest, Scored
from service.recommend.service import Readers, Recommenders
from service.store.catalog_reader import CatalogView, LiveCatalog, ProductReader
from service.store.read_routing import ReadRouting

T = TypeVar("T")


def with_strategy(
    settings: Settings,
    name: str,
    work: Callable[[Recommender, CatalogView], Awaitable[T]],
) -> T:
    """`work` with the strategy `name` (a field of `Recommenders`), built over a fresh client,
    and the live version."""

    async def run() -> T:
        client = aioredis.Redis.from_url(settings.redis.url)
        try:
            readers = Readers.build(settings, client, ProductReader(client), ReadRouting(client))
            strategy = getattr(Recommenders.over(settings, readers), name)
            view = await LiveCatalog(client, RedisLayout(settings.redis.key_prefix)).current()
            return await work(strategy, view)
        finally:
            await client.aclose()

    return asyncio.run(run())


def recommend(settings: Settings, name: str, *requests: RecommendRequest) -> list[list[Scored]]:
    """The strategy's answer to each request, in order."""

    async def work(strategy: Recommender, view: CatalogView) -> list[list[Scored]]:
        return [await strategy.recommend(view, request) for request in requests]

    return with_strategy(settings, name, work)
