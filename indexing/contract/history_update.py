"""What one feedback event changes in a version's user state: the one rule that live feedback
(service.feedback.feedback_recorder) and the replay after a rebuild (feedback_replay) share.

The commands are queued on a caller's pipeline, sync or async (both queue the same way), so
each side keeps its own round trips and transaction.
"""

from __future__ import annotations

from typing import Protocol

import redis
import redis.asyncio

from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.event_decay import decayed
from indexing.contract.event_types import DISMISS
from indexing.contract.redis_layout import RedisLayout

AnyPipeline = redis.client.Pipeline | redis.asyncio.client.Pipeline


class FeedbackAction(Protocol):
    @property
    def user_id(self) -> str: ...
    @property
    def product_id(self) -> str: ...
    @property
    def action(self) -> str: ...  # view, click, add_to_cart, purchase or dismiss
    @property
    def ts(self) -> float: ...  # epoch seconds


def queue_history_update(
    pipe: AnyPipeline,
    layout: RedisLayout,
    meta: CatalogMeta,
    event: FeedbackAction,
    weights: dict[str, float],
    history_items: int,
) -> bool:
    """Queue the changes `event` makes to `meta.version`'s user state; False (nothing
    queued) for an action that carries no weight.

    A dismissal removes the product from the history and adds it to the user's unversioned
    dismissed set (idempotent, so a replay may add it again). Any other event adds its decayed
    weight to the history, keeps the strongest `history_items`, and a purchase joins the
    bought set."""
    history = layout.history(meta.version, event.user_id)
    if event.action == DISMISS:
        pipe.sadd(layout.dismissed(event.user_id), event.product_id)
        pipe.zrem(history, event.product_id)
        return True
    if event.action not in weights:
        return False
    weight = float(
        decayed(weights[event.action], event.ts, meta.history_epoch, meta.half_life_days)
    )
    pipe.zincrby(history, weight, event.product_id)
    # Keep the strongest N: drop the weakest beyond the cap.
    pipe.zremrangebyrank(history, 0, -(history_items + 1))
    if event.action == "purchase":
        pipe.sadd(layout.bought(meta.version, event.user_id), event.product_id)
    return True
