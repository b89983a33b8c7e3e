"""Round trips to Redis per request, per strategy. The service is latency-tuned (a round trip
costs more than the work of most commands, see catalog_reader.py), so a change that adds one
shows up here; one that saves one lowers the number."""

from __future__ import annotations

import pytest
from redis.asyncio.connection import AbstractConnection

from indexing.contract.settings import Settings
from service.recommend.base import Recommender, RecommendRequest
from service.store.catalog_reader import CatalogView
from tests.support.recommenders import with_strategy

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
    """Counts writes to a Redis connection: one per command, one per pipeline."""
    count = [0]
    original = AbstractConnection.send_packed_command

    async def counting(self: AbstractConnection, *args: object, **kwargs: object) -> None:
        count[0] += 1
        await original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
    return count


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
