"""Hourly event counts per product: what GET /recommend/trending compares.

One sorted set per version and hour (`RedisLayout.trending_hour`: product_id -> events that
hour). Live feedback, the replay after a rebuild and `shoprec ingest` count through
`queue_count` (called by the shared rule, history_update.queue_history_update); the build
seeds the buckets of the log's last BASELINE_HOURS (indexing/build/trending_seed.py). A bucket
expires KEEP_HOURS after its hour began, so memory stays bounded at about a week of events
and a bucket of a long-past hour (an old log's) is not kept at all.
"""

from __future__ import annotations

from typing import Any

from indexing.contract.redis_layout import RedisLayout

SECONDS_PER_HOUR = 3600
# The long-term rate is events per hour over the last 7 days.
BASELINE_HOURS = 7 * 24
# The baseline plus a day of slack (a window reaching back over the hour boundary).
KEEP_HOURS = BASELINE_HOURS + 24


def hour_of(ts: float) -> int:
    """The hour number (hours since the epoch) an event at `ts` counts in."""
    return int(ts // SECONDS_PER_HOUR)


def bucket_expiry(hour: int) -> int:
    """Epoch seconds at which the bucket of `hour` is dropped."""
    return (hour + KEEP_HOURS) * SECONDS_PER_HOUR


def queue_count(pipe: Any, layout: RedisLayout, version: int, product_id: str, ts: float) -> None:
    """Queue one event of `product_id` at `ts` on a sync or async pipeline."""
    hour = hour_of(ts)
    key = layout.trending_hour(version, hour)
    pipe.zincrby(key, 1, product_id)
    # EXPIREAT of a past time deletes the key at once: an event older than a week is no trend.
    pipe.expireat(key, bucket_expiry(hour))
