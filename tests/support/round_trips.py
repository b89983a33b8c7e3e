"""A count of the round trips to Redis the code under test makes, for tests that pin them."""

from __future__ import annotations

import pytest
from redis.asyncio.connection import AbstractConnection


def count_round_trips(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """From now on (for the test), every write to a Redis connection (one per command, one
    per pipeline) adds one to the list's only element; a test may reset it to 0."""
    count = [0]
    original = AbstractConnection.send_packed_command

    async def counting(self: AbstractConnection, *args: object, **kwargs: object) -> None:
        count[0] += 1
        await original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
    return count
