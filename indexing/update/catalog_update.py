"""`shoprec reindex`: apply a changed catalog to the live version in place.

Each product hash carries a `content_hash` of what it shows and what its content vector is
made from. The new products.csv is compared with the live hashes: new and changed products
are embedded with the live version's saved content model (same vector space) and written;
removed products are deleted (hash, popularity, histories); unchanged products are not touched.
Changed products keep their CF vectors; new ones get CF vectors at the next full build.
Cached answers of the version are deleted, since any of them may name a removed product or an
old title.

A partial or truncated file would delete the rest of the catalog, so a run that would remove
more than settings.index.max_removed_share of it refuses (TooManyRemovals) before writing;
`upsert` applies a partial file (adds and changes only), `dry_run` only reports the plan.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import redis
from redisvl.index import SearchIndex

from indexing.build.build_lock import build_lock
from indexing.build.catalog_versions import unlink_matching, unlink_on_both
from indexing.build.product_loader import content_hash, load_products, wait_until_indexed
from indexing.build.progress import StageTimer
from indexing.build.version_retirement import drop_expired
from indexing.connection.redis_connection import sync_state_client
from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.load.csv_loader import CsvOptions, LoadReport
from indexing.load.csv_loader import load_products as load_catalog
from indexing.models.content_embedder import product_texts
from indexing.models.content_model_store import load_content_model
from indexing.models.embedder_registry import load_embedder

SCAN_COUNT = 2000
PLAN_IDS_SHOWN = 50  # ids listed per kind of change in a dry run
# A request that read the catalog just before the update can store its answer just after the
# first cache sweep; a second sweep this much later retires those answers too.
IN_FLIGHT_S = 1.0


class NoLiveVersion(RuntimeError):
    def __init__(self) -> None:
        super().__init__("no live catalog version to update; build one first with `shoprec index`")


class TooManyRemovals(ValueError):
    """The file would remove more of the live catalog than allowed; nothing was changed."""


@dataclass(frozen=True)
class ReindexMode:
    """dry_run: report the plan, write nothing. upsert: add and change, remove nothing.
    max_removed_share: None means settings.index.max_removed_share; 1 allows any removal."""

    dry_run: bool = False
    upsert: bool = False
    max_removed_share: float | None = None
    csv: CsvOptions | None = None


@dataclass(frozen=True)
class CatalogDiff:
    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: int


def diff_catalog(live: Mapping[str, str], new: Mapping[str, str]) -> CatalogDiff:
    """Compare product_id -> content_hash maps (the live version's and the new catalog's)."""
    added = [pid for pid in new if pid not in live]
    changed = [pid for pid, h in new.items() if pid in live and live[pid] != h]
    removed = sorted(pid for pid in live if pid not in new)
    unchanged = len(new) - len(added) - len(changed)
    return CatalogDiff(added, changed, removed, unchanged)


@dataclass
class ReindexSummary:
    version: int = 0
    diff: CatalogDiff = field(default_factory=lambda: CatalogDiff([], [], [], 0))
    report: LoadReport | None = None
    cache_keys_retired: int = 0
    dropped_versions: list[int] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    dry_run: bool = False
    refusal: str | None = None  # a dry run's plan that a real run would refuse

    def lines(self) -> list[str]:
        if self.dry_run:
            return self._plan_lines()
        out = [f"updated live version {self.version} in place"]
        if self.report is not None:
            out += self.report.lines()
        d = self.diff
        out += [
            f"added {len(d.added):,}, changed {len(d.changed):,}, removed {len(d.removed):,}, "
            f"unchanged {d.unchanged:,}",
            f"cached answers retired: {self.cache_keys_retired:,}",
            "seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in self.seconds.items()),
        ]
        if self.dropped_versions:
            out.append(f"dropped retired versions: {', '.join(map(str, self.dropped_versions))}")
        return out

    def _plan_lines(self) -> list[str]:
        out = [f"dry run: live version {self.version} is unchanged; the file would"]
        for verb, ids in (("add", self.diff.added), ("change", self.diff.changed)):
            out.append(f"  {verb} {len(ids):,}{_listed(ids)}")
        out.append(f"  remove {len(self.diff.removed):,}{_listed(self.diff.removed)}")
        out.append(f"  leave {self.diff.unchanged:,} unchanged")
        if self.refusal is not None:
            out.append(f"a real run would refuse: {self.refusal}")
        if self.report is not None:
            out += self.report.lines()
        return out


def _listed(ids: list[str]) -> str:
    if not ids:
        return ""
    more = f" and {len(ids) - PLAN_IDS_SHOWN:,} more" if len(ids) > PLAN_IDS_SHOWN else ""
    return ": " + ", ".join(ids[:PLAN_IDS_SHOWN]) + more


def reindex(
    client: redis.Redis,
    settings: Settings,
    products_csv: Path | str,
    quiet: bool = False,
    mode: ReindexMode = ReindexMode(),
) -> ReindexSummary:
    """Apply `products_csv` to the live version, under the build lock (a dry run reads only)."""
    layout = RedisLayout(settings.redis.key_prefix)
    if mode.dry_run:
        return _reindex(client, settings, layout, products_csv, quiet, mode)
    with build_lock(client, layout, "shoprec reindex", settings.index.build_lock_ttl_s):
        return _reindex(client, settings, layout, products_csv, quiet, mode)


def _reindex(
    client: redis.Redis,
    settings: Settings,
    layout: RedisLayout,
    products_csv: Path | str,
    quiet: bool,
    mode: ReindexMode,
) -> ReindexSummary:
    started = time.perf_counter()
    meta = CatalogMeta.from_redis(client.hgetall(layout.meta))  # type: ignore[arg-type]
    if meta is None:
        raise NoLiveVersion()
    version = meta.version
    summary = ReindexSummary(version=version, dry_run=mode.dry_run)
    timer = StageTimer(quiet=True)
    summary.seconds = timer.seconds
    with timer.stage("load csv"):
        catalog = load_catalog(products_csv, mode.csv)
        summary.report = catalog.report
    if catalog.products.empty:
        raise ValueError(
            f"{catalog.report.file}: no valid product rows; refusing to empty the catalog"
        )
    with timer.stage("diff"):
        rows = catalog.products.to_dict("records")
        new = {str(r["product_id"]): content_hash(r) for r in rows}
        live = live_content_hashes(client, layout, version)
        summary.diff = diff_catalog(live, new)
        if mode.upsert:
            summary.diff = replace(summary.diff, removed=[])
    refusal = _removal_refusal(catalog.report.file, summary.diff, len(live), mode, settings)
    if mode.dry_run:
        summary.refusal = refusal
        return summary
    if refusal is not None:
        raise TooManyRemovals(refusal)
    state = sync_state_client(settings, client)  # REDIS_STATE_URL's, else `client`
    grace_s = settings.index.retire_grace_s
    summary.dropped_versions = drop_expired(client, layout, grace_s, state=state)
    upserts = catalog.products[
        catalog.products["product_id"].isin(set(summary.diff.added) | set(summary.diff.changed))
    ].reset_index(drop=True)
    with timer.stage("embed + write"):
        _upsert(client, settings, layout, meta, upserts, quiet)
    with timer.stage("remove"):
        _remove(client, layout, version, summary.diff.removed, state)
    with timer.stage("hnsw wait"):
        wait_until_indexed(client, layout.index_name(version), quiet=quiet)
    products = len(live) + len(summary.diff.added) - len(summary.diff.removed)
    client.hset(layout.meta, mapping={"products": products, "reindexed_at": f"{time.time():.3f}"})
    touched = summary.diff.added or summary.diff.changed or summary.diff.removed
    with timer.stage("retire cache"):
        if touched:  # nothing changed: every cached answer is still right
            summary.cache_keys_retired = retire_cached_answers(client, layout, version, state)
            time.sleep(IN_FLIGHT_S)
            summary.cache_keys_retired += retire_cached_answers(client, layout, version, state)
    summary.seconds["total"] = time.perf_counter() - started
    return summary


def _removal_refusal(
    products_csv: str, diff: CatalogDiff, live: int, mode: ReindexMode, settings: Settings
) -> str | None:
    """Why this run must not remove what it would, or None when the share is allowed."""
    limit = mode.max_removed_share
    limit = settings.index.max_removed_share if limit is None else limit
    share = len(diff.removed) / live if live else 0.0
    if share <= limit:
        return None
    return (
        f"{products_csv}: would remove {len(diff.removed):,} of the {live:,} live products "
        f"({share:.0%}, over the {limit:.0%} limit); nothing was changed. If the file is "
        "partial, apply it with --upsert (adds and changes only); --dry-run lists the "
        "plan; --allow-removals removes them."
    )


def live_content_hashes(client: redis.Redis, layout: RedisLayout, version: int) -> dict[str, str]:
    """product_id -> content_hash of every product of a version (SCAN + pipelined HMGET)."""
    out: dict[str, str] = {}
    keys: list[bytes] = []

    def flush() -> None:
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(key, "product_id", "content_hash")
        for product_id, digest in pipe.execute():
            if product_id is not None:
                out[product_id.decode()] = digest.decode() if digest is not None else ""
        keys.clear()

    for key in client.scan_iter(match=f"{layout.product_prefix(version)}*", count=SCAN_COUNT):
        keys.append(key)
        if len(keys) >= SCAN_COUNT:
            flush()
    if keys:
        flush()
    return out


def _upsert(
    client: redis.Redis,
    settings: Settings,
    layout: RedisLayout,
    meta: CatalogMeta,
    products: pd.DataFrame,
    quiet: bool,
) -> None:
    """Embed new and changed products with the live content model and write them."""
    if products.empty:
        return
    blob = load_content_model(client, layout, meta.version)
    if blob is None:
        raise RuntimeError(
            f"live version {meta.version} has no saved content model; run a full `shoprec index`"
        )
    content = load_embedder(meta.embedder, blob, quiet=quiet).transform(product_texts(products))
    if content.shape[1] != meta.content_dims:
        raise RuntimeError(
            f"the saved content model makes {content.shape[1]}-d vectors but the live index "
            f"holds {meta.content_dims}-d ones; run a full `shoprec index`"
        )
    # Written like a build writes them (HSET: a changed product's CF fields stay in place).
    index = SearchIndex.from_existing(layout.index_name(meta.version), redis_client=client)
    load_products(
        index, layout, meta.version, products, content, None, settings.index.load_batch_size, quiet
    )
    # HSET leaves fields it does not write: a product whose price was emptied loses it here.
    unpriced = products.loc[products["price"].isna(), "product_id"]
    if len(unpriced):
        pipe = client.pipeline(transaction=False)
        for product_id in unpriced:
            pipe.hdel(layout.product(meta.version, str(product_id)), "price")
        pipe.execute()


def _remove(
    client: redis.Redis, layout: RedisLayout, version: int, removed: list[str], state: redis.Redis
) -> None:
    """Delete removed products and take them out of popularity, histories, bought and carted sets
    (on `state`, the user state's Redis), so no answer (popular, CF seeds, hybrid content
    seeds) can bring them back; drop the version's stored query vectors."""
    if not removed:
        return
    pipe = client.pipeline(transaction=False)
    for product_id in removed:
        pipe.delete(layout.product(version, product_id))
    pipe.zrem(layout.popular(version), *removed)
    pipe.execute()
    patterns = (
        (layout.history(version, "*"), "ZREM"),
        (layout.bought(version, "*"), "SREM"),
        (layout.carted(version, "*"), "SREM"),
    )
    for pattern, command in patterns:
        batch = state.pipeline(transaction=False)
        pending = 0
        for key in state.scan_iter(match=pattern, count=SCAN_COUNT):
            batch.execute_command(command, key, *removed)
            pending += 1
            if pending >= SCAN_COUNT:
                batch.execute()
                pending = 0
        if pending:
            batch.execute()
    # A stored query vector may sum a removed product's: every user's is computed per request
    # again (exactly as before) until their next event or the next build writes it anew.
    unlink_matching(state, layout.query_vector(version, "*"))


def retire_cached_answers(
    client: redis.Redis, layout: RedisLayout, version: int, state: redis.Redis | None = None
) -> int:
    """Delete every cached answer of a version (anonymous keys and, on `state` where the user
    state lives elsewhere, the per-user hashes)."""
    return unlink_on_both(client, state, f"{layout.cache_prefix(version)}*")
