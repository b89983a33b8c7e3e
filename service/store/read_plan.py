"""Reads of several readers in one round trip, each with a typed answer.

A request often needs keys that different readers own (the hybrid: the user's state and the
product's vectors). Each reader queues its commands on one `ReadPlan` and hands back a
`Pending` of its own type; after `run` the caller reads `.value` and never sees the replies
or their positions.

The user's own keys may live on another Redis than the catalog (REDIS_STATE_URL): a plan then
holds a second pipeline for them, and `run` sends both at once, so it is still one round trip
of wall time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

T = TypeVar("T")


class Pending(Generic[T]):
    """One reader's answer, there once its plan has run."""

    def __init__(self, parse: Callable[..., T], start: int, end: int, pipe: int = 0):
        self._parse, self._start, self._end = parse, start, end
        self.pipe = pipe  # which of the plan's pipelines holds the commands
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


CATALOG, STATE = 0, 1  # the pipelines of a plan: the catalog's Redis, the user state's


class ReadPlan:
    def __init__(self, client: aioredis.Redis, state: aioredis.Redis | None = None):
        # Not a transaction: reads need no MULTI, and MULTI/EXEC would add two commands.
        self._pipes: list[Pipeline] = [client.pipeline(transaction=False)]
        if state is not None and state is not client:
            self._pipes.append(state.pipeline(transaction=False))
        self._pending: list[Pending[Any]] = []

    def add(
        self, queue: Callable[[Pipeline], object], parse: Callable[..., T], on: int = CATALOG
    ) -> Pending[T]:
        """`queue` puts a reader's commands on the pipeline (`on`: CATALOG, or STATE for the
        user's own keys); `parse` gets their replies (as arguments, in the order queued) and
        returns the reader's answer."""
        index = on if on < len(self._pipes) else CATALOG
        pipe = self._pipes[index]
        start = len(pipe)
        queue(pipe)
        pending = Pending(parse, start, len(pipe), index)
        self._pending.append(pending)
        return pending

    async def run(self) -> None:
        """Every queued read in one round trip (none when nothing was queued)."""
        if len(self._pipes) == 1:
            replies = [await self._pipes[0].execute()]
        else:
            replies = list(await asyncio.gather(*(pipe.execute() for pipe in self._pipes)))
        for pending in self._pending:
            pending.resolve(replies[pending.pipe])
