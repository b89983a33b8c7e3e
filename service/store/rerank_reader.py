"""What the service needs of a version to re-rank with it, read once when it first serves the
version: the model (RedisLayout.reranker) and the popularity ranking the features use."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from indexing.contract.redis_text import as_text
from indexing.contract.rerank_features import relative_popularity
from indexing.contract.rerank_model import RerankModel
from service.store.catalog_reader import CatalogView


@dataclass(frozen=True)
class VersionReranker:
    model: RerankModel
    popular: list[str]  # the popular products, best first
    popularity: dict[str, float]  # relative to the top product (the feature)
    per_side: int  # CF and content candidates the model was trained on


async def read_reranker(
    client: aioredis.Redis, view: CatalogView, popular_items: int
) -> VersionReranker | None:
    """The version's re-ranker; None where its build did not choose one (meta `rerank.on`)."""
    record = view.meta.params.get("rerank", {})
    if not record.get("on"):
        return None
    pipe = client.pipeline(transaction=False)
    pipe.get(view.layout.reranker(view.version))
    pipe.zrevrange(view.layout.popular(view.version), 0, popular_items - 1, withscores=True)
    text, ranked = await pipe.execute()
    if not text:
        return None
    popular = [(as_text(pid), float(score)) for pid, score in ranked]
    return VersionReranker(
        RerankModel.from_text(as_text(text)),
        [pid for pid, _ in popular],
        relative_popularity(popular),
        int(record["candidates_per_side"]),
    )
