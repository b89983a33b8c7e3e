"""What one feedback event changes in a version's user state: the one rule that live feedback
(service.feedback.feedback_recorder) and the replay after a rebuild (feedback_replay) share.

The commands are queued on a caller's pipeline, sync or async (both queue the same way), so
each side keeps its own round trips and transaction.

Why decay windows: history scores are interest relative to a reference time, and an event a
year after a 2011 log's newest event would weigh 2^390 (1e117; the CF query sum of such weights
overflows float32, and answers carried null scores). So time after `history_epoch` is cut into
windows of WINDOW_HALF_LIVES half-lives: an event's weight is decayed relative to the start of
its window (at most 2^WINDOW_HALF_LIVES), and a user's history is kept relative to the newest
window it has seen (`RedisLayout.history_window`, one key per user beside the history, so both
share the user's cluster slot; absent: window 0, the build's reference). When an event opens a
newer window, the script multiplies the user's scores by 2^-WINDOW_HALF_LIVES per window first:
a power of two, so every ratio, and the order, stay exact (until a score falls below 2^-1022,
over 1000 half-lives behind the newest event)."""

from __future__ import annotations

from typing import Protocol

import redis
import redis.asyncio

from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.event_decay import SECONDS_PER_DAY, decayed
from indexing.contract.event_types import DISMISS
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.trending_counts import queue_count

AnyPipeline = redis.client.Pipeline | redis.asyncio.client.Pipeline

# Half-lives per decay window: weights stay below 2^32 x the event weight, far inside float32.
WINDOW_HALF_LIVES = 32

# KEYS: history, the user's window; ARGV: product_id, weight (decayed to the start of its
# window), the event's window, 2^-WINDOW_HALF_LIVES, history cap, the most one product may
# hold (decayed like the weight; <= 0: no bound). Moves the user's history to the newer of its
# window and the event's, then adds the weight there, bounded; one script, so a concurrent
# event of the same user cannot interleave.
_ADD_TO_HISTORY = """
local held = tonumber(redis.call('GET', KEYS[2]) or '0')
local window = tonumber(ARGV[3])
local per_window = tonumber(ARGV[4])
local weight = tonumber(ARGV[2])
local bound = tonumber(ARGV[6])
if window > held then
  local factor = string.format('%.17g', per_window ^ (window - held))
  redis.call('ZUNIONSTORE', KEYS[1], 1, KEYS[1], 'WEIGHTS', factor)
  redis.call('SET', KEYS[2], window)
elseif window < held then
  weight = weight * per_window ^ (held - window)
  bound = bound * per_window ^ (held - window)
end
local before = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '0')
local score = before + weight
if bound > 0 and score > bound then
  -- Never below what it held: a late event of an older time has a lower bound.
  score = math.max(bound, before)
end
redis.call('ZADD', KEYS[1], string.format('%.17g', score), ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[5]) + 1))
"""


def decay_window(ts: float, epoch: float, half_life_days: float) -> tuple[int, float]:
    """(window, its start) of an event at `ts`: window 0 holds everything up to
    WINDOW_HALF_LIVES half-lives after `epoch` (the build's events included)."""
    if half_life_days <= 0:
        return 0, epoch
    span = WINDOW_HALF_LIVES * half_life_days * SECONDS_PER_DAY
    window = max(0, int((ts - epoch) // span))
    return window, epoch + window * span


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
    max_interest: float,
    counts: AnyPipeline | None = None,
) -> bool:
    """Queue the changes `event` makes to `meta.version`'s user state; False (nothing
    queued) for an action that carries no weight. Every key `pipe` gets is the user's (one
    hash tag, one cluster slot); the trending count goes on `counts`, the catalog's pipeline
    where the user state lives elsewhere (REDIS_STATE_URL; None: `pipe`).

    A dismissal removes the product from the history and adds it to the user's unversioned
    dismissed set (idempotent, so a replay may add it again). Any other event adds its decayed
    weight to the history (in the user's decay window, see above), keeps the strongest
    `history_items`; a purchase joins the bought set, an add-to-cart the carted set; the
    event counts in its hour's trending bucket (indexing.contract.trending_counts). The
    product's score stays at most `max_interest` event-weight units at the event's time
    (settings.abuse; <= 0: unbounded), so a flood of one user's events on one product moves it
    by no more than that."""
    history = layout.history(meta.version, event.user_id)
    if event.action == DISMISS:
        pipe.sadd(layout.dismissed(event.user_id), event.product_id)
        pipe.zrem(history, event.product_id)
        return True
    if event.action not in weights:
        return False
    queue_count(
        pipe if counts is None else counts, layout, meta.version, event.product_id, event.ts
    )
    half_life = meta.half_life_days
    window, start = decay_window(event.ts, meta.history_epoch, half_life)
    weight = float(decayed(weights[event.action], event.ts, start, half_life))
    bound = float(decayed(max_interest, event.ts, start, half_life)) if max_interest > 0 else 0.0
    per_window = float(
        decayed(1.0, 0.0, WINDOW_HALF_LIVES * half_life * SECONDS_PER_DAY, half_life)
    )
    windows = layout.history_window(meta.version, event.user_id)
    args = (
        event.product_id,
        repr(weight),
        window,
        repr(per_window),
        history_items,
        repr(bound),
    )
    # EVAL by name: redis-py's sync cluster pipeline refuses its eval() method (the command
    # itself it routes by its first key, like any other).
    pipe.execute_command("EVAL", _ADD_TO_HISTORY, 2, history, windows, *args)
    if event.action == "purchase":
        pipe.sadd(layout.bought(meta.version, event.user_id), event.product_id)
    elif event.action == "add_to_cart":
        pipe.sadd(layout.carted(meta.version, event.user_id), event.product_id)
    return True
