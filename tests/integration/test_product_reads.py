"""ProductReader's grouped product reads (one script for many products and field sets) against
a real Redis: each group's values in order, None for what is absent, and ids the script must
join to the key prefix byte for byte (non-ASCII, separators, spaces); and the product rows it
keeps: not read again until a reindex stamps the meta, vector fields added as asked."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import redis
import redis.asyncio as aioredis

from indexing.contract.index_schema import CF_FIELD, CONTENT_FIELD
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.store.catalog_reader import CatalogView, LiveCatalog, ProductCard, ProductReader

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


def _cards_twice(
    settings: Settings, view: CatalogView, cache_items: int, between: Callable[[], object]
) -> tuple[dict[str, ProductCard], dict[str, ProductCard]]:
    """The cards of the view's first products read by one reader, `between` run between the
    two reads."""

    async def run() -> tuple[dict[str, ProductCard], dict[str, ProductCard]]:
        client = aioredis.Redis.from_url(settings.redis.url)
        try:
            reader = ProductReader(client, cache_items=cache_items)
            first = await reader.cards(view, PRODUCTS)
            between()
            return first, await reader.cards(view, PRODUCTS)
        finally:
            await client.aclose()

    return asyncio.run(run())


PRODUCTS = ["P000001", "P000002", "P000003"]


def test_a_row_read_once_is_kept_until_a_reindex_stamps_the_meta(
    small_built: tuple[Settings, redis.Redis],
) -> None:
    settings, client = small_built
    view = _live_view(settings)
    key = view.product_key(PRODUCTS[0])
    title = client.hget(key, "title")
    assert title is not None, "the small catalog names its products P000001..."
    try:
        kept = _cards_twice(settings, view, 100, lambda: client.hset(key, "title", "Renamed"))
        read = _cards_twice(settings, view, 0, lambda: None)
        stamped = CatalogView(replace(view.meta, reindexed_at=time.time()), view.layout)
        after_reindex = _cards_twice(settings, stamped, 100, lambda: None)
    finally:
        client.hset(key, "title", title)

    assert kept[0][PRODUCTS[0]].title == kept[1][PRODUCTS[0]].title == title.decode()
    assert read[1][PRODUCTS[0]].title == "Renamed"  # SHOPREC_PRODUCT_CACHE_ITEMS=0
    assert after_reindex[0][PRODUCTS[0]].title == "Renamed"


def test_vector_fields_asked_later_are_read_and_kept_with_the_card(
    small_built: tuple[Settings, redis.Redis],
) -> None:
    settings, client = small_built
    view = _live_view(settings)

    async def run() -> tuple[dict[str, ProductCard], dict[str, dict[str, np.ndarray]]]:
        redis_client = aioredis.Redis.from_url(settings.redis.url)
        try:
            reader = ProductReader(redis_client, cache_items=100)
            await reader.cards(view, PRODUCTS)
            cards, vectors, _ = await reader.cards_and_vectors(view, PRODUCTS, [CONTENT_FIELD])
            sets = await reader.vector_sets(view, {CF_FIELD: PRODUCTS, CONTENT_FIELD: PRODUCTS})
            return cards, {**vectors, CF_FIELD: sets[CF_FIELD]}
        finally:
            await redis_client.aclose()

    cards, vectors = asyncio.run(run())

    assert set(cards) == set(PRODUCTS)
    for field in (CONTENT_FIELD, CF_FIELD):
        for pid in PRODUCTS:
            stored = client.hget(view.product_key(pid), field)
            if stored is None:
                assert pid not in vectors[field]
            else:
                assert vectors[field][pid].tobytes() == stored
    assert vectors[CONTENT_FIELD]
