"""How far the PostgreSQL jobs have got, read from Redis for GET /metrics: what feedback-sink
has not stored yet (its consumer group's undelivered and unacknowledged entries) and the time
of ingest's mark (docs/postgres.md)."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from indexing.contract.redis_layout import RedisLayout
from indexing.contract.redis_text import as_text


async def sink_backlog(client: aioredis.Redis, layout: RedisLayout, streams: int = 1) -> int | None:
    """Feedback events not yet in the sink's table, over the streams; None while no sink has
    run."""
    backlogs = [
        await _stream_backlog(client, layout, name) for name in layout.feedback_streams(streams)
    ]
    found = [b for b in backlogs if b is not None]
    return sum(found) if found else None


async def _stream_backlog(client: aioredis.Redis, layout: RedisLayout, stream: str) -> int | None:
    try:
        groups: Any = await client.xinfo_groups(stream)
    except ResponseError:  # no stream yet
        return None
    for group in groups:
        if as_text(group.get("name")) == layout.feedback_sink_group:
            # lag is unknown (None) after entries were deleted from the middle of the stream.
            return int(group.get("pending") or 0) + int(group.get("lag") or 0)
    return None


async def ingest_mark_ts(client: aioredis.Redis, layout: RedisLayout) -> float | None:
    """Epoch seconds of the newest event `shoprec ingest` applied; None before its first run."""
    raw = await client.hget(layout.ingest_mark, "ts")
    return float(raw) if raw is not None else None
