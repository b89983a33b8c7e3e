"""Cache keys: the endpoint and a hash of the sorted JSON of the typed parameters that are set
(docs/architecture.md, docs/security.md#cache-keys)."""

from __future__ import annotations

import hashlib
import json

from service.store.answer_cache import cache_key


def test_key_is_the_endpoint_and_128_bits_of_sha256_over_sorted_json() -> None:
    canonical = json.dumps(
        ["content", {"product_id": "P001", "top_k": 10}], sort_keys=True, separators=(",", ":")
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
    assert cache_key("content", {"top_k": 10, "product_id": "P001"}) == f"content:{digest}"


def test_parameter_order_does_not_matter() -> None:
    a = cache_key("hybrid", {"user_id": "U1", "product_id": "P1", "top_k": 5, "w_cf": 0.5})
    b = cache_key("hybrid", {"w_cf": 0.5, "top_k": 5, "product_id": "P1", "user_id": "U1"})
    assert a == b


def test_unset_parameters_leave_no_trace() -> None:
    plain = cache_key("content", {"product_id": "P1", "top_k": 10})
    unset = {"category": None, "exclude": frozenset(), "price_min": None}
    assert cache_key("content", {"product_id": "P1", "top_k": 10, **unset}) == plain
    assert cache_key("content", {"product_id": "P1", "top_k": 10, "category": ""}) == plain


def test_exclude_lists_are_sorted_and_deduplicated() -> None:
    one = cache_key("content", {"product_id": "P1", "exclude": frozenset({"P9", "P3"})})
    assert cache_key("content", {"product_id": "P1", "exclude": ["P3", "P9", "P3"]}) == one
    assert cache_key("content", {"product_id": "P1", "exclude": ("P9", "P3")}) == one


def test_no_value_can_pose_as_another_parameter() -> None:
    """The two poisonings of issue 15: a `|name:value` inside a value once made the key of
    another request."""
    assert cache_key(
        "content", {"product_id": "P1", "exclude": frozenset({"P004389|price_max:10.0"})}
    ) != cache_key(
        "content", {"product_id": "P1", "exclude": frozenset({"P004389"}), "price_max": 10.0}
    )
    assert cache_key(
        "content", {"product_id": "P1", "category": "Garden|price_min:100.0"}
    ) != cache_key("content", {"product_id": "P1", "category": "Garden", "price_min": 100.0})
    # A comma inside an id is not two ids; a number is not the string of its digits.
    assert cache_key("content", {"exclude": ["P1,P2"]}) != cache_key(
        "content", {"exclude": ["P1", "P2"]}
    )
    assert cache_key("content", {"category": "10"}) != cache_key("content", {"category": 10})


def test_different_values_give_different_keys() -> None:
    assert cache_key("user", {"user_id": "U1", "top_k": 10}) != cache_key(
        "user", {"user_id": "U2", "top_k": 10}
    )
    assert cache_key("content", {"product_id": "P1"}) != cache_key("hybrid", {"product_id": "P1"})
