"""The trending buckets of a new version, seeded from the log's last week.

So GET /recommend/trending has its 7-day baseline right after a build instead of a week of
live feedback later. Counts are per (hour, product) of the events in the BASELINE_HOURS before
the log's newest event; hours whose bucket would already have expired (an old log) are
skipped, as live counting would drop them.
"""

from __future__ import annotations

import time

import pandas as pd
import redis

from indexing.contract.event_types import DISMISS
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.trending_counts import (
    BASELINE_HOURS,
    SECONDS_PER_HOUR,
    bucket_expiry,
)


def seed_trending(
    client: redis.Redis,
    layout: RedisLayout,
    version: int,
    events: pd.DataFrame,
    now: float | None = None,
) -> int:
    """Write the buckets; returns how many events they count."""
    if events.empty:
        return 0
    now = time.time() if now is None else now
    newest = float(events["ts"].max())
    recent = events[
        (events["ts"] > newest - BASELINE_HOURS * SECONDS_PER_HOUR)
        & (events["interaction_type"] != DISMISS)
    ]
    hours = (recent["ts"] // SECONDS_PER_HOUR).astype("int64")
    counts = recent.groupby([hours.rename("hour"), recent["product_id"]]).size()
    pipe = client.pipeline(transaction=False)
    counted = 0
    for hour, per_product in counts.groupby(level="hour"):
        if bucket_expiry(int(hour)) <= now:
            continue
        key = layout.trending_hour(version, int(hour))
        mapping = {str(pid): int(n) for (_, pid), n in per_product.items()}
        pipe.zadd(key, mapping)
        pipe.expireat(key, bucket_expiry(int(hour)))
        counted += sum(mapping.values())
    pipe.execute()
    return counted
