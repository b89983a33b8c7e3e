"""The merchandising rules' arithmetic and checks, without Redis (service/recommend/rules.py);
tests/integration/api/test_rules.py has them over the real app."""

from __future__ import annotations

import pytest

from service.recommend.base import Scored
from service.recommend.reasons import PINNED, Reason
from service.recommend.rules import (
    LiveRules,
    Rule,
    RuleError,
    RuleSet,
    check,
    parse_rules,
    pinned,
    ranked,
)
from service.store.catalog_reader import ProductCard


def card(category: str = "Garden", price: float | None = 10.0) -> ProductCard:
    return ProductCard("t", (category,), price, None)


def items() -> list[Scored]:
    # Scores on an inner-product scale, one negative: a weight is relative to their range.
    return [
        Scored("A", 0.5, card("Garden", 10.0), Reason("history")),
        Scored("B", 0.2, card("Books", 50.0), Reason("history")),
        Scored("C", -0.1, card("Garden", None), Reason("history")),
    ]


def live(*rules: Rule) -> LiveRules:
    return RuleSet(1, tuple(check(r) for r in rules)).live(0.0)


def test_a_boost_of_weight_one_tops_every_candidate_even_a_negative_one() -> None:
    out, dropped = ranked(items(), live(Rule("b", "boost", product_id="C", weight=1.0)), 3)
    assert [s.product_id for s in out] == ["C", "A", "B"] and not dropped
    assert out[0].reason == Reason("boosted")


def test_a_bury_moves_down_and_keeps_the_reason() -> None:
    out, _ = ranked(items(), live(Rule("x", "bury", product_id="A", weight=0.6)), 3)
    assert [s.product_id for s in out] == ["B", "A", "C"]
    assert out[1].reason == Reason("history")


def test_filters_by_category_and_price_range() -> None:
    out, dropped = ranked(items(), live(Rule("f", "filter", category="garden")), 3)
    assert [s.product_id for s in out] == ["B"] and dropped == {"A", "C"}
    out, dropped = ranked(items(), live(Rule("f", "filter", price_min=20)), 3)
    # A product without a price matches no range.
    assert [s.product_id for s in out] == ["A", "C"] and dropped == {"B"}


def test_a_pin_takes_its_slot_and_the_scores_stay_best_first() -> None:
    pins = live(Rule("p", "pin", product_id="Z", position=1)).pins
    out = pinned(items(), pins, 3, {"Z": card()})
    assert [s.product_id for s in out] == ["Z", "A", "B"]
    assert out[0].reason is not None and out[0].reason.kind == PINNED
    scores = [s.score for s in out]
    assert scores == sorted(scores, reverse=True)
    # Past the end of the list: last; without a card (not to be shown): left out.
    assert [
        s.product_id
        for s in pinned(
            items(), live(Rule("p", "pin", product_id="Z", position=9)).pins, 5, {"Z": card()}
        )
    ][-1] == "Z"
    assert [s.product_id for s in pinned(items(), pins, 3, {})] == ["A", "B", "C"]


def test_time_windows() -> None:
    rule = check(
        Rule("w", "boost", category="x", start="2026-01-01T01:00:00+01:00", end="2026-02-01")
    )
    assert (rule.start, rule.end) == ("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")
    start = 1767225600.0  # 2026-01-01T00:00:00Z
    assert [rule.state(t) for t in (start - 1, start, start + 86400 * 31)] == [
        "waiting",
        "live",
        "ended",
    ]


def test_the_rules_in_force_are_worked_out_once_per_window_change() -> None:
    start = 1767225600.0  # 2026-01-01T00:00:00Z
    windowed = check(Rule("w", "boost", category="x", start="2026-01-01"))
    always = check(Rule("a", "filter", price_min=5))
    kept = RuleSet(3, (windowed, always))
    before, again = kept.live(start - 10), kept.live(start - 5)
    # The same rules in force: the same compiled object, not a new one per request.
    assert again is before and before.rules == (always,)
    opened = kept.live(start)
    assert opened.rules == (windowed, always) and opened.fingerprint == "3:a,w"
    assert opened.moves[0][:2] == (1.0, True)  # a boost of the default weight
    assert opened.filtered("P1", card(price=7.0)) and not opened.filtered("P1", card(price=4.0))


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (Rule("a", "promote", category="x"), "unknown kind"),
        (Rule("a", "boost"), "exactly one"),
        (Rule("a", "boost", category="x", product_id="P1"), "exactly one"),
        (Rule("a", "boost", category="x", weight=0), "weight"),
        (Rule("a", "boost", category="x", weight=10.5), "weight"),
        (Rule("a", "bury", category="x", weight=float("nan")), "weight"),
        (Rule("a", "pin", category="x", position=1), "product_id"),
        (Rule("a", "pin", product_id="P1", position=101), "position"),
        (Rule("a", "filter", category="x", position=1), "only a pin"),
        (Rule("a", "filter", price_min=5, price_max=1), "price_min"),
        (Rule("a", "filter", price_min=-1), ">= 0"),
        (Rule("a", "boost", category="x", start="2026-02-01", end="2026-01-01"), "before end"),
        (Rule("a b", "boost", category="x"), "rule id"),
    ],
)
def test_hostile_rules_are_refused(rule: Rule, words: str) -> None:
    with pytest.raises(RuleError, match=words):
        check(rule)


def test_rule_files() -> None:
    assert [r.id for r in parse_rules('[{"id":"a","kind":"filter","category":"x"}]', "json")] == [
        "a"
    ]
    with pytest.raises(RuleError, match="twice"):
        parse_rules(
            '{"rules":[{"id":"a","kind":"filter","category":"x"},{"id":"a","kind":"filter","category":"y"}]}',
            "json",
        )
    with pytest.raises(RuleError, match="CSV line 2"):
        parse_rules("id,kind,category,position\na,pin,x,first\n", "csv")
    with pytest.raises(RuleError, match="header"):
        parse_rules("id,colour\na,red\n", "csv")
