"""Feedback recorded while a full build ran, replayed into the new version after the swap.

A build folds the feedback stream up to the entry it saw when it started (kept in the meta as
`feedback_stream_id`). Events after that were applied by the service to the version live at
the time, the old one; replaying them into the new version's histories means a user's latest
actions survive the swap. Entries the service already applied to the new version (it follows
the swap within a second) carry that version number and are skipped.
"""

from __future__ import annotations

import redis

from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.history_update import (
    QueryRefresh,
    QueryRule,
    execute_with_refresh,
    queue_history_update,
)
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import EventWeights
from indexing.feedback.feedback_log import last_positions, read_entries


def replay_feedback(
    client: redis.Redis,
    layout: RedisLayout,
    meta: CatalogMeta,
    after: str,
    weights: EventWeights,
    rule: QueryRule,
    max_interest: float,
    state: redis.Redis | None = None,
    streams: int = 1,
) -> tuple[int, str]:
    """Apply entries after `after` to `meta.version` (trimming histories to
    `rule.history_items`) and rewrite the stored query vectors of their users; returns
    (entries applied, the positions read up to; `after` and it are positions texts over
    `streams` streams, see feedback_log). The stream and the histories are on `state`
    (REDIS_STATE_URL) where that is set, the product check and the trending counts on
    `client`."""
    state = client if state is None else state
    entries = list(read_entries(state, layout, after=after, count=streams))
    last = last_positions(entries, after, streams)
    pending = [e for e in entries if e.version != meta.version]
    if not pending:
        return 0, last
    check = client.pipeline(transaction=False)
    for entry in pending:
        check.exists(layout.product(meta.version, entry.product_id))
    present = check.execute()
    pipe = state.pipeline(transaction=False)
    counts = client.pipeline(transaction=False) if state is not client else None
    applied = 0
    by_action = weights.as_dict()
    users = []
    for entry, exists in zip(pending, present, strict=True):
        # Products removed from the catalog stay out of histories.
        if exists and queue_history_update(
            pipe, layout, meta, entry, by_action, rule.history_items, max_interest, counts
        ):
            applied += 1
            users.append(entry.user_id)
    execute_with_refresh(state, client, pipe, QueryRefresh(layout, meta.version, rule), users)
    if counts is not None:
        counts.execute()
    return applied, last
