"""The product index schema: product_index.yaml with a version's names and sizes filled in."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from redisvl.schema import IndexSchema

from indexing.contract.redis_layout import RedisLayout

SCHEMA_FILE = Path(__file__).with_name("product_index.yaml")
CONTENT_FIELD = "content_vector"
CF_FIELD = "cf_vector"
CF_QUERY_FIELD = "cf_query"
# What every recommendation carries beside its id and score (a frontend draws its card from
# them), in this order: read with the KNN hits (RETURN) or in one HGET per field.
CARD_FIELDS = ("title", "category", "price", "img_url")
RETURN_FIELDS = ("product_id", *CARD_FIELDS)
# How a product's several categories are joined in its hash: the `separator` of the category
# TAG field in product_index.yaml, so `@category:{Music}` matches "Books|Music". Fixed (not the
# CSV's SHOPREC_CATEGORY_SEPARATOR), so readers never need to know how a file was written.
CATEGORY_SEPARATOR = "|"


@dataclass(frozen=True)
class HnswParams:
    m: int
    ef_construction: int
    ef_runtime: int


@lru_cache(maxsize=1)
def _template() -> dict[str, Any]:
    return yaml.safe_load(SCHEMA_FILE.read_text())


def vector_algorithm(products: int, flat_max_products: int) -> str:
    """ "flat" (exact) for catalogues up to `flat_max_products`, else "hnsw"."""
    return "flat" if products <= flat_max_products else "hnsw"


def product_schema(
    layout: RedisLayout,
    version: int,
    content_dims: int,
    cf_dims: int,
    hnsw: HnswParams,
    algorithm: str = "hnsw",
) -> IndexSchema:
    spec = copy.deepcopy(_template())
    spec["index"]["name"] = layout.index_name(version)
    spec["index"]["prefix"] = layout.product_prefix(version)
    dims = {CONTENT_FIELD: content_dims, CF_FIELD: cf_dims}
    for field in spec["fields"]:
        if field["type"] == "vector" and algorithm == "flat":
            for name in ("m", "ef_construction", "ef_runtime"):
                field["attrs"].pop(name, None)
            field["attrs"].update(algorithm="flat", dims=dims[field["name"]])
        elif field["type"] == "vector":
            field["attrs"].update(
                dims=dims[field["name"]],
                m=hnsw.m,
                ef_construction=hnsw.ef_construction,
                ef_runtime=hnsw.ef_runtime,
            )
    return IndexSchema.from_dict(spec)
