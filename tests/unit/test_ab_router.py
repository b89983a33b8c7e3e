"""A/B assignment: the configured split over many users, sticky per user."""

from __future__ import annotations

from collections import Counter

import pytest

from service.experiments.ab_router import Split, assign_variant, bucket

USERS = [f"U{i:05d}" for i in range(10_000)]


def test_default_split_is_within_3_points_of_50_50_over_10000_users() -> None:
    split = Split.parse("content:50,hybrid:50")
    counts = Counter(assign_variant("content-vs-hybrid", user, split) for user in USERS)
    assert set(counts) == {"content", "hybrid"}
    assert abs(counts["content"] / len(USERS) - 0.5) <= 0.03


def test_uneven_split_follows_its_shares() -> None:
    split = Split.parse("a:80,b:10,c:10")
    counts = Counter(assign_variant("exp", user, split) for user in USERS)
    assert abs(counts["a"] / len(USERS) - 0.8) <= 0.03
    assert abs(counts["b"] / len(USERS) - 0.1) <= 0.03


def test_variant_is_sticky_per_user() -> None:
    first = [assign_variant("exp", u, Split.parse("content:50,hybrid:50")) for u in USERS[:500]]
    again = [assign_variant("exp", u, Split.parse("content:50,hybrid:50")) for u in USERS[:500]]
    assert first == again


def test_experiments_are_independent() -> None:
    """Another experiment name reshuffles users (md5 of the name and the user)."""
    split = Split.parse("content:50,hybrid:50")
    one = [assign_variant("exp-1", u, split) for u in USERS[:1000]]
    two = [assign_variant("exp-2", u, split) for u in USERS[:1000]]
    agree = sum(a == b for a, b in zip(one, two, strict=True))
    assert 400 < agree < 600


def test_bucket_is_md5_of_experiment_and_user() -> None:
    # md5("exp:U00001") = 1a0b... computed independently with hashlib.
    import hashlib

    digest = hashlib.md5(b"exp:U00001").hexdigest()
    assert bucket("exp", "U00001") == int(digest[:8], 16) % 10_000


def test_a_zero_share_variant_gets_no_users() -> None:
    split = Split.parse("content:100,hybrid:0")
    assert {assign_variant("exp", u, split) for u in USERS[:2000]} == {"content"}


@pytest.mark.parametrize("text", ["", "content", "content:x", "content:-1", "a:0,b:0"])
def test_bad_split_is_refused_with_a_message(text: str) -> None:
    with pytest.raises(ValueError, match="split"):
        Split.parse(text)
