"""`shoprec ingest`: events that reached the shop's database by other routes (orders, a CDP)
applied to the live version's user histories, by the rule POST /feedback applies
(indexing.contract.history_update), without a rebuild.

Restart-safe in two parts. The high-water mark (`RedisLayout.ingest_mark`: the newest applied
event's time and the version it went into) is saved after each batch is applied, and the next
read starts at it (ts >= mark, a millisecond earlier for float rounding), so a crash re-reads
at most one batch. Re-read events are recognised: each batch's history updates and the ids of
its events (`RedisLayout.ingest_applied`, user, product, action and ts) are written in one
MULTI/EXEC, so an event is either applied and recorded or neither, and a recorded one is
skipped. The set is pruned below the mark (no later read reaches there) and, being versioned,
goes with its version.

After a rebuild the live version is another: its build read the source's events up to the
build's newest (`history_epoch`), so ingest goes on from there, into the new version. Ingested
events are not appended to the feedback stream: they are in the source already, and the next
build reads them there (appended, it would count them twice and `feedback-sink` copy them
back). Run one ingest per key prefix at a time.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import redis

from indexing.build.progress import Progress
from indexing.connection.redis_connection import sync_state_client
from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.history_update import (
    QueryRefresh,
    QueryRule,
    execute_with_refresh,
    queue_history_update,
)
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.redis_text import as_text
from indexing.contract.settings import Settings
from indexing.contract.tuned_params import served_settings
from indexing.feedback.feedback_export import iso_utc
from indexing.sources.event_rows import EventBatch, SourceEvent, read_events_since
from indexing.sources.postgres_url import PostgresSource

# Reads start this much before the mark: to_timestamp() of a float may round up by a
# microsecond, and events at the mark's own time may be only partly applied.
MARGIN_S = 0.001
UNKNOWN_PRODUCT = "unknown product_id (not in the live catalog)"


class NoLiveCatalog(RuntimeError):
    def __init__(self) -> None:
        super().__init__("no live catalog to apply events to; run `shoprec index` first")


@dataclass(frozen=True)
class IngestMark:
    version: int
    ts: float  # epoch seconds of the newest event applied


@dataclass
class IngestSummary:
    version: int
    since: float
    rows: int = 0
    applied: int = 0
    already_applied: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    mark: float | None = None
    seconds: float = 0.0

    def lines(self) -> list[str]:
        rate = self.rows / self.seconds if self.seconds > 0 else 0.0
        out = [
            f"ingest into version {self.version}: {self.rows:,} rows read from "
            f"{iso_utc(self.since)}, {self.applied:,} applied, {self.already_applied:,} already "
            f"applied before ({self.seconds:.2f} s, {rate:,.0f} rows/s)"
        ]
        out += [f"  skipped {n:,}: {reason}" for reason, n in self.skipped.most_common()]
        if self.mark is not None:
            out.append(f"  mark: {iso_utc(self.mark)} ({self.mark:.3f})")
        return out


def read_mark(client: redis.Redis, layout: RedisLayout) -> IngestMark | None:
    raw: Any = client.hgetall(layout.ingest_mark)
    data = {as_text(k): as_text(v) for k, v in raw.items()}
    if "version" not in data or "ts" not in data:
        return None
    return IngestMark(int(data["version"]), float(data["ts"]))


def save_mark(client: redis.Redis, layout: RedisLayout, mark: IngestMark) -> None:
    """Record the mark, then forget the applied events no read will reach again."""
    client.hset(layout.ingest_mark, mapping={"version": mark.version, "ts": repr(mark.ts)})
    client.zremrangebyscore(layout.ingest_applied(mark.version), "-inf", f"({mark.ts - MARGIN_S}")


def _event_id(event: SourceEvent) -> str:
    return f"{event.user_id}\x1f{event.product_id}\x1f{event.action}\x1f{event.ts:.6f}"


def _start(mark: IngestMark | None, meta: CatalogMeta) -> float:
    """Epoch seconds to read from: the mark, or, in a version the mark is not of, just after
    the build's newest event (the build has everything up to it)."""
    if mark is not None and mark.version == meta.version:
        return mark.ts - MARGIN_S
    return meta.history_epoch + MARGIN_S


def apply_batch(
    client: redis.Redis, settings: Settings, layout: RedisLayout, meta: CatalogMeta,
    batch: EventBatch, summary: IngestSummary, state: redis.Redis | None = None,
) -> None:  # fmt: skip
    """Apply the batch's events not applied before, and record them, in one transaction.

    Where the user state lives on another Redis (REDIS_STATE_URL) the histories are written
    there first (no MULTI: a cluster's transaction holds one slot), then the record and the
    trending counts here: a crash between the two re-applies those events on the next read
    (at least once, as the feedback stream's delivery is)."""
    state = client if state is None else state
    applied_key = layout.ingest_applied(meta.version)
    ids = [_event_id(e) for e in batch.events]
    seen = client.zmscore(applied_key, ids) if ids else []
    fresh = dict(  # event id -> event; a row repeated within the batch is one event
        (i, e) for e, i, score in zip(batch.events, ids, seen, strict=True) if score is None
    )
    summary.already_applied += len(ids) - len(fresh)
    products = sorted({e.product_id for e in fresh.values()})
    check = client.pipeline(transaction=False)
    for product in products:
        check.exists(layout.product(meta.version, product))
    known = {p for p, exists in zip(products, check.execute(), strict=True) if exists}
    # The version's served settings (its tuning may have chosen the history length).
    rule = QueryRule.of(served_settings(settings, meta.params))
    weights = settings.cf.event_weights.as_dict()
    max_interest = settings.abuse.max_user_product_interest
    pipe = client.pipeline(transaction=True)
    users = state.pipeline(transaction=False) if state is not client else pipe
    touched = []
    for event_id, event in fresh.items():
        if event.product_id not in known:  # as POST /feedback: only products of the catalog
            summary.skipped[UNKNOWN_PRODUCT] += 1
            continue
        update = (layout, meta, event, weights, rule.history_items, max_interest, pipe)
        if queue_history_update(users, *update):
            summary.applied += 1
            touched.append(event.user_id)
        pipe.zadd(applied_key, {event_id: event.ts})
        users.delete(layout.user_cache(meta.version, event.user_id))
    refresh = QueryRefresh(layout, meta.version, rule)
    execute_with_refresh(state, client, users, refresh, touched)
    if users is not pipe:
        pipe.execute()


def ingest_once(
    client: redis.Redis, settings: Settings, source: PostgresSource, quiet: bool = True
) -> IngestSummary:
    """Read the events after the mark, apply them batch by batch, saving the mark after each."""
    started = time.perf_counter()
    layout = RedisLayout(settings.redis.key_prefix)
    meta = CatalogMeta.from_redis(client.hgetall(layout.meta))  # type: ignore[arg-type]
    if meta is None:
        raise NoLiveCatalog()
    since = _start(read_mark(client, layout), meta)
    state = sync_state_client(settings, client)  # the histories: REDIS_STATE_URL's, or here
    summary = IngestSummary(meta.version, since)
    progress = Progress("events ingested", None, quiet=quiet)
    for batch in read_events_since(source, since, settings.postgres.batch_size):
        summary.rows += batch.rows
        summary.skipped.update(batch.skipped)
        apply_batch(client, settings, layout, meta, batch, summary, state)
        if batch.newest_ts is not None:
            save_mark(client, layout, IngestMark(meta.version, batch.newest_ts))
            summary.mark = batch.newest_ts
        progress.advance(batch.rows)
    if summary.rows:
        progress.finish()
    summary.seconds = time.perf_counter() - started
    return summary
