"""The merchandising rules in force applied to a strategy's answer (service/recommend/rules.py
says what each kind does): `RuledRecommender` filters, boosts and buries among a wider set of
the strategy's candidates; `pin` then puts the pinned products into their slots.

Costs: nothing without rules in force. With boost, bury or filter rules, the strategy is asked
for `rule_candidates(top_k)` (2 x top_k) candidates, and again without the
filtered ones where they left the list short. The hybrid finds them in the blend of the
searches `top_k` calls for (3 x top_k, at least 30, a side: `knn_top_k`), so only its card
read grows; content and CF search for 2 x top_k. A pin whose product is not among the answer's
costs one read (its card, and the user's state: a pin never shows what the user must not
see).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from indexing.contract.index_schema import CARD_FIELDS
from service.recommend.base import Around, Based, Recommender, RecommendRequest, Scored
from service.recommend.diversify import MAX_CANDIDATES
from service.recommend.filters import admits
from service.recommend.rules import LiveRules, pinned, ranked
from service.store.catalog_reader import CatalogView, ProductCard, ProductReader
from service.store.user_state import UserStateReader
from service.store.vector_search import SearchFilter

# How many more candidates than `top_k` the rules rank among: a boost moves a product up
# from as far as the second top_k; each more top_k costs about 0.1 ms on an idle machine
# (docs/performance.md#reasons-and-rules).
RULE_FACTOR = 2


def rule_candidates(top_k: int) -> int:
    return min(top_k * RULE_FACTOR, MAX_CANDIDATES)


# Rounds a filtered list may take to fill top_k (each asks without what was filtered out).
FILL_ROUNDS = 3


class RuledRecommender(Recommender):
    # The wrapped strategy checks the request against its own `around`.
    around = Around.NOTHING

    def __init__(self, strategy: Recommender, rules: LiveRules):
        self._strategy, self._rules = strategy, rules

    async def _recommend(self, view: CatalogView, request: RecommendRequest) -> list[Scored]:
        return (await self.answer(view, request)).results

    async def answer(self, view: CatalogView, request: RecommendRequest) -> Based:
        # A diversifying request has set knn_top_k already: keep its searches' size.
        searched = request.knn_top_k or request.top_k
        asked = replace(request, top_k=rule_candidates(request.top_k), knn_top_k=searched)
        pool: dict[str, Scored] = {}
        basis: str | None = None
        for _ in range(FILL_ROUNDS):
            based = await self._strategy.answer(view, asked)
            basis = based.basis
            fresh = [s for s in based.results if s.product_id not in pool]
            pool.update((s.product_id, s) for s in fresh)
            out, dropped = ranked(pool.values(), self._rules, request.top_k)
            if len(out) >= request.top_k or len(based.results) < asked.top_k or not dropped:
                break
            asked = replace(asked, exclude=asked.exclude | dropped)
        return Based(basis, out)


async def pin(
    view: CatalogView,
    products: ProductReader,
    users: UserStateReader,
    request: RecommendRequest | None,
    flt: SearchFilter,
    rules: LiveRules,
    items: list[Scored],
    top_k: int,
) -> list[Scored]:
    """The pinned products in their slots. One not in `items` is read (its card; for a user,
    their state), and left out where the request's filters, exclusions or the user's seen
    policy, or a filter rule, would leave it out."""
    pins = rules.pins
    if not pins:
        return items
    listed = {s.product_id for s in items}
    missing = [
        r.product_id for r in pins if r.product_id is not None and r.product_id not in listed
    ]
    cards: dict[str, ProductCard] = {}
    if missing:
        cards = await _shown_cards(view, products, users, request, missing)
    shown = {
        pid: card
        for pid, card in cards.items()
        if admits(flt, card) and not rules.filtered(pid, card)
    }
    return pinned(items, pins, top_k, shown)


async def _shown_cards(
    view: CatalogView,
    products: ProductReader,
    users: UserStateReader,
    request: RecommendRequest | None,
    ids: list[str],
) -> dict[str, ProductCard]:
    """The cards of `ids` that the request may show (one round trip)."""
    plan = products.plan()

    def parse(*raws: Any) -> dict[str, ProductCard]:
        out = {}
        for pid, raw in zip(ids, raws, strict=True):
            card = ProductCard.parse(*raw)
            if card is not None:
                out[pid] = card
        return out

    def queue(pipe: Any) -> None:
        for pid in ids:
            pipe.hmget(view.product_key(pid), CARD_FIELDS)

    cards = plan.add(queue, parse)
    state = None
    if request is not None and request.user_id is not None:
        state = users.queue_read(plan, view, request.user_id)
    await plan.run()
    hidden: set[str] = set()
    if request is not None:
        hidden |= request.exclude
        if request.product_id is not None:
            hidden.add(request.product_id)
    if state is not None and request is not None:
        hidden |= state.value.never_show(request.exclude_seen)
    return {pid: card for pid, card in cards.value.items() if pid not in hidden}
