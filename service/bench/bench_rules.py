"""The merchandising rules the benchmark's `hybrid-rules` cell runs under: one of each kind
that ranks (a boost of the commonest category, a bury of the cheapest tenth, a filter of the
dearest tenth), chosen from the catalogue's own sampled products, kept in Redis only while
that cell runs."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import redis

from indexing.contract.redis_layout import RedisLayout
from service.recommend.rules import Rule
from service.store.catalog_reader import categories_of, price_of
from service.store.rules_store import change_rules

# KeptRules re-reads the generation once a second per worker (service/store/rules_store.py).
RULES_SEEN_AFTER_S = 1.5


def bench_rules(
    client: redis.Redis, layout: RedisLayout, version: int, product_ids: Sequence[str]
) -> list[Rule]:
    """Three rules that each touch some of the sampled products."""
    with client.pipeline(transaction=False) as pipe:
        for pid in product_ids:
            pipe.hmget(layout.product(version, pid), ("category", "price"))
        rows = pipe.execute()
    categories = Counter(c for category, _ in rows for c in categories_of(category))
    prices = [p for _, raw in rows if (p := price_of(raw)) is not None]
    rules = []
    if categories:
        top = categories.most_common(1)[0][0]
        rules.append(Rule(id="bench-boost", kind="boost", category=top, weight=0.3))
    if prices:
        low, high = (float(q) for q in np.quantile(prices, [0.1, 0.9]))
        rules.append(Rule(id="bench-bury", kind="bury", price_max=low, weight=0.2))
        rules.append(Rule(id="bench-filter", kind="filter", price_min=high))
    return rules


@contextmanager
def rules_in_force(client: redis.Redis, layout: RedisLayout, rules: list[Rule]) -> Iterator[None]:
    """The rules kept (and seen by every worker) for the block's length, then none."""
    change_rules(client, layout, lambda _kept: rules)
    time.sleep(RULES_SEEN_AFTER_S)
    try:
        yield
    finally:
        change_rules(client, layout, lambda _kept: [])
        time.sleep(RULES_SEEN_AFTER_S)
