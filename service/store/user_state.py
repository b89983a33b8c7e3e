"""What we know about a user: recent interests, purchases, dismissals; and the popular list."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from indexing.contract.history_update import QueryRule
from indexing.contract.redis_text import as_text
from indexing.contract.settings import SEEN_POLICIES
from service.store.catalog_reader import CatalogView
from service.store.read_plan import STATE, Pending, ReadPlan


@dataclass(frozen=True)
class UserState:
    # (product_id, decayed weight), strongest first.
    history: list[tuple[str, float]] = field(default_factory=list)
    bought: frozenset[str] = frozenset()
    dismissed: frozenset[str] = frozenset()
    carted: frozenset[str] = frozenset()
    # The stored CF query vector (RedisLayout.query_vector); None where none is stored (the
    # query is then computed from the history's vectors, see CFRecommender.query_from).
    query: np.ndarray | None = field(default=None, compare=False)

    @property
    def is_new(self) -> bool:
        return not self.history

    def never_show(self, exclude_seen: str) -> frozenset[str]:
        """Products a personalised answer must leave out under a seen policy (SEEN_POLICIES):
        the dismissed ones always, and what the user bought; with "carted" also what they
        added to a cart; with "all" anything in their history as well."""
        if exclude_seen not in SEEN_POLICIES:
            raise ValueError(f"exclude_seen must be one of {', '.join(SEEN_POLICIES)}")
        out = self.bought | self.dismissed
        if exclude_seen in ("carted", "all"):
            out |= self.carted
        if exclude_seen == "all":
            out |= frozenset(self.history_ids)
        return out

    @property
    def history_ids(self) -> list[str]:
        """The history's product ids, strongest first."""
        return [pid for pid, _ in self.history]


class UserStateReader:
    """The user's keys are read on `state` (REDIS_STATE_URL; the catalog's client when it is
    unset), the popular list on the catalog's client."""

    def __init__(
        self, client: aioredis.Redis, rule: QueryRule, state: aioredis.Redis | None = None
    ):
        self._client = client
        self._state = state if state is not None else client
        self._history_items = rule.history_items
        self._rule = rule  # decodes the stored query vector, only where it made it

    async def read(self, view: CatalogView, user_id: str) -> UserState:
        """History, bought, dismissed and carted sets and the stored query vector in one
        round trip."""
        plan = ReadPlan(self._client, self._state)
        state = self.queue_read(plan, view, user_id)
        await plan.run()
        return state.value

    def queue_read(self, plan: ReadPlan, view: CatalogView, user_id: str) -> Pending[UserState]:
        """Queue the reads of `read` on a plan, so a request can fetch the user's state
        and other keys in one round trip."""
        layout, version = view.layout, view.version

        def queue(pipe: Pipeline) -> None:
            pipe.zrevrange(layout.history(version, user_id), 0, self._history_items - 1, True)
            pipe.smembers(layout.bought(version, user_id))
            pipe.smembers(layout.dismissed(user_id))
            pipe.smembers(layout.carted(version, user_id))
            pipe.get(layout.query_vector(version, user_id))

        return plan.add(queue, lambda *replies: _state(self._rule, *replies), on=STATE)

    @staticmethod
    def queue_dismissed(plan: ReadPlan, view: CatalogView, user_id: str) -> Pending[frozenset[str]]:
        """Queue a read of the products the user said no to (never shown to that user again)."""
        return plan.add(lambda pipe: pipe.smembers(view.layout.dismissed(user_id)), _ids, on=STATE)

    async def popular(self, view: CatalogView, count: int) -> list[tuple[str, float]]:
        raw: list[tuple[bytes, float]] = await self._client.zrevrange(
            view.layout.popular(view.version), 0, count - 1, withscores=True
        )  # type: ignore[assignment]  # redis-py types the reply as plain members
        return [(as_text(pid), float(score)) for pid, score in raw]


def _state(
    rule: QueryRule, history: Any, bought: Any, dismissed: Any, carted: Any, query: Any
) -> UserState:
    """The UserState from the replies `queue_read` queues."""
    return UserState(
        history=[(pid.decode(), float(weight)) for pid, weight in history],
        bought=_ids(bought),
        dismissed=_ids(dismissed),
        carted=_ids(carted),
        query=rule.decode(query),
    )


def _ids(members: Any) -> frozenset[str]:
    return frozenset(p.decode() for p in members)
