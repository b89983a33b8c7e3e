"""Helpers of the build tests: read what a build left in Redis, and build small catalogs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import redis
from redisvl.query import VectorQuery

from indexing.build.build_summary import BuildSummary
from indexing.build.index_builder import build_index
from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.index_schema import CONTENT_FIELD
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from tests.conftest import make_settings


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def ft_info(client: redis.Redis, name: str) -> dict[str, Any]:
    return dict(client.ft(name).info())


def vector_fields(info: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """FT.INFO attributes as {name: {KEY: value}} for the vector fields."""
    fields = {}
    for attribute in info["attributes"]:
        pairs = [a.decode() if isinstance(a, bytes) else a for a in attribute]
        spec = {str(k).upper(): v for k, v in zip(pairs[::2], pairs[1::2], strict=False)}
        if str(spec.get("TYPE")).upper() == "VECTOR":
            fields[spec["IDENTIFIER"]] = spec
    return fields


def keys_under(client: redis.Redis, prefix: str, glob: str = "*") -> list[bytes]:
    return list(client.scan_iter(match=f"{prefix}{glob}", count=5000))


def knn_content(
    client: redis.Redis, alias: str, vector: bytes, k: int
) -> list[tuple[str, str, float]]:
    query = VectorQuery(
        vector=np.frombuffer(vector, dtype=np.float32).tolist(),
        vector_field_name=CONTENT_FIELD,
        return_fields=["product_id", "category"],
        num_results=k,
    )
    result = client.ft(alias).search(query.query, query_params=query.params)
    return [(d.product_id, d.category, float(d.vector_distance)) for d in result.docs]


def meta_of(client: redis.Redis, settings: Settings) -> CatalogMeta:
    meta = CatalogMeta.from_redis(client.hgetall(RedisLayout(settings.redis.key_prefix).meta))
    assert meta is not None, "no live version"
    return meta


def small_settings(redis_url: str, **groups: dict[str, Any]) -> Settings:
    """Small vectors: for tests about versions and failures, not about vector quality."""
    small = make_settings(redis_url, catalog={"content_dims": 32}, cf={"dims": 16})
    return small.replace(**groups)


def build(client: redis.Redis, settings: Settings, csvs: tuple[Path, Path]) -> BuildSummary:
    return build_index(client, settings, *csvs, quiet=True)
