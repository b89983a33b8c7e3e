"""`shoprec index`: a full build of a new catalog version, then the switch to it.

Stages: load and validate the CSVs -> content vectors -> CF vectors -> write the new version
(products, histories, popularity, content model) -> wait for HNSW -> publish (alias + meta)
-> drop older versions. If anything fails before publish, the new version's keys are removed
and the live version keeps serving.

Catalog updates (see version_retirement and build_lock): a build holds the build lock, so a
second one is refused; it first drops what a killed build left behind; it folds the feedback
stream into the interactions; the version it replaces is kept for settings.index.retire_grace_s
so running service workers can follow the swap, then dropped.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import redis

from indexing.build.build_lock import build_lock
from indexing.build.build_summary import BuildSummary, VersionCleanup
from indexing.build.catalog_versions import (
    drop_version,
    live_version,
    next_version,
    publish,
    versions_present,
)
from indexing.build.history_writer import (
    BuildQueries,
    interest_frame,
    write_histories,
    write_popularity,
)
from indexing.build.product_loader import create_index, load_products, wait_until_indexed
from indexing.build.progress import StageTimer
from indexing.build.trending_seed import seed_trending
from indexing.build.version_retirement import drop_expired, drop_leftovers, seconds_until_expired
from indexing.connection.redis_connection import sync_state_client
from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.history_update import QueryRule
from indexing.contract.index_schema import HnswParams, product_schema, vector_algorithm
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.feedback.feedback_log import (
    NO_ENTRY,
    feedback_events,
    fold_feedback,
    last_entry_id,
    parse_positions,
    read_entries,
)
from indexing.feedback.feedback_replay import replay_feedback
from indexing.load.csv_file import CsvFormatError
from indexing.load.csv_loader import (
    Catalog,
    CsvOptions,
    Interactions,
    LoadReport,
    check_dropped_share,
    load_interactions,
)
from indexing.load.csv_loader import load_products as load_catalog
from indexing.models.cf_model import CFVectors, fit_cf_vectors
from indexing.models.content_embedder import ContentEmbedder, product_texts
from indexing.models.content_model_store import store_content_model
from indexing.models.embedder_registry import make_embedder
from indexing.models.interaction_matrix import build_interaction_matrix
from indexing.rerank.model_store import store_model
from indexing.rerank.trainer import RerankResult, train_reranker
from indexing.tuning.tuner import TuningResult, tune

log = logging.getLogger(__name__)


def build_index(
    client: redis.Redis,
    settings: Settings,
    products_csv: Path | str,
    interactions_csv: Path | str,
    quiet: bool = False,
    wait_for_grace: bool = True,
    with_feedback: bool = True,
    csv_options: CsvOptions | None = None,
    max_dropped_share: float | None = None,
) -> BuildSummary:
    """Build, publish and retire under the build lock (BuildInProgress if it is taken).
    The two sources are CSV paths or PostgreSQL URLs (indexing.load.row_source).

    wait_for_grace: wait settings.index.retire_grace_s after the swap, then drop the replaced
    version (else the next build or reindex drops it). with_feedback: fold the feedback stream
    into the interactions. max_dropped_share (default settings.catalog.max_dropped_share; 1
    allows any): a file losing more of its rows raises TooManyDroppedRows before any write."""
    embedder = make_embedder(settings.catalog.embedder, settings, quiet=quiet)  # before any work
    timer = StageTimer(quiet)
    # The files are read before Redis is touched: a bad file is reported even with Redis down.
    with timer.stage("load csv"):
        catalog = load_catalog(products_csv, csv_options)
        interactions = load_interactions(
            interactions_csv, catalog.product_ids, settings.cf.event_weights, csv_options
        )
    if catalog.products.empty:
        reasons = "; ".join(catalog.report.top_reasons(3)) or "the file has a header only"
        raise CsvFormatError(
            f"{catalog.report.file}: no valid product rows ({reasons}); nothing to index"
        )
    limit = settings.catalog.max_dropped_share if max_dropped_share is None else max_dropped_share
    for report in (catalog.report, interactions.report):
        check_dropped_share(report, limit)
    build = _Build(client, settings, RedisLayout(settings.redis.key_prefix), timer)
    with build_lock(client, build.layout, "shoprec index", settings.index.build_lock_ttl_s):
        return build.run(
            _BuildInput(catalog, interactions, embedder, with_feedback), wait_for_grace
        )


@dataclass(frozen=True)
class _BuildInput:
    catalog: Catalog
    interactions: Interactions
    embedder: ContentEmbedder
    with_feedback: bool


@dataclass(frozen=True)
class _Vectors:
    content: np.ndarray
    cf: CFVectors | None


@dataclass(frozen=True)
class _UsersWritten:
    users: int
    history_epoch: float  # the newest event's time; see indexing.contract.event_decay


class _Build:
    """One build under the lock: what every stage needs to reach Redis and time itself."""

    def __init__(
        self, client: redis.Redis, settings: Settings, layout: RedisLayout, timer: StageTimer
    ):
        self.client, self.settings, self.layout, self.timer = client, settings, layout, timer
        # Histories, bought and carted sets, the stream: REDIS_STATE_URL's, else `client`.
        self.state = sync_state_client(settings, client)
        self.tuning = TuningResult(None, "not run")
        self.rerank = RerankResult(False, "not trained")

    def run(self, given: _BuildInput, wait_for_grace: bool) -> BuildSummary:
        started = time.perf_counter() - sum(self.timer.seconds.values())
        cleaned = drop_leftovers(self.client, self.layout, self.state)
        dropped = self._drop_expired()
        # Feedback up to here goes into this build; later entries are replayed after the swap.
        streams = self.settings.redis.feedback_streams
        stream_id = last_entry_id(self.state, self.layout, streams)
        reports = [given.catalog.report, given.interactions.report]
        interactions = given.interactions
        if given.with_feedback and any(p != NO_ENTRY for p in parse_positions(stream_id, streams)):
            with self.timer.stage("fold feedback"):
                interactions, feedback_report = self._fold_feedback(given, stream_id)
                reports.append(feedback_report)
        with self.timer.stage("content vectors"):
            content = given.embedder.fit_transform(product_texts(given.catalog.products))
        # Index-time tuning (issue 16): every later stage builds with the chosen settings.
        with self.timer.stage("tune"):
            self.tuning = tune(
                interactions.events, given.catalog.product_ids, content, self.settings
            )
            self.settings = self.tuning.settings(self.settings)
        # The learned re-ranker (issue 16), trained on the tuning's validation split.
        with self.timer.stage("rerank"):
            self.rerank = train_reranker(self.tuning, given.catalog.products, self.settings)
            self.tuning = dataclasses.replace(self.tuning, scorer=None)  # its fits: memory
        with self.timer.stage("cf vectors"):
            vectors = _Vectors(content, self._fit_cf(interactions))
        previous = live_version(self.client, self.layout)
        meta = self._write_and_publish(given, interactions, vectors, stream_id, previous)
        replayed = self._replay_and_retire(meta, previous, wait_for_grace)
        with self.timer.stage("drop old versions"):
            dropped += self._drop_expired()
            gone = (meta.version, *dropped)
            kept = [v for v in versions_present(self.client, self.layout) if v not in gone]
        self.timer.seconds["total"] = time.perf_counter() - started
        return BuildSummary(
            meta=meta,
            reports=tuple(reports),
            seconds=self.timer.seconds,
            versions=VersionCleanup(tuple(cleaned), tuple(dropped), tuple(kept)),
            feedback_replayed=replayed,
        )

    def _drop_expired(self) -> list[int]:
        grace_s = self.settings.index.retire_grace_s
        return drop_expired(self.client, self.layout, grace_s, state=self.state)

    def _fold_feedback(self, given: _BuildInput, stream_id: str) -> tuple[Interactions, LoadReport]:
        """The CSV's events plus the feedback stream's, up to the entry seen at build start."""
        streams = self.settings.redis.feedback_streams
        entries = read_entries(self.state, self.layout, until=stream_id, count=streams)
        events, dismissals, report = feedback_events(
            entries, given.catalog.product_ids, self.settings.cf.event_weights
        )
        folded = fold_feedback(given.interactions.events, events, dismissals)
        return Interactions(folded, given.interactions.report), report

    def _fit_cf(self, interactions: Interactions) -> CFVectors | None:
        if interactions.events.empty:
            return None
        cf = self.settings.cf
        matrix = build_interaction_matrix(
            interactions.events, cf.half_life_days, values=cf.matrix_values
        )
        return fit_cf_vectors(
            matrix,
            dims=cf.dims,
            model=cf.model,
            ease_lambda=cf.ease_lambda,
            ease_max_items=cf.ease_max_items,
        )

    def _write_and_publish(
        self,
        given: _BuildInput,
        interactions: Interactions,
        vectors: _Vectors,
        stream_id: str,
        previous: int | None,
    ) -> CatalogMeta:
        """Write the new version beside the live one and switch to it; on any failure remove
        what was written, so the live version keeps serving."""
        version = next_version(self.client, self.layout)
        try:
            with self.timer.stage("redis load"):
                self._write_products(version, given, vectors)
                users = self._write_users(version, given.catalog, interactions, vectors.cf)
            with self.timer.stage("hnsw wait"):
                wait_until_indexed(
                    self.client, self.layout.index_name(version), quiet=self.timer.quiet
                )
            meta = self._meta(version, given, interactions, vectors, users, stream_id)
            publish(self.client, self.layout, meta, retire=previous)
        except BaseException:
            log.warning("build of version %d failed; removing its keys", version)
            drop_version(self.client, self.layout, version, self.state)
            raise
        return meta

    def _write_products(self, version: int, given: _BuildInput, vectors: _Vectors) -> None:
        index = self.settings.index
        cf_dims = vectors.cf.dims if vectors.cf is not None else 1
        hnsw = HnswParams(index.hnsw_m, index.hnsw_ef_construction, index.hnsw_ef_runtime)
        algorithm = vector_algorithm(len(given.catalog.products), index.flat_max_products)
        content_dims = vectors.content.shape[1]
        schema = product_schema(self.layout, version, content_dims, cf_dims, hnsw, algorithm)
        load_products(
            create_index(self.client, schema),
            self.layout,
            version,
            given.catalog.products,
            vectors.content,
            vectors.cf,
            index.load_batch_size,
            quiet=self.timer.quiet,
        )
        store_content_model(self.client, self.layout, version, given.embedder.to_bytes())
        if self.rerank.model_text is not None:
            store_model(self.client, self.layout, version, self.rerank.model_text)

    def _write_users(
        self,
        version: int,
        catalog: Catalog,
        interactions: Interactions,
        cf_vectors: CFVectors | None,
    ) -> _UsersWritten:
        """Histories, bought sets, query vectors and the popularity ranking."""
        cf, events = self.settings.cf, interactions.events
        epoch = float(events["ts"].max()) if len(events) else time.time()
        interest = interest_frame(events, epoch, cf.half_life_days)
        abuse = self.settings.abuse
        users = write_histories(
            self.state,
            self.layout,
            version,
            interest,
            cf.history_max_items,
            abuse.max_user_product_interest,
            quiet=self.timer.quiet,
            queries=BuildQueries(cf_vectors, QueryRule.of(self.settings)) if cf_vectors else None,
        )
        popular = write_popularity(
            self.client,
            self.layout,
            version,
            interest,
            cf.popular_max_items,
            abuse.max_user_product_popularity,
        )
        seed_trending(self.client, self.layout, version, events)
        if not popular:  # no events at all: cold start falls back to catalog order
            first = catalog.product_ids[: cf.popular_max_items]
            self.client.zadd(self.layout.popular(version), dict.fromkeys(first, 0.0))
        return _UsersWritten(users, epoch)

    def _meta(
        self,
        version: int,
        given: _BuildInput,
        interactions: Interactions,
        vectors: _Vectors,
        users: _UsersWritten,
        stream_id: str,
    ) -> CatalogMeta:
        settings, cf = self.settings, vectors.cf
        products = len(given.catalog.products)
        return CatalogMeta(
            version=version,
            built_at=time.time(),
            products=products,
            cf_items=len(cf.item_ids) if cf is not None else 0,
            users=users.users,
            embedder=given.embedder.name,
            content_dims=int(vectors.content.shape[1]),
            cf_dims=cf.dims if cf is not None else 0,
            cf_model=cf.model if cf is not None else "none",
            history_epoch=users.history_epoch,
            half_life_days=settings.cf.half_life_days,
            params={
                "hnsw_m": settings.index.hnsw_m,
                "hnsw_ef_construction": settings.index.hnsw_ef_construction,
                "hnsw_ef_runtime": settings.index.hnsw_ef_runtime,
                "vector_algorithm": vector_algorithm(products, settings.index.flat_max_products),
                "event_weights": settings.cf.event_weights.as_dict(),
                "cf_ease_lambda": settings.cf.ease_lambda,
                "events": len(interactions.events),
                "embedder_model": given.embedder.model_name,
                "tuning": self.tuning.as_meta(),
                "rerank": self.rerank.as_meta(),
            },
            feedback_stream_id=stream_id,
        )

    def _replay_and_retire(
        self, meta: CatalogMeta, previous: int | None, wait_for_grace: bool
    ) -> int:
        """Replay the feedback recorded during the build into the new version; with
        wait_for_grace, wait out the grace period and replay what workers still on the old
        version wrote meanwhile. Returns the entries replayed."""
        cf = self.settings.cf
        abuse = self.settings.abuse
        replay = (cf.event_weights, QueryRule.of(self.settings), abuse.max_user_product_interest)
        streams = self.settings.redis.feedback_streams
        replayed, replayed_to = replay_feedback(
            self.client,
            self.layout,
            meta,
            meta.feedback_stream_id,
            *replay,
            state=self.state,
            streams=streams,
        )
        if wait_for_grace and previous is not None:
            with self.timer.stage("grace wait", announce=False):
                self._wait_for_grace(previous)
                more, _ = replay_feedback(
                    self.client,
                    self.layout,
                    meta,
                    replayed_to,
                    *replay,
                    state=self.state,
                    streams=streams,
                )
                replayed += more
        return replayed

    def _wait_for_grace(self, previous: int) -> None:
        grace_s = self.settings.index.retire_grace_s
        wait_s = seconds_until_expired(self.client, self.layout, grace_s)
        if wait_s > 0 and not self.timer.quiet:
            print(
                f"- waiting {wait_s:.0f} s (grace period) so running workers leave version "
                f"{previous} before it is dropped (Ctrl-C is safe: the next build drops it)",
                flush=True,
            )
        time.sleep(wait_s)
