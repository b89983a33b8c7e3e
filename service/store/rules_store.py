"""The merchandising rules in Redis: one unversioned hash (RedisLayout.merch_rules) with the
rules as JSON and a generation bumped by every change, so they outlive a rebuild and every
worker reads the same ones.

The service reads them through `KeptRules`: parsed once per generation, the generation
re-read at most once a `refresh_s` (no round trip on most requests). `shoprec rules` writes
them through the sync functions below, each change one WATCHed MULTI/EXEC.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import redis
import redis.asyncio as aioredis

from indexing.contract.redis_layout import RedisLayout
from service.recommend.rules import Rule, RuleError, RuleSet, check_all, decode_rules, encode_rules

GENERATION = "generation"
RULES = "rules"


def _rule_set(generation: object, raw: object) -> RuleSet:
    rules = decode_rules(raw) if raw else []  # type: ignore[arg-type]
    return RuleSet(int(generation) if generation else 0, tuple(rules))  # type: ignore[call-overload]


class KeptRules:
    """The rules as this worker knows them: a change shows within `refresh_s`."""

    def __init__(self, client: aioredis.Redis, layout: RedisLayout, refresh_s: float = 1.0):
        self._client, self._key, self._refresh_s = client, layout.merch_rules, refresh_s
        self._rules = RuleSet()
        self._read_at = -float("inf")

    async def current(self) -> RuleSet:
        now = time.monotonic()
        if now - self._read_at > self._refresh_s:
            generation = await self._client.hget(self._key, GENERATION)
            if int(generation or 0) != self._rules.generation:
                self._rules = _rule_set(*await self._client.hmget(self._key, GENERATION, RULES))
            self._read_at = now
        return self._rules

    def forget(self) -> None:
        self._read_at = -float("inf")


def read_rules(client: redis.Redis, layout: RedisLayout) -> RuleSet:
    return _rule_set(*client.hmget(layout.merch_rules, GENERATION, RULES))


def change_rules(
    client: redis.Redis,
    layout: RedisLayout,
    change: Callable[[list[Rule]], list[Rule]],
) -> RuleSet:
    """Apply `change` to the kept rules and keep the result (checked, product ids known to
    the live version), bumping the generation; RuleError, and nothing written, when any
    rule is refused. Retried if another writer changed them meanwhile."""
    key = layout.merch_rules
    while True:
        with client.pipeline() as pipe:
            try:
                pipe.watch(key)
                kept = _rule_set(*pipe.hmget(key, GENERATION, RULES))
                rules = check_all(change(list(kept.rules)))
                _check_products(pipe, layout, rules)
                pipe.multi()
                pipe.hset(key, RULES, encode_rules(rules))
                pipe.hincrby(key, GENERATION, 1)
                pipe.execute()
                return RuleSet(kept.generation + 1, tuple(rules))
            except redis.WatchError:
                continue


def _check_products(client: redis.Redis, layout: RedisLayout, rules: Sequence[Rule]) -> None:
    """Every product id a rule names is in the live version's catalog."""
    named = sorted({r.product_id for r in rules if r.product_id is not None})
    if not named:
        return
    version = client.hget(layout.meta, "version")
    if version is None:
        raise RuleError("no live catalog to check the rules' product ids against (shoprec index)")
    known = [bool(client.exists(layout.product(int(version), pid))) for pid in named]
    unknown = [pid for pid, ok in zip(named, known, strict=True) if not ok]
    if unknown:
        shown = ", ".join(repr(pid) for pid in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise RuleError(f"unknown product id {shown}{more} (not in live version {int(version)})")
