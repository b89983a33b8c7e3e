"""ProductReader's grouped product reads (one script for many products and field sets) against
a real Redis: each group's values in order, None for what is absent, and ids the script must
join to the key prefix byte for byte (non-ASCII, separators, spaces)."""

from __future__ import annotations

import asyncio

import redis
import redis.asyncio as aioredis

from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.store.catalog_reader import CatalogView, LiveCatalog, ProductReader

ODD_IDS = ["café-1", "a:b|c", "with space", "商品-7"]


def _live_view(settings: Settings) -> CatalogView:
    async def run() -> CatalogView:
        client = aioredis.Redis.from_url(settings.redis.url)
        try:
            return await LiveCatalog(client, RedisLayout(settings.redis.key_prefix)).current()
        finally:
            await client.aclose()

    return asyncio.run(run())


def _fields_each(
    view: CatalogView, settings: Settings, wanted: list[tuple[list[str], list[str]]]
) -> list[list[list[bytes | None]]]:
    async def run() -> list[list[list[bytes | None]]]:
        client = aioredis.Redis.from_url(settings.redis.url)
        try:
            return await ProductReader(client).fields_each(view, wanted)
        finally:
            await client.aclose()

    return asyncio.run(run())


def test_groups_come_back_in_order_with_absent_values_as_none(
    small_built: tuple[Settings, redis.Redis],
) -> None:
    settings, client = small_built
    view = _live_view(settings)
    prefix = view.layout.product_prefix(view.version)
    ids = sorted(key.decode().removeprefix(prefix) for key in client.scan_iter(match=f"{prefix}*"))[
        :5
    ]
    wanted = [
        ([*ids[:3], "no-such-product"], ["title", "price", "no_such_field"]),
        ([], ["title"]),
        (ids[3:], ["category"]),
    ]
    got = _fields_each(view, settings, wanted)

    assert [len(part) for part in got] == [4, 0, 2]
    for (group_ids, fields), part in zip(wanted, got, strict=True):
        for product_id, row in zip(group_ids, part, strict=True):
            expected = client.hmget(view.product_key(product_id), fields)
            assert row == expected
    assert got[0][3] == [None, None, None]
    assert all(row[0] is not None for row in got[0][:3])


def test_ids_outside_ascii_reach_their_own_hash(
    small_built: tuple[Settings, redis.Redis],
) -> None:
    settings, client = small_built
    view = _live_view(settings)
    for product_id in ODD_IDS:
        client.hset(view.product_key(product_id), "title", f"title of {product_id}")

    (part,) = _fields_each(view, settings, [(ODD_IDS, ["title"])])

    assert [row[0] for row in part] == [f"title of {pid}".encode() for pid in ODD_IDS]
