"""Cache keys: deterministic from the endpoint and its sorted, set parameters
(docs/architecture.md)."""

from __future__ import annotations

from service.store.answer_cache import cache_key


def test_key_matches_the_design_example() -> None:
    assert cache_key("content", {"product_id": "P001", "top_k": 10}) == (
        "content|product_id:P001|top_k:10"
    )


def test_parameter_order_does_not_matter() -> None:
    a = cache_key("hybrid", {"user_id": "U1", "product_id": "P1", "top_k": 5, "w_cf": 0.5})
    b = cache_key("hybrid", {"w_cf": 0.5, "top_k": 5, "product_id": "P1", "user_id": "U1"})
    assert a == b == "hybrid|product_id:P1|top_k:5|user_id:U1|w_cf:0.5"


def test_unset_parameters_leave_no_trace() -> None:
    plain = cache_key("content", {"product_id": "P1", "top_k": 10})
    assert (
        cache_key(
            "content",
            {"product_id": "P1", "top_k": 10, "category": None, "exclude": frozenset()},
        )
        == plain
    )
    assert cache_key("content", {"product_id": "P1", "top_k": 10, "category": ""}) == plain


def test_id_sets_are_sorted_so_their_order_does_not_matter() -> None:
    one = cache_key("content", {"product_id": "P1", "exclude": frozenset({"P9", "P3"})})
    two = cache_key("content", {"product_id": "P1", "exclude": ["P3", "P9"]})
    assert one == two == "content|exclude:P3,P9|product_id:P1"


def test_different_values_give_different_keys() -> None:
    assert cache_key("user", {"user_id": "U1", "top_k": 10}) != cache_key(
        "user", {"user_id": "U2", "top_k": 10}
    )
    assert cache_key("content", {"product_id": "P1"}) != cache_key("hybrid", {"product_id": "P1"})
