"""Cache of recommendation answers in Redis.

Keys are deterministic from the endpoint and its sorted parameters (`content|product_id:P001|
top_k:10`) and live under the live version's prefix, so a rebuild retires every entry at once.
Personalised answers live in one hash per user (field = the key, per-field TTL with HEXPIRE),
so feedback drops all of a user's answers with one DEL and no answer is keyed without its user.
A cache that fails is logged and bypassed: the model answers instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from service.api.schemas import RecommendedItem
from service.store.catalog_reader import CatalogView

log = logging.getLogger(__name__)

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(list[RecommendedItem])


def cache_key(endpoint: str, params: Mapping[str, object]) -> str:
    """`endpoint|name:value|...` over the parameters that are set, sorted by name."""
    parts = [endpoint]
    for name in sorted(params):
        value = params[name]
        if isinstance(value, frozenset | set | list | tuple):
            value = ",".join(sorted(str(v) for v in value))
        # Unset parameters (None, "", no ids) leave no trace, so `?exclude=` and no exclude
        # share one entry.
        if value is None or value == "":
            continue
        parts.append(f"{name}:{value}")
    return "|".join(parts)


class AnswerCache:
    def __init__(self, client: aioredis.Redis, ttl_s: int):
        self._client = client
        self._ttl_s = ttl_s

    async def get(
        self, view: CatalogView, key: str, user_id: str | None
    ) -> list[RecommendedItem] | None:
        if self._ttl_s <= 0:
            return None
        try:
            if user_id is None:
                raw = await self._client.get(view.layout.cache_prefix(view.version) + key)
            else:
                raw = await self._client.hget(view.layout.user_cache(view.version, user_id), key)
            return _decoder.decode(raw) if raw else None
        except (RedisError, msgspec.DecodeError) as exc:
            # A broken cache must never break an answer: the model answers instead.
            log.warning("cache read failed, answering from the model: %s", exc)
            return None

    async def put(
        self, view: CatalogView, key: str, user_id: str | None, items: list[RecommendedItem]
    ) -> None:
        if self._ttl_s <= 0:
            return
        payload = _encoder.encode(items)
        try:
            if user_id is None:
                await self._client.set(
                    view.layout.cache_prefix(view.version) + key, payload, ex=self._ttl_s
                )
            else:
                name = view.layout.user_cache(view.version, user_id)
                pipe = self._client.pipeline(transaction=False)
                pipe.hset(name, key, payload)
                pipe.hexpire(name, self._ttl_s, key)
                # The hash itself must not outlive its longest field.
                pipe.expire(name, self._ttl_s, gt=True)
                pipe.expire(name, self._ttl_s, nx=True)
                await pipe.execute()
        except RedisError as exc:
            log.warning("cache write failed (answer still served): %s", exc)

    async def drop_user(self, view: CatalogView, user_id: str) -> None:
        await self._client.delete(view.layout.user_cache(view.version, user_id))
