"""Cache of recommendation answers in Redis.

Keys are the endpoint and a hash of a canonical encoding of its typed parameters (sorted JSON,
sha256 cut to 128 bits: `content:3f2a...`), so no parameter value can pose as another parameter
(a `|` or `:` in a value is just a character of a JSON string), and equal requests (the same
ids to exclude in any order or repeated) share one entry. They live under the live version's
prefix, so a rebuild retires every entry at once. Personalised answers live in one hash per
user (field = the key, per-field TTL with HEXPIRE), on the user state's Redis (REDIS_STATE_URL,
else the catalog's), so feedback drops all of a user's answers with one DEL and no answer is
keyed without its user. A cache that fails is logged and bypassed: the model answers instead."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping

import msgspec
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from service.api.schemas import RecommendedItem
from service.store.catalog_reader import CatalogView

log = logging.getLogger(__name__)


class CachedAnswer(msgspec.Struct, frozen=True, omit_defaults=True):
    """What one entry holds: the items, and the basis where the endpoint has one (together)."""

    results: list[RecommendedItem]
    basis: str | None = None


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(CachedAnswer)


# 32 hex digits = 128 bits of sha256: no two requests share an entry by accident.
KEY_HEX_DIGITS = 32


def cache_key(endpoint: str, params: Mapping[str, object]) -> str:
    """`endpoint:digest`, the digest over the parameters that are set, as sorted JSON."""
    canonical: dict[str, object] = {}
    for name, value in params.items():
        if isinstance(value, frozenset | set | list | tuple):
            value = sorted({str(v) for v in value})
        # Unset parameters (None, "", no ids) leave no trace, so `?exclude=` and no exclude
        # share one entry.
        if value is None or value == "" or value == []:
            continue
        canonical[name] = value
    encoded = json.dumps([endpoint, canonical], sort_keys=True, separators=(",", ":"))
    return f"{endpoint}:{hashlib.sha256(encoded.encode()).hexdigest()[:KEY_HEX_DIGITS]}"


class AnswerCache:
    def __init__(
        self,
        client: aioredis.Redis,
        ttl_s: int,
        max_answer_bytes: int,
        state: aioredis.Redis | None = None,
    ):
        self._client = client  # shared answers, beside the catalog
        self._state = state if state is not None else client  # the users' own hashes
        self._ttl_s = ttl_s
        # Larger answers are served uncached, so no request can make one entry huge.
        self._max_answer_bytes = max_answer_bytes

    async def get(self, view: CatalogView, key: str, user_id: str | None) -> CachedAnswer | None:
        if self._ttl_s <= 0:
            return None
        try:
            if user_id is None:
                raw = await self._client.get(view.layout.cached_answer(view.version, key))
            else:
                raw = await self._state.hget(view.layout.user_cache(view.version, user_id), key)
            return _decoder.decode(raw) if raw else None
        except (RedisError, msgspec.DecodeError) as exc:
            # A broken cache must never break an answer: the model answers instead.
            log.warning("cache read failed, answering from the model: %s", exc)
            return None

    async def put(
        self, view: CatalogView, key: str, user_id: str | None, answer: CachedAnswer
    ) -> None:
        if self._ttl_s <= 0:
            return
        payload = _encoder.encode(answer)
        if len(payload) > self._max_answer_bytes:
            return
        try:
            if user_id is None:
                await self._client.set(
                    view.layout.cached_answer(view.version, key), payload, ex=self._ttl_s
                )
            else:
                name = view.layout.user_cache(view.version, user_id)
                pipe = self._state.pipeline(transaction=False)
                pipe.hset(name, key, payload)
                pipe.hexpire(name, self._ttl_s, key)
                # The hash itself must not outlive its longest field.
                pipe.expire(name, self._ttl_s, gt=True)
                pipe.expire(name, self._ttl_s, nx=True)
                await pipe.execute()
        except RedisError as exc:
            log.warning("cache write failed (answer still served): %s", exc)

    async def drop_user(self, view: CatalogView, user_id: str) -> None:
        await self._state.delete(view.layout.user_cache(view.version, user_id))
