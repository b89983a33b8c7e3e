"""`shoprec index`: a full build of a new catalog version, then the switch to it.

Stages: load and validate the CSVs -> content vectors -> CF vectors -> write the new version
(products, histories, popularity, content model) -> wait for HNSW -> publish (alias + meta)
-> drop older versions. If anything fails before publish, the new version's keys are removed
and the live version keeps serving.

Catalog updates (see version_retirement and build_lock): a build holds the build lock, so a
second one is refused; it first drops what a killed build left behind; it folds the feedback
stream into the interactions; the version it replaces is kept for settings.index.retire_grace_s so
running service workers can follow the swap, then dropped.
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

from indexing.build.build_lock import build_lock
from indexing.build.history_writer import write_histories, write_popularity
from indexing.build.index_writer import (
    create_index,
    drop_version,
    live_version,
    next_version,
    publish,
    store_content_model,
    versions_present,
    wait_until_indexed,
)
from indexing.build.index_writer import (
    load_products as load_product_hashes,
)
from indexing.build.version_retirement import drop_expired, drop_leftovers, seconds_until_expired
from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.index_schema import HnswParams, product_schema, vector_algorithm
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.feedback.feedback_log import (
    NO_ENTRY,
    feedback_events,
    fold_feedback,
    last_entry_id,
    read_entries,
)
from indexing.feedback.feedback_replay import replay_feedback
from indexing.load.csv_loader import (
    Catalog,
    CsvFormatError,
    Interactions,
    LoadReport,
    load_interactions,
    load_products,
)
from indexing.models.cf_model import CFVectors, fit_cf_vectors
from indexing.models.content_embedder import ContentEmbedder, product_texts
from indexing.models.embedder_registry import make_embedder
from indexing.models.interaction_matrix import build_interaction_matrix

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
    embedder_model: str = ""  # e.g. "all-MiniLM-L6-v2"; kept in meta params
    cf_model: str = ""
    history_epoch: float = 0.0  # newest event's time; see indexing.contract.event_decay
    reports: list[LoadReport] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    dropped_versions: list[int] = field(default_factory=list)
    cleaned_versions: list[int] = field(default_factory=list)  # leftovers of killed builds
    kept_versions: list[int] = field(default_factory=list)  # retired, inside the grace period
    feedback_stream_id: str = NO_ENTRY
    feedback_replayed: int = 0

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
        if self.cleaned_versions:
            cleaned = ", ".join(map(str, self.cleaned_versions))
            out.append(f"cleaned up versions left by killed builds: {cleaned}")
        if self.kept_versions:
            kept = ", ".join(map(str, self.kept_versions))
            out.append(
                f"replaced versions kept for the grace period: {kept} (the next build drops)"
            )
        out.append(
            f"feedback stream folded up to entry {self.feedback_stream_id}; "
            f"{self.feedback_replayed} events recorded during the build replayed after the swap"
        )
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
    wait_for_grace: bool = True,
    with_feedback: bool = True,
) -> BuildSummary:
    """Build, publish and retire under the build lock (BuildInProgress if it is taken).

    wait_for_grace: wait settings.index.retire_grace_s after the swap, then drop the replaced
    version (else the next build or reindex drops it). with_feedback: fold the feedback stream
    into the interactions."""
    layout = RedisLayout(settings.redis.key_prefix)
    embedder = make_embedder(
        settings.catalog.embedder, settings, quiet=quiet
    )  # fails before any work
    summary = BuildSummary()
    total_started = time.perf_counter()
    # The files are read before Redis is touched: a bad file is reported even with Redis down.
    with _stage(summary, "load csv", quiet):
        catalog = load_products(products_csv)
        interactions = load_interactions(
            interactions_csv, catalog.product_ids, settings.cf.event_weights
        )
        summary.reports = [catalog.report, interactions.report]
    if catalog.products.empty:
        raise CsvFormatError(f"{products_csv}: no valid product rows; nothing to index")
    with build_lock(client, layout, "shoprec index", settings.index.build_lock_ttl_s):
        _build(
            client,
            settings,
            layout,
            _BuildInput(catalog, interactions, embedder, with_feedback),
            summary,
            quiet,
            wait_for_grace,
        )
    summary.seconds["total"] = time.perf_counter() - total_started
    return summary


@dataclass
class _BuildInput:
    catalog: Catalog
    interactions: Interactions
    embedder: ContentEmbedder
    with_feedback: bool


def _build(
    client: redis.Redis,
    settings: Settings,
    layout: RedisLayout,
    given: _BuildInput,
    summary: BuildSummary,
    quiet: bool,
    wait_for_grace: bool,
) -> None:
    catalog, interactions, embedder = given.catalog, given.interactions, given.embedder
    summary.cleaned_versions = drop_leftovers(client, layout)
    summary.dropped_versions = drop_expired(client, layout, settings.index.retire_grace_s)
    # Feedback up to here goes into this build; later entries are replayed after the swap.
    summary.feedback_stream_id = last_entry_id(client, layout)
    if given.with_feedback:
        with _stage(summary, "fold feedback", quiet):
            interactions = _with_feedback(client, layout, settings, catalog, interactions, summary)

    with _stage(summary, "content vectors", quiet):
        content = embedder.fit_transform(product_texts(catalog.products))
    with _stage(summary, "cf vectors", quiet):
        cf = _fit_cf(interactions, settings)

    version = next_version(client, layout)
    summary.version = version
    previous = live_version(client, layout)
    meta: CatalogMeta | None = None
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
        meta = _meta(settings, version, summary, interactions, embedder.name)
        publish(client, layout, meta, retire=previous)
    except BaseException:
        log.warning("build of version %d failed; removing its keys", version)
        drop_version(client, layout, version)
        raise

    assert meta is not None  # publish ran
    replay = (settings.cf.event_weights, settings.cf.history_max_items)
    summary.feedback_replayed, replayed_to = replay_feedback(
        client, layout, meta, summary.feedback_stream_id, *replay
    )
    if wait_for_grace and previous is not None:
        with _stage(summary, "grace wait", quiet=True):
            _wait_for_grace(client, layout, settings, previous, quiet)
            # Workers still on the old version until they noticed the swap wrote feedback there.
            more, _ = replay_feedback(client, layout, meta, replayed_to, *replay)
            summary.feedback_replayed += more
    with _stage(summary, "drop old versions", quiet):
        summary.dropped_versions += drop_expired(client, layout, settings.index.retire_grace_s)
        gone = (version, *summary.dropped_versions)
        summary.kept_versions = [v for v in versions_present(client, layout) if v not in gone]


def _wait_for_grace(
    client: redis.Redis, layout: RedisLayout, settings: Settings, previous: int, quiet: bool
) -> None:
    wait_s = seconds_until_expired(client, layout, settings.index.retire_grace_s)
    if wait_s > 0 and not quiet:
        print(
            f"- waiting {wait_s:.0f} s (grace period) so running workers leave version "
            f"{previous} before it is dropped (Ctrl-C is safe: the next build drops it)",
            flush=True,
        )
    time.sleep(wait_s)


def _with_feedback(
    client: redis.Redis,
    layout: RedisLayout,
    settings: Settings,
    catalog: Catalog,
    interactions: Interactions,
    summary: BuildSummary,
) -> Interactions:
    """The CSV's events plus the feedback stream's, up to the entry seen at build start."""
    if summary.feedback_stream_id == NO_ENTRY:
        return interactions
    entries = read_entries(client, layout, until=summary.feedback_stream_id)
    events, dismissals, report = feedback_events(
        entries, catalog.product_ids, settings.cf.event_weights
    )
    summary.reports.append(report)
    return Interactions(fold_feedback(interactions.events, events, dismissals), interactions.report)


def _fit_cf(interactions: Interactions, settings: Settings) -> CFVectors | None:
    if interactions.events.empty:
        return None
    matrix = build_interaction_matrix(
        interactions.events, settings.cf.half_life_days, values=settings.cf.matrix_values
    )
    return fit_cf_vectors(
        matrix,
        dims=settings.cf.dims,
        model=settings.cf.model,
        ease_lambda=settings.cf.ease_lambda,
        ease_max_items=settings.cf.ease_max_items,
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
    embedder: ContentEmbedder,
    summary: BuildSummary,
    quiet: bool,
) -> None:
    cf_dims = cf.dims if cf is not None else 1
    hnsw = HnswParams(
        settings.index.hnsw_m, settings.index.hnsw_ef_construction, settings.index.hnsw_ef_runtime
    )
    algorithm = vector_algorithm(len(catalog.products), settings.index.flat_max_products)
    schema = product_schema(layout, version, content.shape[1], cf_dims, hnsw, algorithm)
    index = create_index(client, schema)
    load_product_hashes(
        index,
        layout,
        version,
        catalog.products,
        content,
        cf,
        settings.index.load_batch_size,
        quiet=quiet,
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
        settings.cf.half_life_days,
        settings.cf.history_max_items,
        quiet=quiet,
    )
    write_popularity(
        client,
        layout,
        version,
        events,
        epoch,
        settings.cf.half_life_days,
        settings.cf.popular_max_items,
    )
    if events.empty:  # no events at all: cold start falls back to catalog order
        first = catalog.product_ids[: settings.cf.popular_max_items]
        client.zadd(layout.popular(version), dict.fromkeys(first, 0.0))
    summary.products = len(catalog.products)
    summary.events = len(events)
    summary.content_dims = int(content.shape[1])
    summary.embedder = embedder.name
    summary.embedder_model = embedder.model_name
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
        half_life_days=settings.cf.half_life_days,
        params={
            "hnsw_m": settings.index.hnsw_m,
            "hnsw_ef_construction": settings.index.hnsw_ef_construction,
            "hnsw_ef_runtime": settings.index.hnsw_ef_runtime,
            "vector_algorithm": vector_algorithm(
                summary.products, settings.index.flat_max_products
            ),
            "event_weights": settings.cf.event_weights.as_dict(),
            "cf_ease_lambda": settings.cf.ease_lambda,
            "events": len(interactions.events),
            "embedder_model": summary.embedder_model,
        },
        feedback_stream_id=summary.feedback_stream_id,
    )
