"""Appending a feedback event to the stream, and saying whether Redis fsynced it.

WAITAOF waits for the writes made earlier *on the same connection*, so XADD and WAITAOF go
down one connection in one pipeline (no MULTI: WAITAOF cannot run inside one). Under
`appendfsync always` Redis fsyncs before it answers, so WAITAOF returns at once; under
`everysec` it would wait for the next once-a-second fsync, and without AOF it fails. A Redis that
cannot fsync within the timeout is not asked again for a while: feedback then answers at XADD
speed with `durable: false` instead of paying the timeout on every event.

On a Redis Cluster (REDIS_STATE_URL) the WAITAOF is sent to the node that holds the stream's
slot: the cluster pipeline sends one node's commands down one connection, in order.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ResponseError

log = logging.getLogger(__name__)

# How long to stop asking a Redis that did not fsync in time (or has no AOF) before trying again.
RETRY_FSYNC_AFTER_S = 60.0


@dataclass(frozen=True)
class Appended:
    durable: bool  # fsynced to Redis's append-only file before we answer
    reason: str = ""  # why not, for logs and the strict mode's 503


class StreamAppender:
    def __init__(self, client: aioredis.Redis, wait_for_fsync: bool, fsync_timeout_ms: int):
        self._client = client
        self._wait_for_fsync, self._timeout_ms = wait_for_fsync, fsync_timeout_ms
        self._skip_until = 0.0  # monotonic time before which WAITAOF is not sent
        self._reason = ""

    async def append(self, stream: str, fields: dict[str, str]) -> Appended:
        if not self._wait_for_fsync:
            await self._client.xadd(stream, fields)  # type: ignore[arg-type]
            return Appended(False, "SHOPREC_FEEDBACK_DURABLE=0")
        if time.monotonic() < self._skip_until:
            await self._client.xadd(stream, fields)  # type: ignore[arg-type]
            return Appended(False, self._reason)
        pipe = self._client.pipeline(transaction=False)
        pipe.xadd(stream, fields)  # type: ignore[arg-type]
        if isinstance(self._client, RedisCluster):
            node = self._client.get_node_from_key(stream)
            pipe.execute_command("WAITAOF", 1, 0, self._timeout_ms, target_nodes=node)
        else:
            pipe.execute_command("WAITAOF", 1, 0, self._timeout_ms)
        entry_id, waited = await pipe.execute(raise_on_error=False)
        if isinstance(entry_id, Exception):
            raise entry_id  # not stored at all: the caller answers 503
        if isinstance(waited, ResponseError):
            if "appendonly" not in str(waited).lower():
                raise waited
            return self._not_fsynced(
                "Redis runs without appendonly; set appendonly yes (appendfsync always) to make "
                "feedback durable"
            )
        local, _replicas = waited
        if int(local) < 1:
            return self._not_fsynced(
                f"Redis did not fsync within {self._timeout_ms} ms (appendfsync everysec fsyncs "
                "once a second; appendfsync always makes every event durable at once)"
            )
        return Appended(True)

    def _not_fsynced(self, reason: str) -> Appended:
        log.warning(
            "feedback stored but not fsynced: %s; answering durable=false without waiting for "
            "the next %.0f s",
            reason,
            RETRY_FSYNC_AFTER_S,
        )
        self._skip_until = time.monotonic() + RETRY_FSYNC_AFTER_S
        self._reason = reason
        return Appended(False, reason)
