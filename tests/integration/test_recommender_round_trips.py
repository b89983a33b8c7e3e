"""Round trips to Redis per request, per strategy. The service is latency-tuned (a round trip
costs more than the work of most commands, see catalog_reader.py), so a change that adds one
shows up here; one that saves one lowers the number."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import redis

from indexing.contract.index_schema import CONTENT_FIELD
from indexing.contract.redis_layout import RedisLayout
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


def test_the_hybrids_later_rounds_search_and_read_cards_only(
    demo_index: Settings, sent: list[int]
) -> None:
    """A request that keeps top_k of more (the category cap) asks the hybrid round by round
    (`Recommender.candidates`): the user's state, the product's vectors and the queries are
    read for the first round alone, and reasons are worked out for what is kept, true ones."""
    request = RecommendRequest(30, USER, PRODUCT, max_per_category=2, knn_top_k=10)

    async def work(strategy: Recommender, view: CatalogView) -> tuple[list[int], list[Scored]]:
        await strategy.recommend(view, request)  # connects and loads the scripts
        rounds = strategy.candidates(view, request)
        sent[0] = 0
        first = (await rounds.round(request)).results
        trips = [sent[0]]
        sent[0] = 0
        later = replace(
            request,
            exclude=frozenset(s.product_id for s in first),
            without_categories=frozenset({"garden"}),
        )
        second = (await rounds.round(later)).results
        trips.append(sent[0])
        assert all(s.reason is None for s in first + second), "not worked out yet"
        assert not {s.product_id for s in first} & {s.product_id for s in second}
        assert all("garden" not in s.card.category_keys for s in second if s.card)
        return trips, rounds.explained(first[:5] + second[:5])

    (first_trips, later_trips), kept = with_strategy(demo_index, "hybrid", work)
    # state, product and query vectors; both KNNs; cards -- then both KNNs; cards
    assert (first_trips, later_trips) == (3, 2)
    assert len(kept) == 10
    history = set(
        redis.Redis.from_url(demo_index.redis.url).zrange(_history_key(demo_index), 0, -1)
    )
    for item in kept:
        assert item.reason is not None, item.product_id
        named = item.reason.product_id
        assert named is None or named == PRODUCT or named.encode() in history, item.reason


def _history_key(settings: Settings) -> str:
    layout = RedisLayout(settings.redis.key_prefix)
    client = redis.Redis.from_url(settings.redis.url)
    return layout.history(int(client.hget(layout.meta, "version")), USER)
