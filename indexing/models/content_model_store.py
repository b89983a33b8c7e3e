"""A version's fitted content model in Redis, so `reindex` embeds new products into the same
space as the build did (the TF-IDF+SVD model itself; for sbert only its name and size)."""

from __future__ import annotations

import redis

from indexing.contract.redis_layout import RedisLayout

CONTENT_MODEL_FIELD = "content_model"


def store_content_model(
    client: redis.Redis, layout: RedisLayout, version: int, blob: bytes
) -> None:
    client.hset(layout.models(version), CONTENT_MODEL_FIELD, blob)


def load_content_model(client: redis.Redis, layout: RedisLayout, version: int) -> bytes | None:
    blob = client.hget(layout.models(version), CONTENT_MODEL_FIELD)
    if blob is None:
        return None
    return blob if isinstance(blob, bytes) else blob.encode()
