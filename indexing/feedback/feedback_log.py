"""Reading the feedback stream (`{prefix}:feedback`) as interaction events.

The service appends every acknowledged POST /feedback to the stream
(service.feedback.feedback_recorder); a full build folds the stream into its interactions so
feedback outlives the version it was
applied to, and `shoprec export-feedback` writes it out in the interactions CSV format.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import redis

from indexing.contract.event_types import DISMISS
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.redis_text import as_text
from indexing.contract.settings import EventWeights
from indexing.load.csv_loader import LoadReport

AnyRedis = redis.Redis | redis.RedisCluster

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
    stream: int = 0  # which of RedisLayout.feedback_streams holds it

    @property
    def key(self) -> str:
        """Unique over all the streams (ids are unique within one): the id, with `@{stream}`
        after it for all but the first stream, whose entries keep the keys they always had."""
        return self.entry_id if self.stream == 0 else f"{self.entry_id}@{self.stream}"


# Where a reader stands in each stream: stream ids in `feedback_streams` order, as one text
# (the metadata's `feedback_stream_id`): "id0,id1,..."; one stream is just its id.
def format_positions(ids: Sequence[str]) -> str:
    return ",".join(ids)


def parse_positions(text: str, count: int) -> list[str]:
    """The position in each of `count` streams; a stream the text does not name: none read."""
    ids = [part for part in text.split(",") if part] if text else []
    return (ids + [NO_ENTRY] * count)[:count]


def last_entry_id(client: AnyRedis, layout: RedisLayout, count: int = 1) -> str:
    """The newest entry id of each stream (positions text), "0-0" where one is empty."""
    ids = []
    for stream in layout.feedback_streams(count):
        newest: Any = client.xrevrange(stream, count=1)
        ids.append(as_text(newest[0][0]) if newest else NO_ENTRY)
    return format_positions(ids)


def read_entries(
    client: AnyRedis, layout: RedisLayout, after: str = NO_ENTRY, until: str = "+",
    count: int = 1,
) -> Iterator[FeedbackEntry]:  # fmt: skip
    """Entries with after < id <= until (positions texts) in each stream, stream by stream,
    oldest first in each (a user's events are all in one stream, so each user's come in
    order), fetched in batches."""
    starts, ends = parse_positions(after, count), parse_positions(until, count)
    for index, stream in enumerate(layout.feedback_streams(count)):
        end = ends[index] if until != "+" else "+"
        yield from _read_stream(client, stream, index, starts[index], end)


def _read_stream(
    client: AnyRedis, stream: str, index: int, after: str, until: str
) -> Iterator[FeedbackEntry]:
    if until == NO_ENTRY:
        return
    start = f"({after}" if after != NO_ENTRY else "-"
    while True:
        batch: Any = client.xrange(stream, min=start, max=until, count=STREAM_BATCH)
        for raw_id, fields in batch:
            entry = parse_entry(as_text(raw_id), fields, index)
            if entry is not None:
                yield entry
        if len(batch) < STREAM_BATCH:
            return
        start = f"({as_text(batch[-1][0])}"


def last_positions(entries: Sequence[FeedbackEntry], after: str, count: int) -> str:
    """`after` moved to the newest of `entries` in each stream (what a replay read up to)."""
    ids = parse_positions(after, count)
    for entry in entries:
        ids[entry.stream] = entry.entry_id  # entries come oldest first in each stream
    return format_positions(ids)


def read_group_entries(
    client: AnyRedis, stream: str, index: int, group: str, consumer: str, count: int,
    pending: bool = False, block_ms: int | None = None,
) -> list[tuple[str, FeedbackEntry | None]]:  # fmt: skip
    """Up to `count` (entry id, entry) pairs of one stream for a consumer group's
    `consumer`: new entries, or with `pending` those delivered to it before and not
    acknowledged (after a crash). An entry the service did not write, or one trimmed away,
    comes as (id, None), for the caller to acknowledge."""
    streams: Any = {stream: "0" if pending else ">"}
    reply: Any = client.xreadgroup(group, consumer, streams, count=count, block=block_ms)
    entries = reply[0][1] if reply else []
    # A pending entry trimmed from the stream since comes without fields: (id, None) too.
    return [(as_text(i), parse_entry(as_text(i), f, index) if f else None) for i, f in entries]


def parse_entry(entry_id: str, fields: dict[Any, Any], stream: int = 0) -> FeedbackEntry | None:
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
            stream,
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
