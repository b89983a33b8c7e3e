"""Per-user histories and the popularity ranking, written for one catalog version.

Both are sums of interest: each event's weight decayed relative to the version's
`history_epoch` (see indexing.contract.event_decay; `interest_frame` computes it once).
History: sorted set product_id -> interest, capped at the N strongest items per user; the
service sums those items' CF query vectors. Bought: set of products the user purchased (left
out of that user's CF answers). Popular: sorted set of the products with the most interest,
for users with no history.
"""

from __future__ import annotations

import pandas as pd
import redis

from indexing.build.progress import Progress
from indexing.contract.event_decay import decayed_event_weights
from indexing.contract.redis_layout import RedisLayout


def interest_frame(events: pd.DataFrame, epoch: float, half_life_days: float) -> pd.DataFrame:
    """The events with `weight` replaced by their interest relative to `epoch`."""
    return events.assign(weight=decayed_event_weights(events, epoch, half_life_days))


def user_histories(interest: pd.DataFrame, max_items: int) -> pd.DataFrame:
    """user_id, product_id, weight: each user's `max_items` strongest products."""
    frame = interest[["user_id", "product_id", "weight"]]
    summed = frame.groupby(["user_id", "product_id"], sort=False, as_index=False)["weight"].sum()
    summed = summed.sort_values(["user_id", "weight"], ascending=[True, False], kind="stable")
    return summed[summed.groupby("user_id").cumcount() < max_items]


def write_histories(
    client: redis.Redis,
    layout: RedisLayout,
    version: int,
    interest: pd.DataFrame,
    max_items: int,
    batch_users: int = 500,
    quiet: bool = False,
) -> int:
    """Write history and bought keys; returns the number of users written."""
    histories = user_histories(interest, max_items)
    purchases = interest.loc[interest["interaction_type"] == "purchase", ["user_id", "product_id"]]
    bought = purchases.drop_duplicates().groupby("user_id")["product_id"].agg(list).to_dict()
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
        pending += 1
        if pending >= batch_users:
            pipe.execute()
            progress.advance(pending)
            pending = 0
    if pending:
        pipe.execute()
        progress.advance(pending)
    return grouped.ngroups


def write_popularity(
    client: redis.Redis, layout: RedisLayout, version: int, interest: pd.DataFrame, max_items: int
) -> int:
    """Write the `max_items` products with the most interest; returns how many."""
    totals = popularity_totals(interest, max_items)
    if len(totals):
        client.zadd(layout.popular(version), totals.to_dict())
    return len(totals)


def popularity_totals(interest: pd.DataFrame, max_items: int) -> pd.Series:
    """product_id -> summed interest of the `max_items` most popular products, best first."""
    return interest.groupby("product_id")["weight"].sum().nlargest(max_items)
