"""Sliding-window rate limits on feedback, per user and per product, in Redis.

Each window is a sorted set of the accepted events' times (ms, Redis's own clock, so every
worker counts alike); one script trims both windows, refuses when either is full, and only
then records the event in both: a refused event costs nothing, so a client that waits the
`Retry-After` it was given is served. Each set expires one window after its newest entry.

Where the user state is a Redis Cluster the two windows are in different slots, and a script
may touch one slot only: the user's window is admitted first, then the product's, and a
product refusal takes the user's new entry back out (ZREM), so a refused event still costs
nothing but for the instant between the two.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import AbuseSettings
from service.errors import FeedbackRateLimited

# KEYS: user window, product window; ARGV: window ms, user limit, product limit, member.
# Returns {0, 0} when recorded, else {ms until a slot frees, index of the full window}.
_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[i + 1])
  if limit > 0 then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
    local held = redis.call('ZCARD', key)
    if held >= limit then
      local frees = redis.call('ZRANGE', key, held - limit, held - limit, 'WITHSCORES')
      return {math.max(1, tonumber(frees[2]) + window - now), i}
    end
  end
end
for i, key in ipairs(KEYS) do
  if tonumber(ARGV[i + 1]) > 0 then
    redis.call('ZADD', key, now, ARGV[4])
    redis.call('PEXPIRE', key, window)
  end
end
return {0, 0}
"""

WHAT = {1: "user", 2: "product"}


@dataclass(frozen=True)
class FeedbackRateLimit:
    client: aioredis.Redis
    layout: RedisLayout
    limits: AbuseSettings

    @property
    def active(self) -> bool:
        limits = self.limits
        return limits.feedback_window_s > 0 and (
            limits.feedback_per_user > 0 or limits.feedback_per_product > 0
        )

    async def admit(self, user_id: str, product_id: str) -> None:
        """Count one event, or raise FeedbackRateLimited (with the seconds to wait)."""
        if not self.active:
            return
        limits, layout = self.limits, self.layout
        keys = (layout.feedback_rate_user(user_id), layout.feedback_rate_product(product_id))
        window_ms = max(1, round(limits.feedback_window_s * 1000))
        args = (window_ms, limits.feedback_per_user, limits.feedback_per_product, uuid.uuid4().hex)
        if isinstance(self.client, RedisCluster):
            wait_ms, full = await self._admit_each(keys, window_ms, args[3])
        else:
            wait_ms, full = await self.client.eval(_ADMIT, 2, *keys, *args)  # type: ignore[misc]
        if int(full):
            limit = limits.feedback_per_user if int(full) == 1 else limits.feedback_per_product
            retry = max(1, math.ceil(int(wait_ms) / 1000))
            raise FeedbackRateLimited(WHAT[int(full)], limit, limits.feedback_window_s, retry)

    async def _admit_each(
        self, keys: tuple[str, str], window_ms: int, member: str
    ) -> tuple[int, int]:
        """`_ADMIT` one window at a time (each its own slot); (0, 0) or (wait ms, full index)."""
        limits = (self.limits.feedback_per_user, self.limits.feedback_per_product)
        for i, (key, limit) in enumerate(zip(keys, limits, strict=True)):
            # The script with one key and a zero limit for the other: the same rule, per slot.
            wait_ms, full = await self.client.eval(  # type: ignore[misc]
                _ADMIT, 1, key, window_ms, limit, 0, member
            )
            if int(full):
                if i == 1 and limits[0] > 0:
                    await self.client.zrem(keys[0], member)
                return int(wait_ms), i + 1
        return 0, 0
