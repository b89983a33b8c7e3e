"""POST /feedback: a log entry first, then the live effects.

Order matters: the event is appended to the feedback stream before anything else, so an
acknowledged event can always be replayed and is folded into the next full build (`durable`
in the answer says whether Redis had fsynced it: see stream_append). Then the user's history,
bought and dismissed sets change at once, so the next personalised answer reflects the event;
the user's cached answers are dropped; the A/B arm is credited. Before all of that, the
per-user and per-product rate limits (service.feedback.rate_limit) admit the event or refuse it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import redis.asyncio as aioredis

from indexing.contract.event_types import FEEDBACK_ACTIONS, accepted_words, canonical
from indexing.contract.history_update import (
    QueryRefresh,
    QueryRule,
    execute_with_refresh_async,
    queue_history_update,
)
from indexing.contract.settings import EventWeights
from indexing.load.field_values import parse_timestamps
from service.errors import FeedbackNotDurable, ProductNotFound
from service.experiments.ab_router import ABCounters
from service.feedback.rate_limit import FeedbackRateLimit
from service.feedback.stream_append import StreamAppender
from service.observability import metrics
from service.store.answer_cache import AnswerCache
from service.store.catalog_reader import CatalogView, ProductReader

log = logging.getLogger(__name__)

# Clock skew tolerated between the shop and us. A later ts is refused: history weights grow
# as 2^(age / half-life), so a far-future event would swamp a user's history (or overflow).
MAX_FUTURE_S = 86_400.0


class InvalidTimestamp(ValueError):
    pass


class InvalidAction(ValueError):
    pass


@dataclass(frozen=True)
class FeedbackEvent:
    user_id: str
    product_id: str
    action: str  # canonical: view, click, add_to_cart, purchase, dismiss
    ts: float  # epoch seconds


def parse_ts(raw: str | float | None) -> float:
    """An event time as the CSV loader reads it (ISO-8601, zone-less taken as UTC, or epoch
    seconds or milliseconds) to epoch seconds; absent means now."""
    if raw is None or raw == "":
        return time.time()
    ts = float(parse_timestamps(pd.Series([raw], dtype=object)).iloc[0])
    if math.isnan(ts):
        if _is_far_future(raw):
            raise InvalidTimestamp(f"ts {raw!r} is in the future")
        raise InvalidTimestamp(
            f"ts {raw!r} is not an ISO-8601 time (years 1677-2262) or epoch seconds/milliseconds"
        )
    if ts > time.time() + MAX_FUTURE_S:
        raise InvalidTimestamp(f"ts {raw!r} is in the future")
    return ts


def _is_far_future(raw: str | float) -> bool:
    """An ISO date past the years the loader reads (e.g. 9999-01-01): say "future", not
    "unreadable"."""
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00")).year > 2262
    except ValueError:
        return False


class FeedbackRecorder:
    def __init__(
        self,
        client: aioredis.Redis,
        products: ProductReader,
        cache: AnswerCache,
        ab: ABCounters,
        weights: EventWeights,
        query_rule: Callable[[CatalogView], Awaitable[QueryRule]],
        max_interest: float,
        rate_limit: FeedbackRateLimit,
        durable: bool = True,
        fsync_timeout_ms: int = 300,
        require_durable: bool = False,
        catalog: aioredis.Redis | None = None,
        streams: int = 1,
    ):
        # `client` holds the user state and the stream (REDIS_STATE_URL, else the catalog's
        # Redis); `catalog` the trending counts, where it is another Redis.
        self._client, self._products, self._cache, self._ab = client, products, cache, ab
        self._catalog = catalog if catalog is not None and catalog is not client else None
        self._weights = weights.as_dict()
        self._query_rule = query_rule  # a version's history length and query (may be tuned)
        self._max_interest = max_interest
        self._streams = streams  # the feedback stream's split (SHOPREC_FEEDBACK_STREAMS)
        self._rate_limit = rate_limit
        self._stream = StreamAppender(client, durable, fsync_timeout_ms)
        self._require_durable = require_durable

    def event(
        self, user_id: str, product_id: str, action: str, ts: str | float | None
    ) -> FeedbackEvent:
        name = canonical(action)
        if name not in FEEDBACK_ACTIONS:
            raise InvalidAction(
                f"action {action!r} is not one of {accepted_words(FEEDBACK_ACTIONS)}; case, "
                "'-', '_' and spaces do not matter"
            )
        return FeedbackEvent(user_id, product_id, name, parse_ts(ts))

    async def record(self, view: CatalogView, event: FeedbackEvent) -> bool:
        """Log the event, then apply it; True when Redis fsynced it before we answer.

        Strict mode (require_durable) refuses what was not fsynced with FeedbackNotDurable,
        before the live effects: the caller retries, and the stream may hold it twice."""
        if not await self._products.exists(view, event.product_id):
            raise ProductNotFound(event.product_id)
        await self._rate_limit.admit(event.user_id, event.product_id)
        fields = {
            "user_id": event.user_id,
            "product_id": event.product_id,
            "action": event.action,
            "ts": f"{event.ts:.3f}",
            # Which version's history it went into: a rebuild replays the others.
            "version": str(view.version),
        }
        stream = view.layout.feedback_stream_of(event.user_id, self._streams)
        appended = await self._stream.append(stream, fields)
        if self._require_durable and not appended.durable:
            raise FeedbackNotDurable(appended.reason)
        await self._apply(view, event)
        await self._ab.action(event.user_id, event.action)
        durable = "true" if appended.durable else "false"
        metrics.FEEDBACK_EVENTS.labels(action=event.action, durable=durable).inc()
        return appended.durable

    async def _apply(self, view: CatalogView, event: FeedbackEvent) -> None:
        """The history update and the read of the state it leaves in one transaction (over
        the user's keys: one hash tag, one slot on a cluster), then the user's stored query
        vector from that state (QueryRefresh)."""
        rule = await self._query_rule(view)
        pipe = self._client.pipeline(transaction=True)
        counts = self._catalog.pipeline(transaction=False) if self._catalog else None
        queue_history_update(
            pipe,
            view.layout,
            view.meta,
            event,
            self._weights,
            rule.history_items,
            self._max_interest,
            counts,
        )
        refresh = QueryRefresh(view.layout, view.version, rule)
        catalog = self._catalog or self._client
        applied = execute_with_refresh_async(self._client, catalog, pipe, refresh, [event.user_id])
        if counts is None:
            await applied
        else:
            await asyncio.gather(applied, counts.execute())
        await self._cache.drop_user(view, event.user_id)
