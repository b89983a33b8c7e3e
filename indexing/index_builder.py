"""`shoprec index`: a full build of a new catalog version, then the switch to it.

Stages: load and validate the CSVs -> content vectors -> CF vectors -> write the new version
(products, histories, popularity, content model) -> wait for HNSW -> publish (alias + meta)
-> drop older versions. If anything fails before publish, the new version's keys are removed
and the live version keeps serving.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import redis

from indexing.catalog_meta import CatalogMeta
from indexing.cf_model import CFVectors, fit_cf_vectors
from indexing.content_embedder import TfidfSvdEmbedder, product_texts
from indexing.csv_loader import Catalog, Interactions, LoadReport, load_interactions, load_products
from indexing.history_writer import write_histories, write_popularity
from indexing.index_schema import HnswParams, product_schema, vector_algorithm
from indexing.index_writer import (
    create_index,
    drop_version,
    next_version,
    publish,
    store_content_model,
    versions_present,
    wait_until_indexed,
)
from indexing.index_writer import (
    load_products as load_product_hashes,
)
from indexing.interaction_matrix import build_interaction_matrix
from indexing.redis_layout import RedisLayout
from indexing.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class BuildSummary:
    version: int = 0
    products: int = 0
    users: int = 0
    events: int = 0
    cf_items: int = 0
    products_without_cf: int = 0
    content_dims: int = 0
    cf_dims: int = 0
    embedder: str = ""
    cf_model: str = ""
    history_epoch: float = 0.0  # newest event's time; see indexing.event_decay
    reports: list[LoadReport] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    dropped_versions: list[int] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"built version {self.version} and made it live"]
        for report in self.reports:
            out += report.lines()
        out += [
            f"products indexed: {self.products:,}",
            f"users with history: {self.users:,} ({self.events:,} events)",
            f"content vectors: {self.products:,} x {self.content_dims} ({self.embedder})",
            f"CF vectors: {self.cf_items:,} x {self.cf_dims} ({self.cf_model}); "
            f"{self.products_without_cf:,} products have no interactions and no CF vector",
            "seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in self.seconds.items()),
        ]
        if self.dropped_versions:
            out.append(f"dropped old versions: {', '.join(map(str, self.dropped_versions))}")
        return out


@contextmanager
def _stage(summary: BuildSummary, name: str, quiet: bool) -> Iterator[None]:
    if not quiet:
        print(f"- {name} ...", flush=True)
    started = time.perf_counter()
    yield
    summary.seconds[name] = time.perf_counter() - started


def build_index(
    client: redis.Redis,
    settings: Settings,
    products_csv: Path,
    interactions_csv: Path,
    quiet: bool = False,
) -> BuildSummary:
    layout = RedisLayout(settings.key_prefix)
    summary = BuildSummary()
    total_started = time.perf_counter()
    with _stage(summary, "load csv", quiet):
        catalog = load_products(products_csv)
        interactions = load_interactions(
            interactions_csv, catalog.product_ids, settings.event_weights
        )
        summary.reports = [catalog.report, interactions.report]
    if catalog.products.empty:
        raise ValueError(f"{products_csv}: no valid product rows; nothing to index")

    with _stage(summary, "content vectors", quiet):
        embedder = TfidfSvdEmbedder(dims=settings.content_dims)
        content = embedder.fit_transform(product_texts(catalog.products))
    with _stage(summary, "cf vectors", quiet):
        cf = _fit_cf(interactions, settings)

    version = next_version(client, layout)
    summary.version = version
    try:
        with _stage(summary, "redis load", quiet):
            _write_version(
                client,
                settings,
                layout,
                version,
                catalog,
                interactions,
                content,
                cf,
                embedder,
                summary,
                quiet,
            )
        with _stage(summary, "hnsw wait", quiet):
            wait_until_indexed(client, layout.index_name(version), quiet=quiet)
        publish(client, layout, _meta(settings, version, summary, interactions, embedder.name))
    except BaseException:
        log.warning("build of version %d failed; removing its keys", version)
        drop_version(client, layout, version)
        raise

    with _stage(summary, "drop old versions", quiet):
        for old in versions_present(client, layout):
            if old != version:
                drop_version(client, layout, old)
                summary.dropped_versions.append(old)
    summary.seconds["total"] = time.perf_counter() - total_started
    return summary


def _fit_cf(interactions: Interactions, settings: Settings) -> CFVectors | None:
    if interactions.events.empty:
        return None
    matrix = build_interaction_matrix(interactions.events, settings.half_life_days)
    return fit_cf_vectors(
        matrix,
        dims=settings.cf_dims,
        model=settings.cf_model,
        ease_lambda=settings.cf_ease_lambda,
        ease_max_items=settings.cf_ease_max_items,
    )


def _write_version(
    client: redis.Redis,
    settings: Settings,
    layout: RedisLayout,
    version: int,
    catalog: Catalog,
    interactions: Interactions,
    content: np.ndarray,
    cf: CFVectors | None,
    embedder: TfidfSvdEmbedder,
    summary: BuildSummary,
    quiet: bool,
) -> None:
    cf_dims = cf.dims if cf is not None else 1
    hnsw = HnswParams(settings.hnsw_m, settings.hnsw_ef_construction, settings.hnsw_ef_runtime)
    algorithm = vector_algorithm(len(catalog.products), settings.flat_max_products)
    schema = product_schema(layout, version, content.shape[1], cf_dims, hnsw, algorithm)
    index = create_index(client, schema)
    load_product_hashes(
        index, layout, version, catalog.products, content, cf, settings.load_batch_size, quiet=quiet
    )
    store_content_model(client, layout, version, embedder.to_bytes())
    events = interactions.events
    epoch = float(events["ts"].max()) if len(events) else time.time()
    summary.users = write_histories(
        client,
        layout,
        version,
        events,
        epoch,
        settings.half_life_days,
        settings.history_max_items,
        quiet=quiet,
    )
    write_popularity(
        client, layout, version, events, epoch, settings.half_life_days, settings.popular_max_items
    )
    if events.empty:  # no events at all: cold start falls back to catalog order
        first = catalog.product_ids[: settings.popular_max_items]
        client.zadd(layout.popular(version), dict.fromkeys(first, 0.0))
    summary.products = len(catalog.products)
    summary.events = len(events)
    summary.content_dims = int(content.shape[1])
    summary.embedder = embedder.name
    summary.cf_items = len(cf.item_ids) if cf is not None else 0
    summary.cf_dims = cf.dims if cf is not None else 0
    summary.cf_model = cf.model if cf is not None else "none"
    summary.products_without_cf = summary.products - summary.cf_items
    summary.history_epoch = epoch


def _meta(
    settings: Settings,
    version: int,
    summary: BuildSummary,
    interactions: Interactions,
    embedder_name: str,
) -> CatalogMeta:
    return CatalogMeta(
        version=version,
        built_at=time.time(),
        products=summary.products,
        cf_items=summary.cf_items,
        users=summary.users,
        embedder=embedder_name,
        content_dims=summary.content_dims,
        cf_dims=summary.cf_dims,
        cf_model=summary.cf_model,
        history_epoch=summary.history_epoch,
        half_life_days=settings.half_life_days,
        params={
            "hnsw_m": settings.hnsw_m,
            "hnsw_ef_construction": settings.hnsw_ef_construction,
            "hnsw_ef_runtime": settings.hnsw_ef_runtime,
            "vector_algorithm": vector_algorithm(summary.products, settings.flat_max_products),
            "event_weights": settings.event_weights.as_dict(),
            "cf_ease_lambda": settings.cf_ease_lambda,
            "events": len(interactions.events),
        },
    )
