"""What one feedback event changes in a version's user state: the one rule that live feedback
(service.feedback.feedback_recorder), the replay after a rebuild (feedback_replay) and
`shoprec ingest` (event_ingest) share, with the upkeep of the user's stored CF query vector
(`QueryRefresh`, below).

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

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import redis
import redis.asyncio

from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.event_decay import SECONDS_PER_DAY, decayed
from indexing.contract.event_types import DISMISS
from indexing.contract.hash_scripts import HGET_EACH
from indexing.contract.index_schema import CF_QUERY_FIELD
from indexing.contract.query_blend import user_query
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.redis_text import as_text
from indexing.contract.settings import Settings
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
    # The stored query vector goes with the change, in the same pipeline: until QueryRefresh
    # writes the new one (or if it never does) the service computes the query per request.
    pipe.delete(layout.query_vector(meta.version, event.user_id))
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


@dataclass(frozen=True)
class QueryRule:
    """How a version forms its users' CF query (its served settings: they may be tuned)."""

    weighting: str  # settings.cf.query_weighting
    history_items: int  # the strongest items the query sums (settings.cf.history_max_items)
    dismiss_weight: float  # settings.cf.dismiss_weight

    @classmethod
    def of(cls, settings: Settings) -> QueryRule:
        cf = settings.cf
        return cls(cf.query_weighting, cf.history_max_items, cf.dismiss_weight)

    def query(
        self,
        history: Sequence[tuple[str, float]],
        vectors: dict[str, np.ndarray],
        dismissed: Iterable[str],
    ) -> np.ndarray | None:
        """The query from the strongest `history_items` of `history` and the dismissals."""
        top = history[: self.history_items]
        return user_query(top, vectors, dismissed, self.weighting, self.dismiss_weight)

    @property
    def tag(self) -> bytes:
        """8 bytes naming the rule, ahead of the vector in its key: a reader serving another
        rule (a changed SHOPREC_CF_DISMISS_WEIGHT, a configured weighting that is not the
        build's) ignores the stored vector and computes its own."""
        return hashlib.sha1(repr(dataclasses.astuple(self)).encode()).digest()[:TAG_BYTES]

    def encode(self, query: np.ndarray) -> bytes:
        """What RedisLayout.query_vector holds: the tag, then the float32 vector."""
        return self.tag + query.astype(np.float32).tobytes()

    def decode(self, raw: bytes | None) -> np.ndarray | None:
        """The stored vector if it was made by this rule; else None (compute it)."""
        if not raw or raw[:TAG_BYTES] != self.tag:
            return None
        return np.frombuffer(raw, dtype=np.float32, offset=TAG_BYTES)


TAG_BYTES = 8


# What a stored query vector was computed from: the history's strongest ARGV[1] entries with
# their scores and the sorted dismissals, as one SHA-1 (shared by both scripts below).
_STATE_DIGEST = """
local history = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'WITHSCORES')
local dismissed = redis.call('SMEMBERS', KEYS[2])
table.sort(dismissed)
local digest = redis.sha1hex(
  table.concat(history, '\\n') .. '\\0' .. table.concat(dismissed, '\\n'))
"""

# KEYS: history, dismissed (one user's: one slot); ARGV: items. The state a stored query
# vector is computed from, with its digest. The products' vectors are on the catalog's Redis,
# which may be another (REDIS_STATE_URL), so they are read in a second step.
_READ_QUERY_STATE = (
    _STATE_DIGEST
    + """
return {digest, history, dismissed}
"""
)

# KEYS: history, dismissed, query vector; ARGV: items, the digest read, the vector ('' to
# delete). Writes only if the state is still the one read: a concurrent event of the same
# user changed it, and that event's own refresh writes the vector of the newer state.
_WRITE_QUERY = (
    _STATE_DIGEST
    + """
if digest ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('DEL', KEYS[3]) else redis.call('SET', KEYS[3], ARGV[3]) end
return 1
"""
)


@dataclass(frozen=True)
class _ReadState:
    user: str
    digest: Any
    history: list[tuple[str, float]]
    dismissed: list[str]
    vector_ids: list[str]  # the products whose CF query vectors the query sums


class QueryRefresh:
    """Recomputes the stored CF query vectors of the users a pipeline of history updates
    touched, from the state it leaves, in three steps (`execute_with_refresh` runs them):
    `queue_reads` on the user state's pipeline after the updates (so the reads see them, in
    the same transaction where there is one); `queue_vector_reads` with its replies on the
    catalog's; `queue_writes` with those on the user state's again. Recomputing, not
    updating: the query sums the strongest items, which an event may reorder or push out,
    and a newer decay window rescales every score (exact for the ratios, not for log1p's)."""

    def __init__(self, layout: RedisLayout, version: int, rule: QueryRule):
        self._layout, self._version, self._rule = layout, version, rule
        self._users: list[str] = []
        self._start = 0
        self._read: list[_ReadState] = []

    def queue_reads(self, pipe: AnyPipeline, user_ids: Iterable[str]) -> None:
        self._users = list(dict.fromkeys(user_ids))
        self._start = len(pipe)
        for user in self._users:
            keys = self._state_keys(user)
            # EVAL by name, as in queue_history_update (a cluster pipeline's eval() refuses).
            pipe.execute_command("EVAL", _READ_QUERY_STATE, 2, *keys, self._rule.history_items)

    def queue_vector_reads(self, replies: Sequence[Any], pipe: AnyPipeline) -> int:
        """Queue the read of each user's products' CF query vectors; returns how many users."""
        answers = replies[self._start : self._start + len(self._users)]
        self._read = []
        for user, (digest, history, dismissed) in zip(self._users, answers, strict=True):
            pairs = [
                (as_text(p), float(w)) for p, w in zip(history[::2], history[1::2], strict=True)
            ]
            pushed = [as_text(d) for d in dismissed]
            # Dismissals enter the query only with a weight (QueryRule.query).
            ids = [p for p, _ in pairs] + (pushed if self._rule.dismiss_weight > 0 else [])
            read = _ReadState(user, digest, pairs, pushed, ids)
            self._read.append(read)
            keys = [self._layout.product(self._version, pid) for pid in read.vector_ids]
            fields = [CF_QUERY_FIELD] * len(keys)
            pipe.execute_command("EVAL", HGET_EACH, len(keys), *keys, *fields)
        return len(self._read)

    def queue_writes(self, vector_replies: Sequence[Any], pipe: AnyPipeline) -> int:
        """Queue the CAS write of each user's vector; returns how many were queued."""
        for read, raws in zip(self._read, vector_replies, strict=True):
            vectors = _present(read.vector_ids, raws)
            query = self._rule.query(read.history, vectors, read.dismissed)
            blob = b"" if query is None else self._rule.encode(query)
            key = self._layout.query_vector(self._version, read.user)
            pipe.execute_command("EVAL", _WRITE_QUERY, 3, *self._state_keys(read.user), key,
                                 self._rule.history_items, read.digest, blob)  # fmt: skip
        return len(self._read)

    def _state_keys(self, user_id: str) -> tuple[str, str]:
        return self._layout.history(self._version, user_id), self._layout.dismissed(user_id)


def execute_with_refresh(
    state: redis.Redis | redis.RedisCluster,
    catalog: redis.Redis,
    pipe: Any,
    refresh: QueryRefresh,
    user_ids: Iterable[str],
) -> list[Any]:
    """Run a sync pipeline of history updates on `state` with the reads of `refresh` after
    them, then the vector reads on `catalog` and the query vector writes; returns the
    pipeline's replies."""
    refresh.queue_reads(pipe, user_ids)
    replies = pipe.execute()
    reads = catalog.pipeline(transaction=False)
    if refresh.queue_vector_reads(replies, reads):
        writes = state.pipeline(transaction=False)
        refresh.queue_writes(reads.execute(), writes)
        writes.execute()
    return replies


async def execute_with_refresh_async(
    state: Any,
    catalog: redis.asyncio.Redis,
    pipe: Any,
    refresh: QueryRefresh,
    user_ids: Iterable[str],
) -> list[Any]:
    """`execute_with_refresh` on async clients (the live feedback path)."""
    refresh.queue_reads(pipe, user_ids)
    replies = await pipe.execute()
    reads = catalog.pipeline(transaction=False)
    if refresh.queue_vector_reads(replies, reads):
        writes = state.pipeline(transaction=False)
        refresh.queue_writes(await reads.execute(), writes)
        await writes.execute()
    return list(replies)


def _present(ids: Sequence[Any], raws: Sequence[Any]) -> dict[str, np.ndarray]:
    return {
        as_text(pid): np.frombuffer(raw, dtype=np.float32)
        for pid, raw in zip(ids, raws, strict=True)
        if raw
    }
