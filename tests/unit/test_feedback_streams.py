"""The feedback stream split by user (SHOPREC_FEEDBACK_STREAMS): names, placement, positions."""

from __future__ import annotations

import pytest
from redis.crc import key_slot

from indexing.contract.redis_layout import CLUSTER_SLOTS, RedisLayout
from indexing.contract.settings import RedisSettings
from indexing.feedback.feedback_log import (
    NO_ENTRY,
    FeedbackEntry,
    format_positions,
    last_positions,
    parse_positions,
)

LAYOUT = RedisLayout("shop")


def test_one_stream_is_the_stream_it_always_was() -> None:
    assert LAYOUT.feedback_streams(1) == (LAYOUT.feedback_stream,)
    assert LAYOUT.feedback_stream_of("anyone", 1) == LAYOUT.feedback_stream


@pytest.mark.parametrize("count", [2, 3, 8])
def test_the_streams_spread_over_the_slot_space_and_users_over_the_streams(count: int) -> None:
    streams = LAYOUT.feedback_streams(count)
    assert len(set(streams)) == count and streams[0] == LAYOUT.feedback_stream
    for i, name in enumerate(streams[1:], start=1):
        slot = key_slot(name.encode())
        assert i * CLUSTER_SLOTS // count <= slot < (i + 1) * CLUSTER_SLOTS // count
    users = [f"user-{n}" for n in range(400)]
    placed = [LAYOUT.feedback_stream_of(u, count) for u in users]
    assert set(placed) == set(streams)  # every stream gets users
    assert placed == [LAYOUT.feedback_stream_of(u, count) for u in users]  # stable


def test_positions_round_trip_and_a_stream_not_named_is_unread() -> None:
    assert parse_positions(format_positions(["5-0", "7-1"]), 2) == ["5-0", "7-1"]
    assert parse_positions("5-0", 3) == ["5-0", NO_ENTRY, NO_ENTRY]  # a build before a split
    assert parse_positions("", 2) == [NO_ENTRY, NO_ENTRY]
    entries = [FeedbackEntry("9-0", "u", "p", "view", 1.0, 1, stream=1)]
    assert last_positions(entries, "5-0,3-0", 2) == "5-0,9-0"


def test_entries_of_two_streams_with_one_id_keep_two_keys() -> None:
    first = FeedbackEntry("1-1", "u", "p", "view", 1.0, 1, stream=0)
    second = FeedbackEntry("1-1", "v", "p", "view", 1.0, 1, stream=2)
    assert first.key == "1-1" and second.key != first.key


@pytest.mark.parametrize("raw", ["0", "-2", "5000"])
def test_a_stream_count_out_of_range_is_refused(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("SHOPREC_FEEDBACK_STREAMS", raw)
    with pytest.raises(ValueError, match="SHOPREC_FEEDBACK_STREAMS must be between 1 and 1024"):
        RedisSettings()
