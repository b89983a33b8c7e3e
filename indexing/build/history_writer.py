"""Per-user histories and the popularity ranking, written for one catalog version.

Both are sums of interest: each event's weight decayed relative to the version's
`history_epoch` (see indexing.contract.event_decay; `interest_frame` computes it once).
History: sorted set product_id -> interest, capped at the N strongest items per user; the
service sums those items' CF query vectors. Bought and carted: sets of products the user
purchased or added to a cart (what SHOPREC_EXCLUDE_SEEN leaves out of that user's answers).
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
from indexing.contract.redis_layout import RedisLayout


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
) -> int:
    """Write history, bought and carted keys (each pair's interest at most `max_interest`);
    returns the number of users written."""
    histories = user_histories(interest, max_items, max_interest)
    bought = _products_by_user(interest, "purchase")
    carted = _products_by_user(interest, "add_to_cart")
    grouped = histories.groupby("user_id", sort=False)
    progress = Progress("user histories", grouped.ngroups, quiet=quiet)
    pipe = client.pipeline(transaction=False)
    pending = 0
    for user_id, rows in grouped:
        user = str(user_id)
        weights = dict(zip(rows["product_id"], rows["weight"], strict=True))
        pipe.zadd(layout.history(version, user), weights)
        if user in bought:
            pipe.sadd(layout.bought(version, user), *bought[user])
        if user in carted:
            pipe.sadd(layout.carted(version, user), *carted[user])
        pending += 1
        if pending >= batch_users:
            pipe.execute()
            progress.advance(pending)
            pending = 0
    if pending:
        pipe.execute()
        progress.advance(pending)
    return grouped.ngroups


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
