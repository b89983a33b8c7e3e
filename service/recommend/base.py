"""The one interface every recommendation strategy implements, and the values it passes.

Content, CF, hybrid and popularity strategies are `Recommender`s; the HTTP layer and the A/B
router only see this interface (and never Redis).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

from service.store.catalog_reader import CatalogView

# The list lengths every endpoint and `shoprec evaluate --k` accept.
DEFAULT_TOP_K = 10
MAX_TOP_K = 100


@dataclass(frozen=True)
class Scored:
    product_id: str
    title: str
    score: float


@dataclass(frozen=True)
class RecommendRequest:
    top_k: int
    user_id: str | None = None
    product_id: str | None = None
    category: str | None = None
    price_min: float | None = None
    price_max: float | None = None
    exclude: frozenset[str] = field(default_factory=frozenset)
    w_content: float = 0.5
    w_cf: float = 0.5

    def with_weights(self, w_content: float, w_cf: float) -> RecommendRequest:
        return replace(self, w_content=w_content, w_cf=w_cf)


class Recommender(Protocol):
    async def recommend(self, view: CatalogView, request: RecommendRequest) -> list[Scored]:
        """Up to `request.top_k` distinct products, best first."""
        ...
