"""What we know about a user: recent interests, purchases, dismissals; and the popular list."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from indexing.contract.redis_text import as_text
from service.store.catalog_reader import CatalogView


@dataclass(frozen=True)
class UserState:
    # (product_id, decayed weight), strongest first.
    history: list[tuple[str, float]] = field(default_factory=list)
    bought: frozenset[str] = frozenset()
    dismissed: frozenset[str] = frozenset()

    @property
    def is_new(self) -> bool:
        return not self.history

    @property
    def never_show(self) -> frozenset[str]:
        """Products a personalised answer must leave out."""
        return self.bought | self.dismissed


class UserStateReader:
    def __init__(self, client: aioredis.Redis, history_items: int):
        self._client = client
        self._history_items = history_items

    async def read(self, view: CatalogView, user_id: str) -> UserState:
        """History, bought and dismissed sets in one round trip."""
        pipe = self._client.pipeline(transaction=False)
        self.add_read(pipe, view, user_id)
        return self.parse(*await pipe.execute())

    def add_read(self, pipe: Pipeline, view: CatalogView, user_id: str) -> None:
        """Queue the three reads of `read` on a caller's pipeline (results: see `parse`), so a
        request can fetch the user's state and other keys in one round trip."""
        layout, version = view.layout, view.version
        pipe.zrevrange(layout.history(version, user_id), 0, self._history_items - 1, True)
        pipe.smembers(layout.bought(version, user_id))
        pipe.smembers(layout.dismissed(user_id))

    @staticmethod
    def parse(history: Any, bought: Any, dismissed: Any) -> UserState:
        """The UserState from the three replies queued by `add_read`."""
        return UserState(
            history=[(pid.decode(), float(weight)) for pid, weight in history],
            bought=frozenset(p.decode() for p in bought),
            dismissed=frozenset(p.decode() for p in dismissed),
        )

    async def dismissed(self, view: CatalogView, user_id: str) -> frozenset[str]:
        """Products the user said no to (never shown to that user again)."""
        members = await self._client.smembers(view.layout.dismissed(user_id))
        return frozenset(as_text(p) for p in members)

    async def popular(self, view: CatalogView, count: int) -> list[tuple[str, float]]:
        raw: list[tuple[bytes, float]] = await self._client.zrevrange(
            view.layout.popular(view.version), 0, count - 1, withscores=True
        )  # type: ignore[assignment]  # redis-py types the reply as plain members
        return [(as_text(pid), float(score)) for pid, score in raw]
