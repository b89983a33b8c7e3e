"""The cap and MMR selection (service/recommend/diversify.py) on hand-made lists and vectors."""

from __future__ import annotations

import numpy as np

from service.recommend.base import Scored
from service.recommend.diversify import (
    MAX_CANDIDATES,
    candidates_for,
    diversified,
    full_categories,
)
from service.store.catalog_reader import ProductCard


def _item(pid: str, score: float, *categories: str) -> Scored:
    return Scored(pid, score, ProductCard(pid, categories, 1.0, None))


def _ids(items: list[Scored]) -> list[str]:
    return [s.product_id for s in items]


LIST = [
    _item("a1", 0.9, "A"),
    _item("a2", 0.8, "A"),
    _item("a3", 0.7, "A"),
    _item("b1", 0.6, "B"),
    _item("ab", 0.5, "A", "B"),
    _item("c1", 0.4, "C"),
    _item("b2", 0.3, "b"),  # the cap counts case-folded, as the category filter matches
]


def test_no_cap_and_no_diversity_is_the_given_order() -> None:
    assert _ids(diversified(LIST, 4, None, 0.0, {})) == ["a1", "a2", "a3", "b1"]


def test_the_cap_skips_products_of_a_full_category_and_fills_from_further_down() -> None:
    assert _ids(diversified(LIST, 4, 1, 0.0, {})) == ["a1", "b1", "c1"]
    assert _ids(diversified(LIST, 5, 2, 0.0, {})) == ["a1", "a2", "b1", "c1", "b2"]


def test_a_product_of_several_categories_counts_in_each() -> None:
    # "ab" would be the second B (fine) but the third A: it is left out.
    capped = diversified(LIST, 7, 2, 0.0, {})
    assert "ab" not in _ids(capped)
    counts: dict[str, int] = {}
    for item in capped:
        assert item.card is not None
        for c in {c.lower() for c in item.card.categories}:
            counts[c] = counts.get(c, 0) + 1
    assert max(counts.values()) <= 2
    # With room in both, it is admitted, and fills both.
    assert _ids(diversified([_item("ab", 0.9, "A", "B"), *LIST[:1], LIST[3]], 3, 1, 0.0, {})) == [
        "ab"
    ]


def test_scores_stay_the_strategys_and_never_rise_down_the_list() -> None:
    picked = diversified(LIST, 4, 1, 0.0, {})
    assert [s.score for s in picked] == [0.9, 0.6, 0.4]
    vectors = {"x": np.array([1.0, 0.0]), "y": np.array([1.0, 0.01]), "z": np.array([0.0, 1.0])}
    items = [_item("x", 0.9, "A"), _item("y", 0.85, "A"), _item("z", 0.5, "A")]
    mmr = diversified(items, 3, None, 0.8, vectors)
    assert _ids(mmr) == ["x", "z", "y"]
    assert [s.score for s in mmr] == [0.9, 0.5, 0.5]


def test_mmr_trades_relevance_for_dissimilarity_by_the_weight() -> None:
    # y is nearly x; z is orthogonal to both but less relevant.
    vectors = {"x": np.array([1.0, 0.0]), "y": np.array([0.99, 0.1]), "z": np.array([0.0, 1.0])}
    items = [_item("x", 1.0, "A"), _item("y", 0.9, "A"), _item("z", 0.6, "A")]
    assert _ids(diversified(items, 3, None, 0.0, vectors)) == ["x", "y", "z"]
    assert _ids(diversified(items, 3, None, 0.1, vectors)) == ["x", "y", "z"]
    assert _ids(diversified(items, 3, None, 0.5, vectors)) == ["x", "z", "y"]
    # The most diverse still starts from the most relevant.
    assert _ids(diversified(items, 2, None, 1.0, vectors)) == ["x", "z"]


def test_vectors_are_compared_by_direction_and_a_missing_one_is_like_nothing() -> None:
    vectors = {"x": np.array([2.0, 0.0]), "y": np.array([10.0, 0.5])}
    items = [_item("x", 1.0, "A"), _item("y", 0.9, "A"), _item("n", 0.8, "A")]
    # y points where x does (whatever its length); n has no vector, so no similarity.
    assert _ids(diversified(items, 2, None, 0.5, vectors)) == ["x", "n"]


def test_a_product_unlike_what_is_listed_gains_from_it() -> None:
    """The penalty is the similarity itself, negative ones included: after the first pick,
    a product pointing away from it (similarity -1) beats a more relevant one at right
    angles (0). Only before anything is picked is there no penalty at all."""
    vectors = {"a": np.array([1.0, 0.0]), "d": np.array([0.0, 1.0]), "c": np.array([-1.0, 0.0])}
    items = [_item("a", 1.0, "A"), _item("d", 0.4, "A"), _item("c", 0.0, "A")]
    # After a: c scores 0.5 * 0 + 0.5 * 1 = 0.5, d 0.5 * 0.4 - 0 = 0.2.
    assert _ids(diversified(items, 2, None, 0.5, vectors)) == ["a", "c"]


def test_mmr_and_the_cap_together() -> None:
    vectors = {pid: np.eye(7)[i] for i, pid in enumerate(_ids(LIST))}
    picked = diversified(LIST, 7, 1, 0.5, vectors)
    assert len(picked) == 3
    assert {s.product_id for s in picked} == {"a1", "b1", "c1"}


def test_short_and_empty_lists() -> None:
    assert diversified([], 5, 2, 0.5, {}) == []
    assert _ids(diversified(LIST[:2], 5, None, 1.0, {})) == ["a1", "a2"]
    same = [_item("p", 0.5, "A"), _item("q", 0.5, "B")]  # equal scores: relevance all 1
    assert _ids(diversified(same, 2, None, 0.3, {})) == ["p", "q"]


def test_candidates_widen_within_the_bound() -> None:
    assert candidates_for(10) == 30
    assert candidates_for(100) == MAX_CANDIDATES
    assert all(candidates_for(k) <= MAX_CANDIDATES for k in range(1, 101))


def test_a_later_round_continues_the_selection() -> None:
    first = diversified(LIST, 5, 1, 0.0, {})
    assert _ids(first) == ["a1", "b1", "c1"]
    assert full_categories(first, 1) == {"a", "b", "c"}
    more = [_item("d1", 0.35, "D"), _item("c2", 0.3, "C"), _item("e1", 0.2, "E")]
    assert _ids(diversified(more, 5, 1, 0.0, {}, first)) == ["a1", "b1", "c1", "d1", "e1"]
    # MMR compares the new candidates with what is already picked: y is a1 again.
    vectors = {"a1": np.array([1.0, 0.0]), "y": np.array([1.0, 0.0]), "z": np.array([0.0, 1.0])}
    later = [_item("y", 0.3, "Y"), _item("z", 0.2, "Z")]
    assert _ids(diversified(later, 2, None, 0.6, vectors, first[:1])) == ["a1", "z"]


def test_a_later_round_leaves_the_full_categories_out_of_the_knn_and_the_popular_list() -> None:
    from service.recommend.filters import admits
    from service.store.vector_search import SearchFilter

    flt = SearchFilter(price_max=50.0, without=frozenset({"garden", "sports & outdoors"}))
    assert (
        str(flt.expression())
        == "(@price:[-inf 50.0] (-@category:{garden|sports\\ \\&\\ outdoors}))"
    )
    card = ProductCard("t", ("Books", "Garden"), 10.0, None)  # either category full: out
    assert not admits(flt, card)
    assert admits(flt, ProductCard("t", ("Books",), 10.0, None))
