"""A/B routing: a user's variant is md5(experiment:user_id) mapped onto the configured split.

Deterministic, so it is sticky per user across workers and restarts without storing anything;
exposures and actions are counted per variant in Redis for the report. A user counts one
impression per experiment per (UTC) day however often they call: scripted calls cannot
inflate an arm's impressions and so its CTR.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import redis.asyncio as aioredis

from indexing.contract.redis_layout import RedisLayout
from indexing.contract.redis_text import as_text
from service.observability import metrics

BUCKETS = 10_000
# Feedback actions that are counted per variant (report columns).
COUNTED_ACTIONS = {
    "click": "clicks",
    "add_to_cart": "add_to_cart",
    "purchase": "purchases",
    "dismiss": "dismissals",
}

# KEYS: the user's variant@day; ARGV: variant. Sets the mark and answers 1 when it was not
# today's (Redis's clock, so every worker agrees on the day). The counters are another key
# (another slot on a cluster), so the caller counts the impression after a 1.
_MARK_IMPRESSION = """
local day = math.floor(tonumber(redis.call('TIME')[1]) / 86400)
local mark = ARGV[1] .. '@' .. day
if redis.call('GET', KEYS[1]) == mark then
  return 0
end
redis.call('SET', KEYS[1], mark)
return 1
"""


@dataclass(frozen=True)
class Split:
    variants: tuple[str, ...]
    shares: tuple[float, ...]  # normalised, sums to 1

    @classmethod
    def parse(cls, text: str) -> Split:
        """`content:50,hybrid:50` -> Split; shares need not add to 100."""
        names: list[str] = []
        weights: list[float] = []
        for part in text.split(","):
            name, _, share = part.strip().partition(":")
            try:
                weight = float(share)
            except ValueError:
                raise ValueError(f"A/B split entry {part!r} is not 'variant:share'") from None
            if not name or weight < 0:
                raise ValueError(f"A/B split entry {part!r} is not 'variant:share'")
            names.append(name)
            weights.append(weight)
        total = sum(weights)
        if not names or total <= 0:
            raise ValueError(f"A/B split {text!r} has no variant with a positive share")
        return cls(tuple(names), tuple(w / total for w in weights))

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.variants, self.shares, strict=True))


def bucket(experiment: str, user_id: str) -> int:
    digest = hashlib.md5(f"{experiment}:{user_id}".encode(), usedforsecurity=False).hexdigest()
    return int(digest[:8], 16) % BUCKETS


def assign_variant(experiment: str, user_id: str, split: Split) -> str:
    point = (bucket(experiment, user_id) + 0.5) / BUCKETS
    cumulative = 0.0
    for name, share in zip(split.variants, split.shares, strict=True):
        cumulative += share
        if point < cumulative:
            return name
    return split.variants[-1]


class ABCounters:
    """Per-variant counters: a hash `variant:impressions`, `variant:clicks`, ...; and which
    variant each exposed user saw (one key per user), so feedback is credited only to exposed
    users."""

    def __init__(self, client: aioredis.Redis, layout: RedisLayout, experiment: str):
        self._client = client
        self._layout, self._experiment = layout, experiment
        self._counters = layout.ab_counters(experiment)

    def _user(self, user_id: str) -> str:
        return self._layout.ab_user_variant(self._experiment, user_id)

    async def impression(self, variant: str, user_id: str) -> bool:
        """Count the user's exposure to `variant`; False when it was already counted today.
        The mark and the count are two commands (two slots on a cluster): a crash between them
        loses one impression, never counts one twice."""
        marked = await self._client.eval(_MARK_IMPRESSION, 1, self._user(user_id), variant)  # type: ignore[misc]
        if not marked:
            return False
        await self._client.hincrby(self._counters, f"{variant}:impressions", 1)
        return True

    async def action(self, user_id: str, action: str) -> None:
        column = COUNTED_ACTIONS.get(action)
        if column is None:
            return
        mark = await self._client.get(self._user(user_id))
        if mark is not None:
            variant = as_text(mark).rpartition("@")[0] or as_text(mark)
            await self._client.hincrby(self._counters, f"{variant}:{column}", 1)
            metrics.AB_CLICKS.labels(variant=variant).inc()

    async def counts(self) -> dict[str, dict[str, int]]:
        raw = await self._client.hgetall(self._counters)
        out: dict[str, dict[str, int]] = {}
        for key, value in raw.items():
            variant, _, column = as_text(key).rpartition(":")
            out.setdefault(variant, {})[column] = int(value)
        return out
