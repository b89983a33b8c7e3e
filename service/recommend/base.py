"""The one interface every recommendation strategy implements, and the values it passes.

Content, CF, hybrid and popularity strategies are `Recommender`s; the service layer, the A/B
experiment and the contract test (tests/integration/test_recommender_contract.py) only see this
interface (and never Redis).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from enum import Flag, auto
from typing import ClassVar

import numpy as np

from indexing.contract.index_schema import CONTENT_FIELD
from indexing.contract.settings import DEFAULT_SEEN_POLICY
from service.recommend.reasons import Reason
from service.store.catalog_reader import CatalogView, ProductCard

# The list lengths every endpoint and `shoprec evaluate --k` accept.
DEFAULT_TOP_K = 10
MAX_TOP_K = 100


# A value, never changed once made (`dataclasses.replace` makes another), but not frozen: a
# frozen dataclass is made through object.__setattr__ per field, 1.3 us against 0.17 us, and
# a capped answer makes over a hundred (a KNN hit each, a blended candidate each).
@dataclass(slots=True, unsafe_hash=True)
class Scored:
    product_id: str
    score: float
    # What an answer shows of the product; None only on candidates read without it (see
    # VectorSearch.knn), which a strategy reads the cards of before it answers.
    card: ProductCard | None = None
    # Why it is in the answer (service/recommend/reasons.py); every strategy sets it.
    reason: Reason | None = None
    # Its content vector, where a strategy read it with the card for a request MMR
    # diversifies (`RecommendRequest.mmr_field`), which spares the service a read.
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Based:
    """An answer with what it rests on, for endpoints that say it (together: "bought_with" or
    "similar_content"); None for the strategies whose answer needs no such word."""

    basis: str | None
    results: list[Scored]


class Around(Flag):
    """The ids of a request a strategy answers around."""

    NOTHING = 0
    USER = auto()
    PRODUCT = auto()


@dataclass(frozen=True)
class RecommendRequest:
    top_k: int
    user_id: str | None = None
    product_id: str | None = None
    category: str | None = None
    price_min: float | None = None
    price_max: float | None = None
    exclude: frozenset[str] = field(default_factory=frozenset)
    # The hybrid blend's weights; None: the served version's default (its tuned w_cf, or the
    # configured SHOPREC_W_CONTENT / SHOPREC_W_CF).
    w_content: float | None = None
    w_cf: float | None = None
    # What of the user's own history the answer leaves out (SEEN_POLICIES); the routes pass
    # the request's `exclude_seen` or SHOPREC_EXCLUDE_SEEN.
    exclude_seen: str = DEFAULT_SEEN_POLICY
    # Diversity controls, applied over the strategy's list (service/recommend/diversify.py):
    # at most this many products per category (None: no cap), and MMR's weight on
    # dissimilarity (0: the strategy's order).
    max_per_category: int | None = None
    diversity: float = 0.0
    # Categories the answer must not hold a product of: set by the service only, for the
    # category cap's later rounds (never a request parameter, so no part of the cache key).
    without_categories: frozenset[str] = frozenset()
    # The top_k the hybrid sizes its KNN searches for (None: top_k): set by the rules and the
    # diversity controls only, which ask for more results than the request's top_k
    # (ruled.rule_candidates, diversify.candidates_for) and find them in the blend of the
    # searches the request's own top_k calls for.
    knn_top_k: int | None = None

    @property
    def diversifies(self) -> bool:
        return self.max_per_category is not None or self.diversity > 0

    @property
    def mmr_field(self) -> str | None:
        """The vector field a strategy reads with its results for MMR to compare
        (`Scored.vector`): the content one where the request diversifies by MMR, else none."""
        return CONTENT_FIELD if self.diversity > 0 else None

    @property
    def mmr_vectors(self) -> tuple[str, ...]:
        """`mmr_field` as the fields to add to a read (none or one)."""
        return (self.mmr_field,) if self.mmr_field else ()

    def with_weights(self, w_content: float | None, w_cf: float | None) -> RecommendRequest:
        return replace(self, w_content=w_content, w_cf=w_cf)

    @property
    def around(self) -> Around:
        """Which ids the request carries."""
        carried = Around.NOTHING
        if self.user_id is not None:
            carried |= Around.USER
        if self.product_id is not None:
            carried |= Around.PRODUCT
        return carried


class Recommender(ABC):
    """A strategy: up to `request.top_k` distinct products, best first (scores descending).

    Every strategy keeps to one contract, which the contract test holds each one to: no id of
    `request.exclude` and none the user dismissed (a personalised one: none its
    `exclude_seen` policy leaves out); where it answers around a product, not that
    product, and ProductNotFound for an unknown one; a user it knows nothing about still gets
    an answer (popular products).
    """

    # A request must carry at least one of these ids (none: any request will do).
    around: ClassVar[Around]

    async def recommend(self, view: CatalogView, request: RecommendRequest) -> list[Scored]:
        self.check_around(request)
        return await self._recommend(view, request)

    def check_around(self, request: RecommendRequest) -> None:
        # The routes never send a request a strategy cannot answer; a caller that does has a
        # bug, which ValueError (422 at the HTTP edge) names.
        if self.around and not self.around & request.around:
            wanted = " or a ".join(f"{flag.name}_id".lower() for flag in self.around)
            raise ValueError(f"{type(self).__name__} needs a {wanted}")

    async def answer(self, view: CatalogView, request: RecommendRequest) -> Based:
        """`recommend` with its basis; a strategy whose answer has one overrides this."""
        return Based(None, await self.recommend(view, request))

    def candidates(self, view: CatalogView, request: RecommendRequest) -> Candidates:
        """The rounds of candidates `request` (one that keeps top_k of more) is chosen from."""
        return Candidates(self, view)

    @abstractmethod
    async def _recommend(self, view: CatalogView, request: RecommendRequest) -> list[Scored]:
        """`recommend` for a request that carries what `around` asks for."""


class Candidates:
    """The rounds of a strategy's candidates for one request that keeps `top_k` of more (the
    diversity controls: RecommendationService._answered): each round asks for candidates
    without what the earlier rounds took and the categories already full, and `explained`
    gives those kept their reasons. These rounds ask the strategy anew and their candidates
    come with their reasons; a strategy with reads worth keeping across rounds, or reasons
    worth working out only for the few kept of many, has its own."""

    def __init__(self, strategy: Recommender, view: CatalogView):
        self._strategy, self._view = strategy, view

    async def round(self, request: RecommendRequest) -> Based:
        return await self._strategy.answer(self._view, request)

    def explained(self, kept: list[Scored]) -> list[Scored]:
        """`kept` (candidates of any of the rounds), each with its reason."""
        return kept
