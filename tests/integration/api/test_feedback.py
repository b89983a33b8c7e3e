"""POST /feedback changes the very next answer for that user (and only that user's cache)."""

from __future__ import annotations

import redis
from litestar.testing import TestClient

from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.experiments.ab_router import Split, assign_variant
from tests.integration.api.conftest import PRODUCT, ids

# Garden products the new user looks at (neighbours of P000001 in the demo catalog).
GARDEN = ["P000001", "P000002", "P000003", "P004389", "P000125"]


def _send(api: TestClient, user: str, product: str, action: str) -> None:
    response = api.post(
        "/feedback", json={"user_id": user, "product_id": product, "action": action}
    )
    assert response.status_code == 200, response.text


def test_feedback_goes_to_the_stream(
    api: TestClient, fresh_user: str, api_settings: Settings, redis_client: redis.Redis
) -> None:
    _send(api, fresh_user, PRODUCT, "clicked")
    stream = RedisLayout(api_settings.redis.key_prefix).feedback_stream
    last = redis_client.xrevrange(stream, count=1)[0][1]
    assert last[b"user_id"] == fresh_user.encode()
    assert last[b"product_id"] == PRODUCT.encode()
    assert last[b"action"] == b"click"  # the synonym is stored as the canonical word


def test_history_turns_a_new_user_from_popular_to_personal(
    api: TestClient, fresh_user: str
) -> None:
    url = f"/recommend/user/{fresh_user}"
    popular = api.get(url).json()
    assert api.get(url).json()["source"] == "cache"
    for product in GARDEN:
        _send(api, fresh_user, product, "view")
    personal = api.get(url).json()
    assert personal["source"] == "model", "feedback dropped the user's cached answers"
    assert ids(personal) != ids(popular)


def test_a_purchase_drops_the_item_from_the_next_answer(api: TestClient, fresh_user: str) -> None:
    for product in GARDEN:
        _send(api, fresh_user, product, "add_to_cart")
    url = f"/recommend/user/{fresh_user}?top_k=20"
    before = ids(api.get(url).json())
    bought = before[0]
    _send(api, fresh_user, bought, "purchase")
    after = api.get(url).json()
    assert after["source"] == "model"
    assert bought not in ids(after)
    assert len(after["results"]) == 20


def test_a_dismissed_item_is_gone_from_every_later_list_for_that_user(
    api: TestClient, fresh_user: str
) -> None:
    for product in GARDEN:
        _send(api, fresh_user, product, "click")
    user_url = f"/recommend/user/{fresh_user}?top_k=50"
    hybrid_url = f"/recommend/hybrid?user_id={fresh_user}&product_id={PRODUCT}&top_k=50"
    ab_url = f"/recommend/ab?user_id={fresh_user}&product_id={PRODUCT}&top_k=50"
    user_list, hybrid_list = ids(api.get(user_url).json()), ids(api.get(hybrid_url).json())
    ab_list = ids(api.get(ab_url).json())
    # Something that is on the lists now: after the dismissal it must be on none of them.
    dismissed = next(p for p in hybrid_list if p in user_list and p in ab_list)
    _send(api, fresh_user, dismissed, "dismiss")
    # The user's cached answers went with the feedback. (The A/B hybrid arm may then be served
    # the hybrid answer just computed: same user, same parameters.)
    assert api.get(user_url).json()["source"] == "model"
    assert api.get(hybrid_url).json()["source"] == "model"
    for url in (user_url, hybrid_url, ab_url):
        assert dismissed not in ids(api.get(url).json()), url


def test_dismissal_hides_the_item_in_both_ab_arms(
    api: TestClient, api_settings: Settings, fresh_user: str
) -> None:
    split = Split.parse(api_settings.ab.split)
    for arm in split.variants:
        user = next(
            f"{fresh_user}-{i}"
            for i in range(1000)
            if assign_variant(api_settings.ab.experiment, f"{fresh_user}-{i}", split) == arm
        )
        url = f"/recommend/ab?user_id={user}&product_id={PRODUCT}&top_k=10"
        first = api.get(url).json()
        assert first["variant"] == arm
        hidden = first["results"][0]["product_id"]
        _send(api, user, hidden, "dismiss")
        assert hidden not in ids(api.get(url).json())


def test_feedback_for_one_user_leaves_others_cache_alone(api: TestClient, fresh_user: str) -> None:
    api.get(f"/recommend/content/{PRODUCT}")
    api.get("/recommend/user/U00008")
    _send(api, fresh_user, PRODUCT, "view")
    assert api.get(f"/recommend/content/{PRODUCT}").json()["source"] == "cache"
    assert api.get("/recommend/user/U00008").json()["source"] == "cache"


def test_ts_may_be_given_or_left_out(api: TestClient, fresh_user: str) -> None:
    for ts in ("2026-11-26T12:00:00Z", "2026-11-26T12:00:00+01:00", "2026-11-26"):
        response = api.post(
            "/feedback",
            json={"user_id": fresh_user, "product_id": PRODUCT, "action": "view", "ts": ts},
        )
        assert response.status_code == 200, ts
