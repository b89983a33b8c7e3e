"""SHOPREC_EXCLUDE_SEEN and `exclude_seen`: what of a user's own history their lists leave out,
against the real app and Redis. The shopper views one product, adds another to the cart and
buys a third (through POST /feedback); each policy must leave out exactly its share."""

from __future__ import annotations

import csv

import pytest
import redis
from litestar.testing import TestClient

from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.api.app import create_app
from tests.conftest import DATA_DIR
from tests.integration.api.conftest import PRODUCT, ids

LEFT_OUT = {
    "bought": {"bought"},
    "carted": {"bought", "carted"},
    "all": {"bought", "carted", "viewed"},
}


@pytest.fixture
def touched(api: TestClient, fresh_user: str) -> dict[str, str]:
    """The three best content neighbours of PRODUCT, viewed, carted and bought by the shopper:
    a content-only hybrid around PRODUCT would show all three unless a policy leaves them out."""
    near = ids(api.get(f"/recommend/content/{PRODUCT}?top_k=3").json())
    roles = dict(zip(("viewed", "carted", "bought"), near, strict=True))
    for role, action in (("viewed", "view"), ("carted", "add_to_cart"), ("bought", "purchase")):
        body = {"user_id": fresh_user, "product_id": roles[role], "action": action}
        assert api.post("/feedback", json=body).status_code == 200
    return roles


def around_product(api: TestClient, user: str, policy: str | None) -> list[str]:
    url = f"/recommend/hybrid?user_id={user}&product_id={PRODUCT}&w_content=1&w_cf=0&top_k=10"
    if policy is not None:
        url += f"&exclude_seen={policy}"
    answer = api.get(url)
    assert answer.status_code == 200, answer.text
    return ids(answer.json())


@pytest.mark.parametrize("policy", ["bought", "carted", "all"])
def test_each_policy_leaves_out_its_share_of_the_history(
    api: TestClient, fresh_user: str, touched: dict[str, str], policy: str
) -> None:
    shown = around_product(api, fresh_user, policy)
    assert len(shown) == 10  # refilled, not cut short
    for role, product in touched.items():
        assert (product not in shown) == (role in LEFT_OUT[policy]), (role, policy)


@pytest.mark.parametrize("policy", ["bought", "carted", "all"])
def test_the_user_endpoint_leaves_out_the_same(
    api: TestClient, fresh_user: str, touched: dict[str, str], policy: str
) -> None:
    answer = api.get(f"/recommend/user/{fresh_user}?top_k=50&exclude_seen={policy}")
    assert answer.status_code == 200
    shown = ids(answer.json())
    assert len(shown) == 50
    assert not {touched[role] for role in LEFT_OUT[policy]} & set(shown)


def test_the_ab_answer_follows_the_parameter(
    api: TestClient, fresh_user: str, touched: dict[str, str]
) -> None:
    # Without a product both arms answer through the hybrid, which applies the policy.
    answer = api.get(f"/recommend/ab?user_id={fresh_user}&top_k=50&exclude_seen=all")
    assert answer.status_code == 200
    assert len(ids(answer.json())) == 50
    assert not set(touched.values()) & set(ids(answer.json()))


@pytest.mark.parametrize("policy", ["carted", "all"])
def test_the_setting_is_the_default_of_the_parameter(
    api_settings: Settings,
    redis_client: redis.Redis,
    fresh_user: str,
    touched: dict[str, str],
    policy: str,
) -> None:
    with TestClient(app=create_app(api_settings.replace(serving={"exclude_seen": policy}))) as app:
        shown = around_product(app, fresh_user, None)
    for role, product in touched.items():
        assert (product not in shown) == (role in LEFT_OUT[policy]), (role, policy)


@pytest.mark.parametrize("value", ["none", "ALL", "viewed", ""])
def test_an_unknown_policy_is_a_422_that_lists_the_policies(api: TestClient, value: str) -> None:
    answer = api.get(f"/recommend/user/U00007?exclude_seen={value}")
    assert answer.status_code == 422
    assert "bought, carted, all" in answer.json()["detail"]


def test_the_build_writes_each_users_carted_products(
    demo_index: Settings, redis_client: redis.Redis, live_version: int
) -> None:
    carted: dict[str, set[str]] = {}
    with (DATA_DIR / "interactions.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            if row["interaction_type"] == "add_to_cart":
                carted.setdefault(row["user_id"], set()).add(row["product_id"])
    layout = RedisLayout(demo_index.redis.key_prefix)
    users = sorted(carted)[:25]
    for user in users:
        stored = {p.decode() for p in redis_client.smembers(layout.carted(live_version, user))}
        # Every carted product of the log; the shared demo index may hold live feedback too.
        assert stored >= carted[user], user
