"""How deep a capped request's first round asks (service/recommend/cap_depth.py): learned from
the depths earlier capped requests needed, per endpoint and categories needed, within bounds."""

from __future__ import annotations

from service.recommend.cap_depth import (
    FILLED_SHARE,
    REFRESH_EVERY,
    WINDOW,
    CapDepth,
    CapWalk,
    depth_reached,
)
from service.recommend.diversify import MAX_CANDIDATES, candidates_for
from tests.unit.test_diversify import LIST, _item


def test_with_nothing_learned_it_asks_what_every_diversifying_request_asks() -> None:
    assert CapDepth().candidates("hybrid", 10, 2) == candidates_for(10)


def test_it_asks_as_deep_as_the_filled_share_of_recent_requests_needed() -> None:
    depth = CapDepth()
    # 97 requests, filled after 11 .. 107 candidates; the first and every REFRESH_EVERY-th
    # work the depth out again, so the last one did.
    needed = list(range(11, 12 + 6 * REFRESH_EVERY))
    for n in needed:
        depth.observe("hybrid", 10, 2, n)
    share_filled = sum(n <= depth.candidates("hybrid", 10, 2) for n in needed) / len(needed)
    assert FILLED_SHARE <= share_filled < FILLED_SHARE + 1.5 / len(needed)
    assert depth.candidates("hybrid", 10, 2) > candidates_for(10)


def test_the_depth_is_a_multiple_of_top_k() -> None:
    depth = CapDepth()
    for _ in range(REFRESH_EVERY):
        depth.observe("hybrid", 10, 2, 60)
    assert depth.candidates("hybrid", 10, 2) == 60
    assert depth.candidates("hybrid", 20, 4) == 120, "as many categories, twice as deep"


def test_endpoints_and_categories_needed_learn_apart() -> None:
    depth = CapDepth()
    for _ in range(REFRESH_EVERY):
        depth.observe("content", 10, 1, 90)
    assert depth.candidates("content", 10, 1) == 90
    assert depth.candidates("hybrid", 10, 1) == candidates_for(10)
    assert depth.candidates("content", 10, 5) == candidates_for(10)


def test_a_mixed_catalogue_never_asks_less_than_the_usual_candidates() -> None:
    depth = CapDepth()
    for _ in range(REFRESH_EVERY):
        depth.observe("hybrid", 10, 2, 10)
    assert depth.candidates("hybrid", 10, 2) == candidates_for(10)


def test_the_depth_is_bounded_whatever_was_seen() -> None:
    depth = CapDepth()
    for _ in range(REFRESH_EVERY):
        depth.observe("hybrid", 100, 1, 10_000)
    assert depth.candidates("hybrid", 100, 1) == MAX_CANDIDATES


def test_it_follows_a_change_within_its_window() -> None:
    depth = CapDepth()
    for _ in range(WINDOW):
        depth.observe("hybrid", 10, 2, 90)
    for _ in range(WINDOW):
        depth.observe("hybrid", 10, 2, 40)
    assert depth.candidates("hybrid", 10, 2) == 40


def test_depth_reached_is_one_past_the_last_candidate_taken() -> None:
    assert depth_reached(LIST, [LIST[0], LIST[3]]) == 4
    assert depth_reached(LIST, [LIST[5]]) == 6
    assert depth_reached(LIST, []) == 0
    assert depth_reached(LIST, [_item("elsewhere", 0.1, "Z")]) == 0


def test_a_request_filled_in_its_first_round_needed_as_deep_as_its_last_pick() -> None:
    walk = CapWalk(top_k=2)
    assert walk.needed(LIST, [LIST[0], LIST[3]]) == 4


def test_a_later_round_counts_the_first_rounds_candidates_and_their_rate_of_picks() -> None:
    walk = CapWalk(top_k=10)
    first = [_item(f"a{i}", 1.0 - i / 100, "A") for i in range(30)]
    walk.went_through(first, 2)  # two of 30 taken: the cap of 2 filled A
    second = [_item(f"b{i}", 0.5 - i / 100, f"B{i}") for i in range(30)]
    # The second round filled top_k at its 8th candidate: 38 deep at least, but the first
    # round took a pick per 15 candidates, so its list would have needed 150.
    assert walk.needed(second, second[:8]) == 150
    walk = CapWalk(top_k=10)
    walk.went_through(first, 9)
    assert walk.needed(second, second[:1]) == 34, "9 picks in 30: 10 in 34"
