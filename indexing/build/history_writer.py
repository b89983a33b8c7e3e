"""Per-user histories and the popularity ranking, written for one catalog version.

Both are sums of interest: each event's weight decayed relative to the version's
`history_epoch` (see indexing.contract.event_decay; `interest_frame` computes it once).
History: sorted set product_id -> interest, capped at the N strongest items per user; the
service sums those items' CF query vectors, and the build stores that sum per user
(`BuildQueries`), so a request reads one vector instead. Bought and carted: sets of products
the user purchased or added to a cart (what SHOPREC_EXCLUDE_SEEN leaves out of that user's answers).
Popular: sorted set of the products with the most interest, for users with no history.

Both are bounded per (user, product) pair (settings.abuse): a pair's interest is at most a
cap in event-weight units at the time of the pair's latest event (the rule live feedback
follows, indexing.contract.history_update), so one user's flood of events on one product
moves that product's history score and popularity by no more than the cap.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import redis

from indexing.build.progress import Progress
from indexing.contract.event_decay import decayed
from indexing.contract.history_update import QueryRule
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.redis_text import as_text
from indexing.models.cf_model import CFVectors


def interest_frame(events: pd.DataFrame, epoch: float, half_life_days: float) -> pd.DataFrame:
    """The events with `weight` replaced by their interest relative to `epoch`, and `decay`
    the factor that took it there (1 at `epoch`)."""
    decay = decayed(np.ones(len(events)), events["ts"], epoch, half_life_days)
    return events.assign(weight=events["weight"].to_numpy(dtype=float) * decay, decay=decay)


def pair_interest(interest: pd.DataFrame, cap: float = math.inf) -> pd.DataFrame:
    """user_id, product_id, weight: each pair's summed interest, at most `cap` event-weight
    units at the time of its latest event (`cap` <= 0: unbounded)."""
    frame = interest[["user_id", "product_id", "weight", "decay"]]
    pairs = frame.groupby(["user_id", "product_id"], sort=False, as_index=False).agg(
        weight=("weight", "sum"), decay=("decay", "max")
    )
    if 0 < cap < math.inf:
        pairs["weight"] = np.minimum(pairs["weight"], cap * pairs["decay"])
    return pairs[["user_id", "product_id", "weight"]]


def user_histories(interest: pd.DataFrame, max_items: int, cap: float = math.inf) -> pd.DataFrame:
    """user_id, product_id, weight: each user's `max_items` strongest products."""
    summed = pair_interest(interest, cap)
    summed = summed.sort_values(["user_id", "weight"], ascending=[True, False], kind="stable")
    return summed[summed.groupby("user_id").cumcount() < max_items]


def write_histories(
    client: redis.Redis,
    layout: RedisLayout,
    version: int,
    interest: pd.DataFrame,
    max_items: int,
    max_interest: float,
    batch_users: int = 500,
    quiet: bool = False,
    queries: BuildQueries | None = None,
) -> int:
    """Write history, bought and carted keys (each pair's interest at most `max_interest`)
    and, with `queries`, each user's CF query vector; returns the number of users written."""
    histories = user_histories(interest, max_items, max_interest)
    bought = _products_by_user(interest, "purchase")
    carted = _products_by_user(interest, "add_to_cart")
    grouped = list(histories.groupby("user_id", sort=False))
    progress = Progress("user histories", len(grouped), quiet=quiet)
    for start in range(0, len(grouped), batch_users):
        batch = [(str(user_id), rows) for user_id, rows in grouped[start : start + batch_users]]
        dismissed = _dismissed(client, layout, [user for user, _ in batch]) if queries else {}
        pipe = client.pipeline(transaction=False)
        for user, rows in batch:
            weights = dict(zip(rows["product_id"], rows["weight"], strict=True))
            pipe.zadd(layout.history(version, user), weights)
            if user in bought:
                pipe.sadd(layout.bought(version, user), *bought[user])
            if user in carted:
                pipe.sadd(layout.carted(version, user), *carted[user])
            query = queries.vector(weights, dismissed[user]) if queries else None
            if queries and query is not None:
                pipe.set(layout.query_vector(version, user), queries.rule.encode(query))
        pipe.execute()
        progress.advance(len(batch))
    return len(grouped)


class BuildQueries:
    """Each user's stored CF query vector (RedisLayout.query_vector) as the build writes it:
    QueryRule.query over the history in the order Redis answers it (score, then id,
    descending) and the item vectors the product hashes get, so it is, bit for bit, what the
    service would compute per request from what the build wrote."""

    def __init__(self, cf: CFVectors, rule: QueryRule):
        self._row = {pid: i for i, pid in enumerate(cf.item_ids)}
        self._query, self.rule = cf.query, rule

    def vector(self, weights: dict[str, float], dismissed: frozenset[str]) -> np.ndarray | None:
        history = sorted(
            ((str(p), float(w)) for p, w in weights.items()),
            key=lambda kv: (kv[1], kv[0]),
            reverse=True,
        )
        wanted = {pid for pid, _ in history} | dismissed
        vectors = {pid: self._query[self._row[pid]] for pid in wanted if pid in self._row}
        return self.rule.query(history, vectors, dismissed)


def _dismissed(
    client: redis.Redis, layout: RedisLayout, users: list[str]
) -> dict[str, frozenset[str]]:
    """Each user's dismissed products (unversioned: they outlive builds)."""
    pipe = client.pipeline(transaction=False)
    for user in users:
        pipe.smembers(layout.dismissed(user))
    return {
        user: frozenset(as_text(p) for p in members)
        for user, members in zip(users, pipe.execute(), strict=True)
    }


def _products_by_user(interest: pd.DataFrame, action: str) -> dict[str, list[str]]:
    """user_id -> the products of their `action` events (each once)."""
    rows = interest.loc[interest["interaction_type"] == action, ["user_id", "product_id"]]
    return rows.drop_duplicates().groupby("user_id")["product_id"].agg(list).to_dict()


def write_popularity(
    client: redis.Redis,
    layout: RedisLayout,
    version: int,
    interest: pd.DataFrame,
    max_items: int,
    max_per_user: float,
) -> int:
    """Write the `max_items` products with the most interest, each user counting at most
    `max_per_user` per product; returns how many."""
    totals = popularity_totals(interest, max_items, max_per_user)
    if len(totals):
        client.zadd(layout.popular(version), totals.to_dict())
    return len(totals)


def popularity_totals(
    interest: pd.DataFrame, max_items: int, max_per_user: float = math.inf
) -> pd.Series:
    """product_id -> summed interest of the `max_items` most popular products, best first,
    each user counting at most `max_per_user` per product."""
    pairs = pair_interest(interest, max_per_user)
    return pairs.groupby("product_id")["weight"].sum().nlargest(max_items)
