"""/recommend/ab: sticky variants, the configured split, impressions and actions per variant."""

from __future__ import annotations

from collections import Counter

import pytest
from litestar.testing import TestClient

from tests.integration.api.conftest import PRODUCT, ids


def test_variant_is_sticky_and_answers_like_that_arm(api: TestClient) -> None:
    user = "U00007"
    variants = {api.get(f"/recommend/ab?user_id={user}").json()["variant"] for _ in range(3)}
    assert len(variants) == 1
    ab = api.get(f"/recommend/ab?user_id={user}&product_id={PRODUCT}").json()
    if ab["variant"] == "content":
        assert ids(ab) == ids(api.get(f"/recommend/content/{PRODUCT}").json())
    else:
        hybrid = api.get(f"/recommend/hybrid?user_id={user}&product_id={PRODUCT}").json()
        assert ids(ab) == ids(hybrid)


def test_impressions_and_actions_are_counted_per_variant(api: TestClient) -> None:
    users = [f"U{i:05d}" for i in range(1, 41)]
    seen: dict[str, str] = {}
    for user in users:
        body = api.get(f"/recommend/ab?user_id={user}&top_k=3").json()
        seen[user] = body["variant"]
    shown = Counter(seen.values())
    assert set(shown) == {"content", "hybrid"}, "40 users land in both arms"
    clickers = users[:10]
    for user in clickers:
        # A second look the same day: the same arm, and no second impression.
        assert api.get(f"/recommend/ab?user_id={user}&top_k=3").json()["variant"] == seen[user]
        for action in ("click", "clicked", "add_to_cart", "view"):
            response = api.post(
                "/feedback", json={"user_id": user, "product_id": PRODUCT, "action": action}
            )
            assert response.status_code == 200
    api.post("/feedback", json={"user_id": users[-1], "product_id": PRODUCT, "action": "purchase"})
    # A user never shown the experiment is not credited to any arm.
    api.post("/feedback", json={"user_id": "U02999", "product_id": PRODUCT, "action": "click"})

    report = api.get("/ab/report").json()
    by_variant = {v["variant"]: v for v in report["variants"]}
    clicked = Counter(seen[u] for u in clickers)
    for variant, row in by_variant.items():
        assert row["impressions"] == shown[variant]
        assert row["clicks"] == 2 * clicked[variant]  # "click" and "clicked"
        assert row["add_to_cart"] == clicked[variant]
        assert row["purchases"] == (1 if seen[users[-1]] == variant else 0)
        assert row["ctr"] == row["clicks"] / row["impressions"]
        low, high = row["ctr_ci95"]
        assert 0 <= low <= row["ctr"] <= high <= 1
    assert 0 <= report["p_value"] <= 1


def test_report_before_any_impression_has_no_p_value(api: TestClient) -> None:
    report = api.get("/ab/report").json()
    assert all(v["impressions"] == 0 and v["ctr"] == 0 for v in report["variants"])
    assert report["p_value"] is None


def test_200_calls_by_one_user_count_one_impression(api: TestClient) -> None:
    """The rigging attack: scripted calls (cached or not) once moved the report to CTR 0.78
    vs 0.0. A user counts one impression per experiment per day."""
    variants = set()
    for i in range(200):
        body = api.get(f"/recommend/ab?user_id=U00011&top_k={1 + i % 20}").json()
        variants.add(body["variant"])
    report = api.get("/ab/report").json()
    by_variant = {v["variant"]: v["impressions"] for v in report["variants"]}
    (variant,) = variants
    assert by_variant[variant] == 1
    assert sum(by_variant.values()) == 1


def test_report_answers_when_clicks_outnumber_impressions(api: TestClient) -> None:
    variant = api.get("/recommend/ab?user_id=U00012").json()["variant"]
    for _ in range(3):
        body = {"user_id": "U00012", "product_id": PRODUCT, "action": "click"}
        assert api.post("/feedback", json=body).status_code == 200
    response = api.get("/ab/report")
    assert response.status_code == 200
    row = {v["variant"]: v for v in response.json()["variants"]}[variant]
    assert row["impressions"] == 1 and row["clicks"] == 3
    assert row["ctr"] == 3.0
    assert row["ctr_ci95"][1] == pytest.approx(1.0)
