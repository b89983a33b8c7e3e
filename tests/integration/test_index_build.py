"""`shoprec index` against a real Redis: layout, the two HNSW fields, KNN, versions, failures.

The session `demo_index` (conftest, default settings) is read-only here. Tests that build
write under their own key prefix with small vectors; the rebuild test uses the cosine CF model
(a fraction of EASE's time, the version handling is the same), and the failure tests use a
small slice of the demo data.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
import redis

from indexing.build.catalog_versions import live_version, versions_present
from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.index_schema import CF_FIELD, CF_QUERY_FIELD, CONTENT_FIELD
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.models.content_embedder import TfidfSvdEmbedder, product_texts
from indexing.models.content_model_store import load_content_model
from service.cli import main as cli
from tests.conftest import make_settings
from tests.integration.build_inspection import (
    build,
    ft_info,
    keys_under,
    knn_content,
    meta_of,
    read_csv,
    small_settings,
    vector_fields,
)


class LiveDemo(NamedTuple):
    """The demo index's layout and live metadata, and the CSVs it was built from."""

    layout: RedisLayout
    meta: CatalogMeta
    products: pd.DataFrame
    interactions: pd.DataFrame


@pytest.fixture
def live_demo(
    redis_client: redis.Redis,
    demo_index: Settings,
    demo_frames: tuple[pd.DataFrame, pd.DataFrame],
) -> LiveDemo:
    layout = RedisLayout(demo_index.redis.key_prefix)
    return LiveDemo(layout, meta_of(redis_client, demo_index), *demo_frames)


@pytest.fixture(scope="module")
def demo_frames(demo_csvs: tuple[Path, Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    return read_csv(demo_csvs[0]), read_csv(demo_csvs[1])


# --- the session demo index (read only) --------------------------------------------------
def test_demo_meta_matches_the_csvs(
    redis_client: redis.Redis,
    demo_index: Settings,
    demo_frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    products, interactions = demo_frames
    meta = meta_of(redis_client, demo_index)

    assert meta.products == products["product_id"].nunique() >= 5000
    assert meta.cf_items == interactions["product_id"].nunique()
    assert meta.users == interactions["user_id"].nunique()
    assert meta.embedder == "tfidf"
    assert meta.content_dims == demo_index.catalog.content_dims
    assert meta.cf_dims == demo_index.cf.dims
    assert meta.cf_model == "ease"  # the demo catalog is below cf_ease_max_items
    assert meta.half_life_days == demo_index.cf.half_life_days
    assert meta.params["hnsw_m"] == demo_index.index.hnsw_m
    assert meta.params["event_weights"]["purchase"] == demo_index.cf.event_weights.purchase
    expected_epoch = pd.to_datetime(interactions["ts"], utc=True).max().timestamp()
    assert meta.history_epoch == pytest.approx(expected_epoch)
    assert live_version(redis_client, RedisLayout(demo_index.redis.key_prefix)) == meta.version


def test_alias_shows_the_two_vector_fields(redis_client: redis.Redis, demo_index: Settings) -> None:
    layout = RedisLayout(demo_index.redis.key_prefix)
    meta = meta_of(redis_client, demo_index)
    info = ft_info(redis_client, layout.alias)
    fields = vector_fields(info)

    assert info["index_name"] == layout.index_name(meta.version)
    assert int(info["num_docs"]) == meta.products
    assert set(fields) == {CONTENT_FIELD, CF_FIELD}
    content, cf = fields[CONTENT_FIELD], fields[CF_FIELD]
    assert demo_index.index.flat_max_products < meta.products  # the default: HNSW at any size
    assert content["ALGORITHM"] == "HNSW" and cf["ALGORITHM"] == "HNSW"
    assert meta.params["vector_algorithm"] == "hnsw"
    assert int(content["M"]) == demo_index.index.hnsw_m
    assert int(content["EF_CONSTRUCTION"]) == demo_index.index.hnsw_ef_construction
    assert content["DISTANCE_METRIC"] == "COSINE"
    assert cf["DISTANCE_METRIC"] == "IP"
    assert int(content["DIM"]) == meta.content_dims == 256
    assert int(cf["DIM"]) == meta.cf_dims == 128


def test_flat_max_products_gives_small_catalogs_exact_flat_fields(
    redis_client: redis.Redis, redis_url: str, small_csvs: tuple[Path, Path]
) -> None:
    below = small_settings(redis_url, index={"flat_max_products": 1000})
    above = small_settings(redis_url, index={"flat_max_products": 100, "hnsw_m": 12})
    for settings in (below, above):
        build(redis_client, settings, small_csvs)  # 300 products
    flat = vector_fields(ft_info(redis_client, RedisLayout(below.redis.key_prefix).alias))
    hnsw = vector_fields(ft_info(redis_client, RedisLayout(above.redis.key_prefix).alias))

    for name in (CONTENT_FIELD, CF_FIELD):
        assert flat[name]["ALGORITHM"] == "FLAT"
        assert hnsw[name]["ALGORITHM"] == "HNSW" and int(hnsw[name]["M"]) == 12
    assert meta_of(redis_client, below).params["vector_algorithm"] == "flat"
    assert meta_of(redis_client, above).params["vector_algorithm"] == "hnsw"


def test_product_hash_fields(redis_client: redis.Redis, live_demo: LiveDemo) -> None:
    layout, meta, products, _ = live_demo
    row = products.iloc[0]
    stored = redis_client.hgetall(layout.product(meta.version, row["product_id"]))

    assert stored[b"product_id"].decode() == row["product_id"]
    assert stored[b"title"].decode() == row["title"]
    assert stored[b"category"].decode() == row["category"]
    assert float(stored[b"price"]) == pytest.approx(float(row["price"]))
    assert stored[b"img_url"].decode() == row["img_url"]
    assert len(stored[CONTENT_FIELD.encode()]) == 4 * meta.content_dims
    vector = np.frombuffer(stored[CONTENT_FIELD.encode()], dtype=np.float32)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-4)


def test_only_products_with_interactions_have_cf_vectors(
    redis_client: redis.Redis, live_demo: LiveDemo
) -> None:
    layout, meta, products, interactions = live_demo
    with_events = set(interactions["product_id"])
    cold = [p for p in products["product_id"] if p not in with_events]
    warm = [p for p in products["product_id"] if p in with_events]
    assert cold and warm, "the demo data has both cold and interacted products"

    pipe = redis_client.pipeline(transaction=False)
    for product_id in cold[:20] + warm[:20]:
        pipe.hmget(layout.product(meta.version, product_id), CF_FIELD, CF_QUERY_FIELD)
    replies = pipe.execute()
    for cf, query in replies[:20]:
        assert cf is None and query is None
    for cf, query in replies[20:]:
        assert len(cf) == len(query) == 4 * meta.cf_dims
    assert meta.products - meta.cf_items == len(cold)


def test_knn_on_content_returns_the_product_first_then_its_category(
    redis_client: redis.Redis, live_demo: LiveDemo
) -> None:
    layout, meta, products, _ = live_demo
    sample = products.iloc[:: len(products) // 12].head(12)
    same_category = []
    for product_id, category in zip(sample["product_id"], sample["category"], strict=True):
        vector = redis_client.hget(layout.product(meta.version, product_id), CONTENT_FIELD)
        hits = knn_content(redis_client, layout.alias, vector, k=11)

        assert hits[0][0] == product_id
        assert hits[0][2] == pytest.approx(0.0, abs=1e-4)
        assert len(hits) == 11
        same_category.append(np.mean([hit[1] == category for hit in hits[1:]]))
    assert np.mean(same_category) >= 0.8
    assert min(same_category) >= 0.5


def test_stored_content_model_embeds_into_the_same_space(
    redis_client: redis.Redis, live_demo: LiveDemo
) -> None:
    layout, meta, products, _ = live_demo
    blob = load_content_model(redis_client, layout, meta.version)
    assert blob is not None
    embedder = TfidfSvdEmbedder.from_bytes(blob)
    rows = products.iloc[[0, 1234, 4321]]

    fresh = embedder.transform(product_texts(rows))
    for product_id, vector in zip(rows["product_id"], fresh, strict=True):
        stored = redis_client.hget(layout.product(meta.version, product_id), CONTENT_FIELD)
        np.testing.assert_allclose(vector, np.frombuffer(stored, np.float32), atol=1e-4)


def test_histories_bought_and_popularity(
    redis_client: redis.Redis, live_demo: LiveDemo, demo_index: Settings
) -> None:
    layout, meta, products, interactions = live_demo

    buyers = interactions[interactions["interaction_type"] == "purchase"]
    user = buyers["user_id"].iloc[0]
    history = redis_client.zrange(layout.history(meta.version, user), 0, -1, withscores=True)
    seen = set(interactions.loc[interactions["user_id"] == user, "product_id"])
    assert history
    assert 0 < len(history) <= demo_index.cf.history_max_items
    assert {p.decode() for p, _ in history} <= seen
    assert all(score > 0 for _, score in history)
    bought = {p.decode() for p in redis_client.smembers(layout.bought(meta.version, user))}
    assert bought == set(buyers.loc[buyers["user_id"] == user, "product_id"])

    # Every CSV user has a history (feedback tests may have added users of their own).
    pipe = redis_client.pipeline(transaction=False)
    for csv_user in interactions["user_id"].unique():
        pipe.exists(layout.history(meta.version, csv_user))
    assert sum(pipe.execute()) == meta.users

    popular = redis_client.zrevrange(layout.popular(meta.version), 0, -1, withscores=True)
    assert len(popular) == min(demo_index.cf.popular_max_items, meta.cf_items)
    assert {p.decode() for p, _ in popular} <= set(products["product_id"])
    scores = [s for _, s in popular]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0


def test_cli_redis_cli_ft_info(
    demo_index: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "get_settings", lambda: demo_index)
    code = cli.main(["redis", "cli", "FT.INFO", RedisLayout(demo_index.redis.key_prefix).alias])

    out = capsys.readouterr().out
    assert code == 0
    assert "content_vector" in out and "cf_vector" in out
    assert "HNSW" in out


# --- builds of their own ----------------------------------------------------------------
def test_rebuild_leaves_exactly_one_version(
    redis_client: redis.Redis,
    redis_url: str,
    demo_csvs: tuple[Path, Path],
    demo_frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    settings = small_settings(redis_url, cf={"model": "cosine"})
    layout = RedisLayout(settings.redis.key_prefix)
    products, interactions = demo_frames

    first = build(redis_client, settings, demo_csvs)
    assert versions_present(redis_client, layout) == [first.version]
    second = build(redis_client, settings, demo_csvs)

    assert second.version > first.version
    assert versions_present(redis_client, layout) == [second.version]
    assert second.versions.dropped == (first.version,)
    assert ft_info(redis_client, layout.alias)["index_name"] == layout.index_name(second.version)
    assert meta_of(redis_client, settings).version == second.version
    assert keys_under(redis_client, layout.version_prefix(first.version) + ":") == []
    live_keys = keys_under(redis_client, layout.product_prefix(second.version))
    assert len(live_keys) == len(products)

    # the summary of a build
    assert second.products == len(products)
    assert second.users == interactions["user_id"].nunique()
    assert second.events == len(interactions)
    assert second.cf_items == interactions["product_id"].nunique()
    assert second.products_without_cf == second.products - second.cf_items
    assert second.meta.content_dims == settings.catalog.content_dims
    assert second.cf_dims == settings.cf.dims
    assert second.cf_model == "cosine"
    assert {"load csv", "content vectors", "cf vectors", "redis load", "total"} <= set(
        second.seconds
    )
    text = "\n".join(second.lines())
    assert f"built version {second.version}" in text
    assert f"products indexed: {len(products):,}" in text


def test_cli_index_and_if_missing(
    redis_client: redis.Redis,
    redis_url: str,
    small_csvs: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = small_settings(redis_url)
    layout = RedisLayout(settings.redis.key_prefix)
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    files = ["--products", str(small_csvs[0]), "--interactions", str(small_csvs[1])]

    assert cli.main(["index", "-q", *files]) == 0
    out = capsys.readouterr().out
    assert "built version 1" in out
    assert "products indexed: 300" in out
    assert "seconds:" in out

    assert cli.main(["index", "-q", "--if-missing", *files]) == 0
    assert "not rebuilding" in capsys.readouterr().out
    assert live_version(redis_client, layout) == 1


def test_index_without_interactions_and_with_a_wordless_title(
    redis_client: redis.Redis, redis_url: str, small_csvs: tuple[Path, Path], tmp_path: Path
) -> None:
    settings = small_settings(redis_url)
    layout = RedisLayout(settings.redis.key_prefix)
    products = tmp_path / "products.csv"
    # "X" has no token the content model knows: it must not become a zero vector, whose NaN
    # distance RediSearch would sort before every real neighbour.
    products.write_text(small_csvs[0].read_text() + "PX,X,,,1.00,\n")
    no_events = tmp_path / "interactions.csv"
    no_events.write_text("user_id,product_id,interaction_type,ts\n")

    summary = build(redis_client, settings, (products, no_events))

    assert summary.products == 301
    assert summary.users == 0
    assert summary.cf_items == 0 and summary.products_without_cf == 301
    assert redis_client.zcard(layout.popular(summary.version)) == 301  # cold start: catalog order
    vector = redis_client.hget(layout.product(summary.version, "P000002"), CONTENT_FIELD)
    hits = knn_content(redis_client, layout.alias, vector, k=20)
    assert hits[0][0] == "P000002"
    assert "PX" not in [hit[0] for hit in hits]
    assert all(np.isfinite(hit[2]) for hit in hits)
    wordless = redis_client.hget(layout.product(summary.version, "PX"), CONTENT_FIELD)
    assert knn_content(redis_client, layout.alias, wordless, k=1)[0][0] == "PX"


# --- the real retail data ---------------------------------------------------------------
@pytest.mark.shared_data
def test_build_on_online_retail(
    redis_client: redis.Redis, redis_url: str, retail_csvs: tuple[Path, Path]
) -> None:
    settings = make_settings(redis_url)
    layout = RedisLayout(settings.redis.key_prefix)
    try:
        summary = build(redis_client, settings, retail_csvs)

        assert summary.products == 3787
        assert summary.cf_items == 3656
        assert summary.products_without_cf == 131
        assert summary.users == 4334
        assert summary.cf_model == "ease"
        assert all(not report.dropped for report in summary.reports)
        info = ft_info(redis_client, layout.alias)
        assert int(info["num_docs"]) == 3787
        assert set(vector_fields(info)) == {CONTENT_FIELD, CF_FIELD}
        # no categories at all in this data: the tag is empty and KNN still works
        some = read_csv(retail_csvs[0])["product_id"].iloc[100]
        vector = redis_client.hget(layout.product(summary.version, some), CONTENT_FIELD)
        assert knn_content(redis_client, layout.alias, vector, k=5)[0][0] == some
    finally:
        _drop_everything(redis_client, layout)


def _drop_everything(client: redis.Redis, layout: RedisLayout) -> None:
    """Free the server's memory after a big build (other tests use other prefixes)."""
    from indexing.build.catalog_versions import drop_version

    for version in versions_present(client, layout):
        drop_version(client, layout, version)
