"""Every recommendation strategy held to the one contract of `service.recommend.base.Recommender`,
against a real Redis with the demo index built.

The strategies are the fields of `Recommenders`; a new one is one more line in STRATEGIES
(`test_every_strategy_is_held_to_the_contract` fails until it is there).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import fields, replace
from typing import get_type_hints

import pytest
import redis

from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.errors import ProductNotFound
from service.recommend.base import Around, Recommender, RecommendRequest
from service.recommend.service import Recommenders
from tests.support.knn_spy import spy_knn_sizes
from tests.support.recommenders import recommend

STRATEGIES = [
    "content",
    "cf",
    "hybrid",
    "popular",
    "together",
]

# Real ids of the demo data: U00007 has a history; P000001 is a Garden planter.
USER = "U00007"
PRODUCT = "P000001"
UNKNOWN_PRODUCT = "P999999"


def around(name: str) -> Around:
    return get_type_hints(Recommenders)[name].around


PRODUCT_STRATEGIES = [name for name in STRATEGIES if Around.PRODUCT in around(name)]
OTHER_STRATEGIES = [name for name in STRATEGIES if name not in PRODUCT_STRATEGIES]


def request_for(name: str, user_id: str, top_k: int) -> RecommendRequest:
    """A request for the user, and around PRODUCT where the strategy answers around products."""
    product_id = PRODUCT if name in PRODUCT_STRATEGIES else None
    return RecommendRequest(top_k, user_id, product_id)


@pytest.fixture(params=STRATEGIES)
def strategy(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def shopper(demo_index: Settings, redis_client: redis.Redis) -> Iterator[str]:
    """A user of this test alone with USER's history (the demo index is shared read-only)."""
    layout = RedisLayout(demo_index.redis.key_prefix)
    version = int(redis_client.hget(layout.meta, "version"))
    user = f"contract-{uuid.uuid4().hex[:10]}"
    history = redis_client.zrange(layout.history(version, USER), 0, -1, withscores=True)
    redis_client.zadd(layout.history(version, user), dict(history))
    yield user
    redis_client.delete(layout.history(version, user), layout.dismissed(user))


def test_every_strategy_is_held_to_the_contract() -> None:
    assert [f.name for f in fields(Recommenders)] == STRATEGIES
    assert all(issubclass(get_type_hints(Recommenders)[name], Recommender) for name in STRATEGIES)
    assert PRODUCT_STRATEGIES and OTHER_STRATEGIES


@pytest.mark.parametrize("top_k", [1, 7, 40])
def test_top_k_is_respected(demo_index: Settings, strategy: str, shopper: str, top_k: int) -> None:
    # The demo catalog fills any of these lists, so a short list is as wrong as a long one.
    (answer,) = recommend(demo_index, strategy, request_for(strategy, shopper, top_k))
    assert len(answer) == top_k


def test_ids_are_distinct_and_scores_descend(
    demo_index: Settings, strategy: str, shopper: str
) -> None:
    (answer,) = recommend(demo_index, strategy, request_for(strategy, shopper, 60))
    ids = [s.product_id for s in answer]
    scores = [s.score for s in answer]
    assert len(answer) == 60
    assert len(set(ids)) == len(ids)
    assert scores == sorted(scores, reverse=True)


def test_excluded_and_dismissed_products_are_left_out(
    demo_index: Settings, redis_client: redis.Redis, strategy: str, shopper: str
) -> None:
    request = request_for(strategy, shopper, 10)
    (first,) = recommend(demo_index, strategy, request)
    # The two best products of the first answer: one excluded by the request, one dismissed.
    excluded, dismissed = first[0].product_id, first[1].product_id
    redis_client.sadd(RedisLayout(demo_index.redis.key_prefix).dismissed(shopper), dismissed)
    (again,) = recommend(demo_index, strategy, replace(request, exclude=frozenset({excluded})))
    ids = [s.product_id for s in again]
    assert excluded not in ids
    assert dismissed not in ids
    assert len(again) == request.top_k  # refilled, not just cut short


@pytest.mark.parametrize("name", PRODUCT_STRATEGIES)
def test_the_product_asked_about_is_left_out(demo_index: Settings, name: str) -> None:
    (answer,) = recommend(demo_index, name, RecommendRequest(20, product_id=PRODUCT))
    assert len(answer) == 20
    assert PRODUCT not in [s.product_id for s in answer]


@pytest.mark.parametrize("user_id", [None, USER])
@pytest.mark.parametrize("name", PRODUCT_STRATEGIES)
def test_an_unknown_product_is_product_not_found(
    demo_index: Settings, name: str, user_id: str | None
) -> None:
    with pytest.raises(ProductNotFound) as raised:
        recommend(demo_index, name, RecommendRequest(5, user_id, UNKNOWN_PRODUCT))
    assert raised.value.product_id == UNKNOWN_PRODUCT


@pytest.mark.parametrize("name", OTHER_STRATEGIES)
def test_a_strategy_not_around_products_ignores_an_unknown_one(
    demo_index: Settings, name: str
) -> None:
    (answer,) = recommend(demo_index, name, RecommendRequest(5, USER, UNKNOWN_PRODUCT))
    assert len(answer) == 5


def test_a_new_user_gets_an_answer(demo_index: Settings, strategy: str) -> None:
    # A product only where the strategy answers around nothing else (content).
    needs_product = around(strategy) == Around.PRODUCT
    new_user = f"never-seen-{uuid.uuid4().hex[:10]}"
    request = RecommendRequest(10, new_user, PRODUCT if needs_product else None)
    (answer,) = recommend(demo_index, strategy, request)
    assert len(answer) == 10


def test_a_request_without_what_the_strategy_answers_around_is_refused(
    demo_index: Settings, strategy: str
) -> None:
    bare = RecommendRequest(5)
    if not around(strategy):
        (answer,) = recommend(demo_index, strategy, bare)
        assert len(answer) == 5
        return
    with pytest.raises(ValueError, match="needs a"):
        recommend(demo_index, strategy, bare)


def test_every_product_comes_with_its_card(
    demo_index: Settings, redis_client: redis.Redis, strategy: str, shopper: str
) -> None:
    # What a shop's card shows is read with the answer, equal to the product's hash.
    layout = RedisLayout(demo_index.redis.key_prefix)
    version = int(redis_client.hget(layout.meta, "version"))
    (answer,) = recommend(demo_index, strategy, request_for(strategy, shopper, 12))
    assert len(answer) == 12
    for scored in answer:
        assert scored.card is not None
        stored = redis_client.hmget(
            layout.product(version, scored.product_id), "title", "category", "price", "img_url"
        )
        title, category, price, img_url = (v.decode() if v else None for v in stored)
        assert scored.card.title == title
        assert "|".join(scored.card.categories) == category
        assert scored.card.price == (float(price) if price else None)
        assert scored.card.img_url == img_url


@pytest.mark.parametrize(
    "request_",
    [
        RecommendRequest(10, "U00007", "P000001"),
        RecommendRequest(10, "U00007"),
        RecommendRequest(10, product_id="P000001"),
    ],
)
def test_the_rules_wider_hybrid_list_extends_the_plain_one(
    demo_index: Settings, request_: RecommendRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the rules rank among (2 x top_k, `knn_top_k` = top_k) comes from the same
    searches as the answer they would otherwise serve, and begins with it: the rules cost
    the hybrid no wider KNN."""
    searched = spy_knn_sizes(monkeypatch)
    plain, wider = recommend(
        demo_index, "hybrid", request_, replace(request_, top_k=20, knn_top_k=10)
    )
    assert len(wider) == 20
    assert [s.product_id for s in wider[:10]] == [s.product_id for s in plain]
    assert len(searched) == 2 and searched[0] == searched[1]
