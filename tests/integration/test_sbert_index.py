"""An sbert index of a slice of the demo catalog in a real Redis, served by the real app.

One build per module (300 products: enough for neighbours to mean something, small enough for
CI); the model itself is loaded once per test process.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import redis
from litestar.testing import TestClient

from indexing.build.index_builder import build_index
from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.index_schema import CONTENT_FIELD
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.models.content_embedder import product_texts
from indexing.models.content_model_store import load_content_model
from indexing.models.embedder_registry import load_embedder
from indexing.models.sentence_embedder import SBERT_DIMS, SBERT_MODEL
from service.api.app import create_app
from tests.conftest import make_settings

SLICE = 300


@pytest.fixture(scope="module")
def demo_slice(tmp_path_factory: pytest.TempPathFactory, demo_csvs) -> tuple[Path, Path]:
    products_csv, interactions_csv = demo_csvs
    folder = tmp_path_factory.mktemp("demo-slice")
    products = pd.read_csv(products_csv, dtype=str, keep_default_na=False).head(SLICE)
    interactions = pd.read_csv(interactions_csv, dtype=str)
    interactions = interactions[interactions["product_id"].isin(products["product_id"])]
    products.to_csv(folder / "products.csv", index=False)
    interactions.to_csv(folder / "interactions.csv", index=False)
    return folder / "products.csv", folder / "interactions.csv"


@pytest.fixture(scope="module")
def sbert_index(redis_url: str, demo_slice: tuple[Path, Path]) -> Settings:
    settings = make_settings(redis_url, catalog={"embedder": "sbert"})
    client = redis.Redis.from_url(redis_url)
    build_index(client, settings, *demo_slice, quiet=True)
    client.close()
    return settings


@pytest.fixture
def meta(sbert_index: Settings, redis_client: redis.Redis) -> CatalogMeta:
    parsed = CatalogMeta.from_redis(
        redis_client.hgetall(RedisLayout(sbert_index.redis.key_prefix).meta)
    )
    assert parsed is not None
    return parsed


def test_meta_names_the_embedder_and_its_model(meta: CatalogMeta):
    assert meta.embedder == "sbert"
    assert meta.params["embedder_model"] == SBERT_MODEL
    assert (meta.products, meta.content_dims) == (SLICE, SBERT_DIMS)


def test_stored_model_embeds_new_products_into_the_same_space(
    sbert_index: Settings, meta: CatalogMeta, redis_client: redis.Redis, demo_slice
):
    """What `reindex` does: the embedder named in the meta, from the stored blob."""
    layout = RedisLayout(sbert_index.redis.key_prefix)
    blob = load_content_model(redis_client, layout, meta.version)
    assert blob is not None and len(blob) < 200  # a model name, not weights
    embedder = load_embedder(meta.embedder, blob, quiet=True)
    products = pd.read_csv(demo_slice[0], dtype=str, keep_default_na=False).head(3)
    fresh = embedder.transform(product_texts(products))
    for row, product_id in enumerate(products["product_id"]):
        raw = redis_client.hget(layout.product(meta.version, product_id), CONTENT_FIELD)
        stored = np.frombuffer(raw, dtype=np.float32)
        np.testing.assert_allclose(fresh[row], stored, atol=1e-5)


def test_content_endpoint_serves_same_category_neighbours(sbert_index: Settings, demo_slice):
    products = pd.read_csv(demo_slice[0], dtype=str, keep_default_na=False)
    category = dict(zip(products["product_id"], products["category"], strict=True))
    # Query products from categories with at least 10 members in the slice.
    sizes = products["category"].value_counts()
    queries = products[products["category"].map(sizes) >= 10]["product_id"].head(12).tolist()
    agreement = []
    with TestClient(app=create_app(sbert_index)) as client:
        for product_id in queries:
            answer = client.get(f"/recommend/content/{product_id}", params={"top_k": 5})
            assert answer.status_code == 200, answer.text
            results = answer.json()["results"]
            assert len(results) == 5
            assert product_id not in {r["product_id"] for r in results}
            scores = [r["score"] for r in results]
            assert scores == sorted(scores, reverse=True)
            agreement += [category[r["product_id"]] == category[product_id] for r in results]
        assert client.get("/recommend/content/NO-SUCH-PRODUCT").status_code == 404
    assert np.mean(agreement) >= 0.8, f"only {np.mean(agreement):.0%} same-category neighbours"
