"""The worker's product rows: kept under the version and the reindex stamp, at most the
configured number, the least recently used dropped first."""

from __future__ import annotations

from dataclasses import replace

from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.redis_layout import RedisLayout
from service.store.catalog_reader import CatalogView, ProductCard
from service.store.product_rows import ProductRow, ProductRows

META = CatalogMeta(
    version=3,
    built_at=1.0,
    products=10,
    cf_items=10,
    users=5,
    embedder="tfidf-svd",
    content_dims=8,
    cf_dims=4,
    cf_model="als",
    history_epoch=0.0,
    half_life_days=30.0,
)
VIEW = CatalogView(META, RedisLayout("t"))


def _row(title: str) -> ProductRow:
    return ProductRow(ProductCard(title, ("garden",), 1.0, None), {})


def test_a_row_is_kept_for_its_version_and_reindex_stamp_only() -> None:
    rows = ProductRows(10)
    rows.put(VIEW, "P1", _row("hose"))

    assert rows.get(VIEW, "P1") == _row("hose")
    reindexed = CatalogView(replace(META, reindexed_at=1234.5), VIEW.layout)
    rebuilt = CatalogView(replace(META, version=4), VIEW.layout)
    assert rows.get(reindexed, "P1") is None
    assert rows.get(rebuilt, "P1") is None
    assert rows.get(VIEW, "P2") is None


def test_at_most_the_configured_rows_the_least_recently_used_dropped() -> None:
    rows = ProductRows(3)
    for pid in ("P1", "P2", "P3"):
        rows.put(VIEW, pid, _row(pid))
    rows.get(VIEW, "P1")  # used: P2 is now the oldest
    rows.put(VIEW, "P4", _row("P4"))

    assert len(rows) == 3
    assert rows.get(VIEW, "P2") is None
    assert all(rows.get(VIEW, pid) is not None for pid in ("P1", "P3", "P4"))


def test_no_rows_are_kept_where_the_cache_is_off() -> None:
    rows = ProductRows(0)
    rows.put(VIEW, "P1", _row("hose"))

    assert len(rows) == 0 and rows.get(VIEW, "P1") is None


def test_the_meta_carries_the_reindex_stamp_and_a_built_one_has_none() -> None:
    assert CatalogMeta.from_redis(META.to_redis()).reindexed_at == 0.0  # type: ignore[union-attr]
    stamped = {**META.to_redis(), "reindexed_at": "1764870000.250"}
    assert CatalogMeta.from_redis(stamped).reindexed_at == 1764870000.25  # type: ignore[union-attr]
