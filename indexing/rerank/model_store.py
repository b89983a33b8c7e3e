"""The re-ranker model in Redis, beside the version it was trained for (RedisLayout.reranker),
so every worker and replica serving the version serves the same model. Written by the build
before the switch; the service reads it when it first serves the version
(service/store/rerank_reader.py)."""

from __future__ import annotations

import redis

from indexing.contract.redis_layout import RedisLayout


def store_model(client: redis.Redis, layout: RedisLayout, version: int, text: str) -> None:
    client.set(layout.reranker(version), text)
