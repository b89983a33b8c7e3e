"""Round trips to Redis per request, per strategy. The service is latency-tuned (a round trip
costs more than the work of most commands, see catalog_reader.py), so a change that adds one
shows up here; one that saves one lowers the number."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import redis

from indexing.contract.index_schema import CONTENT_FIELD
from indexing.contract.settings import Settings
from service.recommend.base import Recommender, RecommendRequest, Scored
from service.store.catalog_reader import CatalogView
from tests.support.recommenders import with_strategy
from tests.support.round_trips import count_round_trips

USER = "U00007"  # a demo user with a history
NEW_USER = "nobody-round-trips"
PRODUCT = "P000001"

CASES = [
    # vector; KNN
    ("content", RecommendRequest(10, product_id=PRODUCT), 2),
    # vector and dismissals; KNN
    ("content", RecommendRequest(10, USER, PRODUCT), 2),
    # state and stored query vector; KNN without cards; cards and CF vectors, with the
    # strongest history items' vectors and titles (the reasons: which item each comes from)
    ("cf", RecommendRequest(10, USER), 3),
    # state; popular list; listings
    ("cf", RecommendRequest(10, NEW_USER), 3),
    # state, stored query and product vectors; both KNNs; cards (with what the reasons
    # compare and name)
    ("hybrid", RecommendRequest(10, USER, PRODUCT), 3),
    # state, stored query and the strongest items' content vectors; both KNNs; cards
    ("hybrid", RecommendRequest(10, USER), 3),
    # product vectors; both KNNs; titles
    ("hybrid", RecommendRequest(10, product_id=PRODUCT), 3),
    # state; popular list; listings
    ("hybrid", RecommendRequest(10, NEW_USER), 3),
    ("popular", RecommendRequest(10), 2),
    ("popular", RecommendRequest(10, USER), 3),
]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    return count_round_trips(monkeypatch)


@pytest.mark.parametrize(("name", "request_", "trips"), CASES)
def test_round_trips(
    demo_index: Settings, sent: list[int], name: str, request_: RecommendRequest, trips: int
) -> None:
    async def work(strategy: Recommender, view: CatalogView) -> int:
        # The first answer connects and loads the scripts; the second is a request like any.
        await strategy.recommend(view, request_)
        sent[0] = 0
        assert await strategy.recommend(view, request_)
        return sent[0]

    assert with_strategy(demo_index, name, work) == trips


MMR_CASES = [
    ("content", RecommendRequest(30, USER, PRODUCT)),
    ("cf", RecommendRequest(30, USER)),
    ("hybrid", RecommendRequest(30, USER, PRODUCT)),
    ("hybrid", RecommendRequest(30, USER)),
    ("together", RecommendRequest(30, product_id=PRODUCT)),
]


@pytest.mark.parametrize(("name", "request_"), MMR_CASES)
def test_mmr_vectors_come_with_the_candidates(
    demo_index: Settings, sent: list[int], name: str, request_: RecommendRequest
) -> None:
    """A request MMR diversifies gets each candidate's content vector in the reads it makes
    anyway: no round trip more, and the vector is the product's own."""
    mmr = replace(request_, diversity=0.3)

    async def work(
        strategy: Recommender, view: CatalogView
    ) -> tuple[list[int], list[Scored], CatalogView]:
        trips = []
        for request in (request_, mmr):
            await strategy.recommend(view, request)
            sent[0] = 0
            results = await strategy.recommend(view, request)
            trips.append(sent[0])
        return trips, results, view

    (plain, diversified), results, view = with_strategy(demo_index, name, work)
    assert diversified == plain
    assert len(results) == 30
    stored = redis.Redis.from_url(demo_index.redis.url)
    for item in results:
        assert item.vector is not None, item.product_id
        raw = stored.hget(view.product_key(item.product_id), CONTENT_FIELD)
        assert np.array_equal(item.vector, np.frombuffer(raw, np.float32))
