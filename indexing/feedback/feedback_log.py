"""Reading the feedback stream (`{prefix}:feedback`) as interaction events.

The service appends every acknowledged POST /feedback to the stream
(service.feedback.feedback_recorder); a full build folds the stream into its interactions so
feedback outlives the version it was
applied to, and `shoprec export-feedback` writes it out in the interactions CSV format.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import redis

from indexing.contract.event_types import DISMISS
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.redis_text import as_text
from indexing.contract.settings import EventWeights
from indexing.load.csv_loader import LoadReport

STREAM_BATCH = 10_000
NO_ENTRY = "0-0"


@dataclass(frozen=True)
class FeedbackEntry:
    entry_id: str
    user_id: str
    product_id: str
    action: str  # view, click, add_to_cart, purchase or dismiss
    ts: float  # epoch seconds
    version: int | None  # the catalog version the service applied it to (None: not recorded)


def last_entry_id(client: redis.Redis, layout: RedisLayout) -> str:
    """Id of the newest stream entry, or "0-0" when the stream is empty or absent."""
    newest: Any = client.xrevrange(layout.feedback_stream, count=1)
    return as_text(newest[0][0]) if newest else NO_ENTRY


def read_entries(
    client: redis.Redis, layout: RedisLayout, after: str = NO_ENTRY, until: str = "+"
) -> Iterator[FeedbackEntry]:
    """Entries with after < id <= until, oldest first, fetched in batches."""
    start = f"({after}" if after != NO_ENTRY else "-"
    while True:
        batch: Any = client.xrange(layout.feedback_stream, min=start, max=until, count=STREAM_BATCH)
        for raw_id, fields in batch:
            entry = parse_entry(as_text(raw_id), fields)
            if entry is not None:
                yield entry
        if len(batch) < STREAM_BATCH:
            return
        start = f"({as_text(batch[-1][0])}"


def read_group_entries(
    client: redis.Redis, layout: RedisLayout, group: str, consumer: str, count: int,
    pending: bool = False, block_ms: int | None = None,
) -> list[tuple[str, FeedbackEntry | None]]:  # fmt: skip
    """Up to `count` (entry id, entry) pairs for a consumer group's `consumer`: new entries,
    or with `pending` those delivered to it before and not acknowledged (after a crash). An
    entry the service did not write, or one trimmed away, comes as (id, None), for the caller
    to acknowledge."""
    streams: Any = {layout.feedback_stream: "0" if pending else ">"}
    reply: Any = client.xreadgroup(group, consumer, streams, count=count, block=block_ms)
    entries = reply[0][1] if reply else []
    # A pending entry trimmed from the stream since comes without fields: (id, None) too.
    return [(as_text(i), parse_entry(as_text(i), f) if f else None) for i, f in entries]


def parse_entry(entry_id: str, fields: dict[Any, Any]) -> FeedbackEntry | None:
    data = {as_text(k): as_text(v) for k, v in fields.items()}
    try:
        version = data.get("version")
        return FeedbackEntry(
            entry_id,
            data["user_id"],
            data["product_id"],
            data["action"],
            float(data["ts"]),
            int(version) if version else None,
        )
    except (KeyError, ValueError):
        return None  # not written by the service; a build must not stop for it


def feedback_events(
    entries: Iterable[FeedbackEntry], known_products: Iterable[str], weights: EventWeights
) -> tuple[pd.DataFrame, pd.DataFrame, LoadReport]:
    """Split stream entries into interaction events (the CSV's columns plus `weight`) and
    dismissals (user_id, product_id, ts); counts what was left out, like the CSV loader."""
    report = LoadReport(file="feedback stream")
    by_type = weights.as_dict()
    known = set(known_products)
    events: list[tuple[str, str, str, float, float]] = []
    dismissals: list[tuple[str, str, float]] = []
    for entry in entries:
        report.rows_read += 1
        if entry.product_id not in known:
            report.drop("unknown product_id (not in the catalog)")
        elif entry.action == DISMISS:
            dismissals.append((entry.user_id, entry.product_id, entry.ts))
        elif entry.action in by_type:
            weight = by_type[entry.action]
            events.append((entry.user_id, entry.product_id, entry.action, entry.ts, weight))
        else:
            report.drop("unknown action")
    report.rows_kept = len(events) + len(dismissals)
    columns = ["user_id", "product_id", "interaction_type", "ts", "weight"]
    return (
        pd.DataFrame(events, columns=columns),
        pd.DataFrame(dismissals, columns=["user_id", "product_id", "ts"]),
        report,
    )


def fold_feedback(
    events: pd.DataFrame, feedback: pd.DataFrame, dismissals: pd.DataFrame
) -> pd.DataFrame:
    """CSV events plus feedback events, minus every event of a (user, product) pair that
    happened at or before the user dismissed that product: the service removes a dismissed
    product from the live history, and the next build must not bring it back."""
    frames = [f for f in (events, feedback) if len(f)]
    combined = pd.concat(frames, ignore_index=True) if frames else events
    if dismissals.empty or combined.empty:
        return combined.reset_index(drop=True)
    last_dismiss = dismissals.groupby(["user_id", "product_id"], as_index=False)["ts"].max()
    merged = combined.merge(
        last_dismiss.rename(columns={"ts": "dismissed_at"}),
        on=["user_id", "product_id"],
        how="left",
    )
    keep = merged["dismissed_at"].isna() | (merged["ts"] > merged["dismissed_at"])
    return merged.loc[keep, combined.columns].reset_index(drop=True)
