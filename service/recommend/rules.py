"""Merchandising rules: boost, bury, pin and filter products by id, category or price range,
with a weight and an optional UTC time window (docs/merchandising.md).

Pure: what a rule is and how it is checked (`check`, `parse_rules`), and what the live rules
do to a scored candidate list (`ranked`: filters out, boosts and buries, re-sorts; `pinned`:
pinned products take their slots). The rules are kept in Redis (service/store/rules_store.py)
and applied by the service layer over any strategy's candidates (RecommendationService).

Arithmetic: a boost of weight w moves a score s to s + w * span, a bury to s - w * span,
where span is the range of the candidates' scores (max - min over the wider candidate list),
so a weight means the same on every strategy's scale: 1 puts a boosted product above every
unboosted candidate, 0.1 moves it a tenth of the range. Several rules on one product add up.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Annotated

import msgspec

from service.recommend.base import MAX_TOP_K, Scored
from service.recommend.reasons import BOOSTED, PINNED, Reason
from service.store.catalog_reader import ProductCard

BOOST, BURY, PIN, FILTER = "boost", "bury", "pin", "filter"
KINDS = (BOOST, BURY, PIN, FILTER)
MAX_WEIGHT = 10.0
MAX_RULES = 1000
RULE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
MAX_TEXT = 256
CSV_COLUMNS = (
    "id",
    "kind",
    "product_id",
    "category",
    "price_min",
    "price_max",
    "weight",
    "position",
    "start",
    "end",
)


class RuleError(ValueError):
    """A rule (or a rule file) that cannot be kept; the message says which and why."""


class Rule(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """One rule as it is kept, imported and listed. It matches by exactly one of
    product_id, category, or a price range (price_min and/or price_max)."""

    id: Annotated[str, msgspec.Meta(examples=["summer-garden"])]
    kind: Annotated[
        str,
        msgspec.Meta(
            description="boost, bury, pin (product_id only) or filter.", examples=["boost"]
        ),
    ]
    product_id: str | None = None
    category: Annotated[str | None, msgspec.Meta(examples=["Garden"])] = None
    price_min: float | None = None
    price_max: float | None = None
    weight: Annotated[
        float,
        msgspec.Meta(
            description=f"boost and bury: 0 < weight <= {MAX_WEIGHT:g}; the score moves up "
            "(boost) or down (bury) by weight x the range of the candidates' scores (1: above "
            "or below every other candidate)."
        ),
    ] = 1.0
    position: Annotated[
        int | None, msgspec.Meta(description=f"pin: the 1-based slot (1..{MAX_TOP_K}).")
    ] = None
    start: Annotated[
        str | None, msgspec.Meta(description="ISO-8601, UTC; absent: from now on.")
    ] = None
    end: Annotated[str | None, msgspec.Meta(description="ISO-8601, UTC; absent: no end.")] = None

    def live_at(self, now: float) -> bool:
        return self.state(now) == "live"

    def state(self, now: float) -> str:
        """live, waiting (its window has not started) or ended."""
        start, end = self.window()
        if now < start:
            return "waiting"
        return "ended" if now >= end else "live"

    def window(self) -> tuple[float, float]:
        """When it is in force, [start, end) in epoch seconds (unbounded: -inf or inf)."""
        start, end = _epoch(self.start), _epoch(self.end)
        return (-math.inf if start is None else start, math.inf if end is None else end)


Match = Callable[[str, ProductCard | None], bool]


def matcher(rule: Rule) -> Match:
    """The rule's test of a product (its id and card), with what it compares against worked
    out once: the live rules test every candidate of every ruled answer."""
    if rule.product_id is not None:
        wanted_id = rule.product_id
        return lambda product_id, _card: product_id == wanted_id
    if rule.category is not None:
        wanted = rule.category.lower()
        return lambda _id, card: card is not None and wanted in card.category_keys
    low = -math.inf if rule.price_min is None else rule.price_min
    high = math.inf if rule.price_max is None else rule.price_max
    return lambda _id, card: (
        card is not None and card.price is not None and low <= card.price <= high
    )


def _epoch(stamp: str | None) -> float | None:
    if stamp is None:
        return None
    return _utc(stamp).timestamp()


def _utc(stamp: str) -> datetime:
    """An ISO-8601 time as UTC (one without a zone is taken as UTC)."""
    parsed = datetime.fromisoformat(stamp.strip())
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def check(rule: Rule) -> Rule:
    """The rule, its times normalised to `...Z`; RuleError saying what is wrong."""
    where = f"rule {rule.id!r}"
    if not RULE_ID.match(rule.id):
        raise RuleError(f"rule id {rule.id!r}: 1..64 letters, digits or . _ : -")
    if rule.kind not in KINDS:
        raise RuleError(f"{where}: unknown kind {rule.kind!r}; use one of {', '.join(KINDS)}")
    ranged = rule.price_min is not None or rule.price_max is not None
    matchers = (rule.product_id is not None) + (rule.category is not None) + ranged
    if matchers != 1:
        raise RuleError(f"{where}: match by exactly one of product_id, category, price range")
    for name in ("product_id", "category"):
        value = getattr(rule, name)
        if value is not None and not (0 < len(value.strip()) <= MAX_TEXT):
            raise RuleError(f"{where}: {name} must be 1..{MAX_TEXT} characters")
    for name in ("price_min", "price_max"):
        value = getattr(rule, name)
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise RuleError(f"{where}: {name} must be a number >= 0, not {value!r}")
    low, high = rule.price_min, rule.price_max
    if low is not None and high is not None and low > high:
        raise RuleError(f"{where}: price_min must not exceed price_max")
    if rule.kind in (BOOST, BURY) and not (0 < rule.weight <= MAX_WEIGHT):
        raise RuleError(f"{where}: weight must be > 0 and <= {MAX_WEIGHT:g}, not {rule.weight!r}")
    if rule.kind == PIN:
        if rule.product_id is None:
            raise RuleError(f"{where}: a pin names one product_id")
        if rule.position is None or not (1 <= rule.position <= MAX_TOP_K):
            raise RuleError(f"{where}: a pin needs a position 1..{MAX_TOP_K}")
    elif rule.position is not None:
        raise RuleError(f"{where}: only a pin takes a position")
    times = {}
    for name in ("start", "end"):
        value = getattr(rule, name)
        if value is None:
            continue
        try:
            times[name] = _utc(value)
        except ValueError:
            raise RuleError(f"{where}: {name} {value!r} is not an ISO-8601 time") from None
    if "start" in times and "end" in times and times["start"] >= times["end"]:
        raise RuleError(f"{where}: start must be before end")
    stamps = {name: t.strftime("%Y-%m-%dT%H:%M:%SZ") for name, t in times.items()}
    return msgspec.structs.replace(rule, **stamps)


def check_all(rules: Sequence[Rule]) -> list[Rule]:
    """Every rule checked, ids unique, at most MAX_RULES; RuleError on the first fault."""
    checked = [check(rule) for rule in rules]
    seen: set[str] = set()
    for rule in checked:
        if rule.id in seen:
            raise RuleError(f"rule id {rule.id!r} appears twice")
        seen.add(rule.id)
    if len(checked) > MAX_RULES:
        raise RuleError(f"at most {MAX_RULES} rules; this would make {len(checked)}")
    return checked


_rules_decoder = msgspec.json.Decoder(list[Rule])


def decode_rules(raw: bytes | str) -> list[Rule]:
    """The rules as kept in Redis (a JSON list)."""
    return _rules_decoder.decode(raw)


def encode_rules(rules: Sequence[Rule]) -> bytes:
    return msgspec.json.encode(list(rules))


def parse_rules(text: str, fmt: str) -> list[Rule]:
    """A rule file: JSON (a list of rule objects, or {"rules": [...]}) or CSV (a header row
    of CSV_COLUMNS, any subset with id and kind; empty cells are unset). Checked."""
    try:
        if fmt == "json":
            data = msgspec.json.decode(text)
            if isinstance(data, dict) and set(data) == {"rules"}:
                data = data["rules"]
            rules = msgspec.convert(data, list[Rule])
        elif fmt == "csv":
            rules = _csv_rules(text)
        else:
            raise RuleError(f"unknown rule file format {fmt!r}: json or csv")
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise RuleError(f"not a valid {fmt.upper()} rule file: {exc}") from None
    return check_all(rules)


def _csv_rules(text: str) -> list[Rule]:
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown or not {"id", "kind"} <= set(columns):
        raise RuleError(f"CSV header must name id, kind and any of {', '.join(CSV_COLUMNS)}")
    rules = []
    for line, row in enumerate(reader, start=2):
        values: dict[str, object] = {k: v.strip() for k, v in row.items() if k and v and v.strip()}
        if None in row:
            raise RuleError(f"CSV line {line}: more cells than columns")
        try:
            for name in ("price_min", "price_max", "weight"):
                if name in values:
                    values[name] = float(str(values[name]))
            if "position" in values:
                values["position"] = int(str(values["position"]))
            rules.append(msgspec.convert(values, Rule))
        except (ValueError, msgspec.ValidationError) as exc:
            raise RuleError(f"CSV line {line}: {exc}") from None
    return rules


@dataclass(frozen=True)
class RuleSet:
    """The kept rules and their generation (bumped by every change)."""

    generation: int = 0
    rules: tuple[Rule, ...] = ()
    # The last LiveRules made, so the rules in force are compiled once, not per request.
    _last: list[LiveRules] = field(default_factory=list, compare=False, repr=False)

    @cached_property
    def _windows(self) -> tuple[tuple[Rule, float, float], ...]:
        return tuple((r, *r.window()) for r in self.rules)

    def live(self, now: float) -> LiveRules:
        live = tuple(r for r, start, end in self._windows if start <= now < end)
        if self._last and self._last[0].rules == live:
            return self._last[0]
        self._last[:] = [LiveRules(self.generation, live)]
        return self._last[0]


@dataclass(frozen=True)
class LiveRules:
    """The rules in force at one moment of one request."""

    generation: int
    rules: tuple[Rule, ...]

    def __bool__(self) -> bool:
        return bool(self.rules)

    @cached_property
    def fingerprint(self) -> str | None:
        """What the cache key takes of them: the generation and which rules are in force
        (a window opening or closing changes the answer too); None without any."""
        if not self.rules:
            return None
        return f"{self.generation}:{','.join(sorted(r.id for r in self.rules))}"

    @cached_property
    def ranking(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.kind != PIN)

    @cached_property
    def pins(self) -> tuple[Rule, ...]:
        return tuple(sorted((r for r in self.rules if r.kind == PIN), key=_slot))

    @cached_property
    def _filters(self) -> tuple[Match, ...]:
        return tuple(matcher(r) for r in self.rules if r.kind == FILTER)

    @cached_property
    def moves(self) -> tuple[tuple[float, bool, Match], ...]:
        """(signed weight, is a boost, test) of each boost and bury."""
        return tuple(
            (r.weight if r.kind == BOOST else -r.weight, r.kind == BOOST, matcher(r))
            for r in self.rules
            if r.kind in (BOOST, BURY)
        )

    def filtered(self, product_id: str, card: ProductCard | None) -> bool:
        return any(test(product_id, card) for test in self._filters)


def _span(scores: Sequence[float]) -> float:
    """The range of the candidates' scores, what a weight of 1 moves a score by (all equal:
    the size of the scores, or 1), so a weight means the same on every strategy's scale."""
    if not scores:
        return 1.0
    high, low = max(scores), min(scores)
    return high - low if high > low else abs(high) or 1.0


def _slot(rule: Rule) -> int:
    return rule.position or 0


def ranked(
    items: Iterable[Scored], rules: LiveRules, top_k: int
) -> tuple[list[Scored], frozenset[str]]:
    """The items without the filtered ones, boosted and buried, best first, at most top_k;
    and the ids filtered out."""
    out: list[Scored] = []
    dropped: set[str] = set()
    pool = list(items)
    span = _span([item.score for item in pool])
    moves = rules.moves
    for item in pool:
        if rules.filtered(item.product_id, item.card):
            dropped.add(item.product_id)
            continue
        score, boosted = item.score, False
        for weight, boost, test in moves:
            if test(item.product_id, item.card):
                score += weight * span
                boosted = boosted or boost
        if boosted:
            item = replace(item, score=score, reason=Reason(BOOSTED))
        elif score != item.score:
            item = replace(item, score=score)
        out.append(item)
    # A boosted product wins a tie (weight 1 lifts the lowest candidate level with the top).
    out.sort(key=lambda s: (-s.score, s.reason is None or s.reason.kind != BOOSTED))
    return out[:top_k], frozenset(dropped)


def pinned(
    items: Sequence[Scored], pins: Sequence[Rule], top_k: int, cards: Mapping[str, ProductCard]
) -> list[Scored]:
    """Each pinned product at its slot (or last, where the list is shorter), the others in
    their order after it, top_k in all. A pinned product not in `items` is taken with its
    card from `cards` (absent: the caller found it must not be shown). Its score is the
    score of the item after it, so the list stays best first by score."""
    pinned_ids = {rule.product_id for rule in pins}
    rest = [item for item in items if item.product_id not in pinned_ids]
    by_id = {item.product_id: item for item in items}
    out = list(rest)
    for rule in pins:
        pid = rule.product_id
        assert pid is not None and rule.position is not None  # check() made sure
        found = by_id.get(pid)
        card = found.card if found is not None else cards.get(pid)
        if card is None:
            continue
        slot = min(rule.position - 1, len(out))
        out.insert(slot, Scored(pid, 0.0, card, Reason(PINNED)))
    out = out[:top_k]
    for i in range(len(out) - 1, -1, -1):
        if not _is_pinned(out[i]):
            continue
        if i + 1 < len(out):
            score = out[i + 1].score
        else:
            earlier = [s.score for s in out[:i] if not _is_pinned(s)]
            found = by_id.get(out[i].product_id)
            score = earlier[-1] if earlier else found.score if found else 0.0
        out[i] = replace(out[i], score=score)
    return out


def _is_pinned(item: Scored) -> bool:
    return item.reason is not None and item.reason.kind == PINNED
