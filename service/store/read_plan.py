"""Reads of several readers in one round trip, each with a typed answer.

A request often needs keys that different readers own (the hybrid: the user's state and the
product's vectors). Each reader queues its commands on one `ReadPlan` and hands back a
`Pending` of its own type; after `run` the caller reads `.value` and never sees the replies
or their positions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

T = TypeVar("T")


class Pending(Generic[T]):
    """One reader's answer, there once its plan has run."""

    def __init__(self, parse: Callable[..., T], start: int, end: int):
        self._parse, self._start, self._end = parse, start, end
        self._value: T | None = None
        self._done = False

    def resolve(self, replies: list[Any]) -> None:
        self._value = self._parse(*replies[self._start : self._end])
        self._done = True

    @property
    def value(self) -> T:
        if not self._done:
            raise RuntimeError("the read plan has not run yet")
        return self._value  # type: ignore[return-value]  # T itself may include None


class ReadPlan:
    def __init__(self, client: aioredis.Redis):
        # Not a transaction: reads need no MULTI, and MULTI/EXEC would add two commands.
        self._pipe: Pipeline = client.pipeline(transaction=False)
        self._pending: list[Pending[Any]] = []

    def add(self, queue: Callable[[Pipeline], object], parse: Callable[..., T]) -> Pending[T]:
        """`queue` puts a reader's commands on the pipeline; `parse` gets their replies (as
        arguments, in the order queued) and returns the reader's answer."""
        start = len(self._pipe)
        queue(self._pipe)
        pending = Pending(parse, start, len(self._pipe))
        self._pending.append(pending)
        return pending

    async def run(self) -> None:
        """Every queued read in one round trip (none when nothing was queued)."""
        replies = await self._pipe.execute()
        for pending in self._pending:
            pending.resolve(replies)
