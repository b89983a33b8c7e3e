"""Reads of the hourly trending buckets (indexing.contract.trending_counts): per product, its
events in the last hours and in the last week, in one round trip."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from indexing.contract.redis_text import as_text
from indexing.contract.trending_counts import BASELINE_HOURS, hour_of
from service.store.catalog_reader import CatalogView


@dataclass(frozen=True)
class TrendCounts:
    """product_id -> events in the window (products without any are absent), and in the
    BASELINE_HOURS up to now (the window included)."""

    recent: dict[str, float]
    week: dict[str, float]


class TrendingReader:
    def __init__(self, client: aioredis.Redis):
        self._client = client

    async def counts(self, view: CatalogView, now: float, window_hours: int) -> TrendCounts:
        """The window is the hour of `now` and the `window_hours - 1` before it."""
        hour = hour_of(now)

        def keys(hours: int) -> list[str]:
            return [
                view.layout.trending_hour(view.version, h)
                for h in range(hour - hours + 1, hour + 1)
            ]

        # ZUNION sums each product's counts server-side; missing (expired) buckets count 0.
        pipe = self._client.pipeline(transaction=False)
        pipe.zunion(keys(window_hours), withscores=True)
        pipe.zunion(keys(BASELINE_HOURS), withscores=True)
        recent, week = await pipe.execute()
        return TrendCounts(_scores(recent), _scores(week))


def _scores(reply: list[tuple[bytes, float]]) -> dict[str, float]:
    return {as_text(pid): float(score) for pid, score in reply}
