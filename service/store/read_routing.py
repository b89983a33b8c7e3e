"""Which Redis answers the vector searches: a read replica (REDIS_READ_URL) while it is up and
has the live version, else the primary.

FT.SEARCH is most of the Redis CPU of a request, and the only read the catalog's readers do
alone; the other reads share one pipeline with the user's own state, which stays on the
primary (or on REDIS_STATE_URL's Redis, never a replica) so a dismissal is honoured on the very
next request (read-your-writes). The live
version is read on the primary and compared with the replica's once per refresh: a replica
that is unreachable, has lost its link to the primary, or has not yet got the live version
is left alone until the next check, and its searches go to the primary without an error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from indexing.contract.redis_layout import RedisLayout
from indexing.contract.redis_text import as_text
from service.observability import metrics

log = logging.getLogger(__name__)
T = TypeVar("T")
REPLICA_OK = "ok"  # the state while the searches go to the replica


class ReadRouting:
    def __init__(
        self,
        primary: aioredis.Redis,
        replica: aioredis.Redis | None = None,
        layout: RedisLayout | None = None,
        recheck_s: float = 1.0,
    ):
        self._primary, self._replica, self._layout = primary, replica, layout
        self._recheck_s = recheck_s
        self._checked_at = float("-inf")
        self.state = "off" if replica is None else "not checked yet"

    @property
    def _use_replica(self) -> bool:
        return self.state == REPLICA_OK

    def search_client(self) -> aioredis.Redis:
        if self._use_replica and self._replica is not None:
            return self._replica
        return self._primary

    async def search(self, work: Callable[[aioredis.Redis], Awaitable[T]]) -> T:
        """Run `work` on the search client; a replica that fails mid-request hands the work
        to the primary (and is not asked again until the next check)."""
        client = self.search_client()
        if client is self._primary:
            return await work(client)
        try:
            return await work(client)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            self._fall_back(f"replica unreachable ({type(exc).__name__})")
            return await work(self._primary)

    async def check(self, live_version: int, force: bool = False) -> None:
        """At most every `recheck_s` (always when forced, for /health): use the replica only
        if it is linked to the primary and names the same live version."""
        if self._replica is None or self._layout is None:
            return
        now = time.monotonic()
        if not force and now - self._checked_at < self._recheck_s:
            return
        self._checked_at = now
        try:
            pipe = self._replica.pipeline(transaction=False)
            pipe.hget(self._layout.meta, "version")
            pipe.info("replication")
            version, replication = await pipe.execute()
        except RedisError as exc:
            self._fall_back(f"replica unreachable ({type(exc).__name__})")
            return
        if replication.get("role") != "slave":
            self._fall_back("REDIS_READ_URL is not a replica")
        elif replication.get("master_link_status") != "up":
            self._fall_back("replica has lost its link to the primary")
        elif version is None or int(as_text(version)) != live_version:
            self._fall_back(f"replica does not have live version {live_version} yet")
        else:
            if not self._use_replica:
                log.info("vector searches go to the read replica")
            self.state = REPLICA_OK

    def _fall_back(self, reason: str) -> None:
        if self._use_replica or self.state != f"primary ({reason})":
            log.warning("vector searches go to the primary: %s", reason)
            metrics.REPLICA_FALLBACKS.inc()
        self.state = f"primary ({reason})"
