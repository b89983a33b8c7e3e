"""`shoprec feedback-sink`: the feedback stream moved into a PostgreSQL table, so the shop's
database holds every event POST /feedback took, and Redis can be lost without losing them.

The sink reads the stream as the consumer group `RedisLayout.feedback_sink_group` (created at
the stream's start, so a first run moves everything), inserts each batch, commits, and only
then XACKs it. Killed between the commit and the XACK, it is handed the same entries again on
restart (they are still pending for its consumer) and inserts nothing twice: the table's key
is the entry id (indexing.sources.feedback_table). The stream itself is left as it is: builds
fold it and replay it after a swap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import redis

from indexing.contract.redis_layout import RedisLayout
from indexing.feedback.feedback_log import FeedbackEntry, read_group_entries
from indexing.sources.feedback_table import create_table, insert_entries
from indexing.sources.postgres_connection import connect

CONSUMER = "sink"  # one consumer: its pending entries are what a killed run left unacked


@dataclass
class SinkSummary:
    read: int = 0
    inserted: int = 0  # the rest were in the table already (delivered again after a crash)
    unreadable: int = 0  # entries not written by the service: acknowledged, not stored

    def lines(self) -> list[str]:
        again = self.read - self.inserted - self.unreadable
        return [
            f"feedback-sink: {self.read:,} stream entries read, {self.inserted:,} inserted, "
            f"{again:,} already in the table, {self.unreadable:,} unreadable"
        ]


def ensure_group(client: redis.Redis, layout: RedisLayout, stream: str) -> None:
    try:
        client.xgroup_create(stream, layout.feedback_sink_group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def acknowledge(client: redis.Redis, layout: RedisLayout, stream: str, ids: list[str]) -> None:
    client.xack(stream, layout.feedback_sink_group, *ids)


def drain(
    client: redis.Redis,
    layout: RedisLayout,
    conninfo: str,
    table: str,
    batch_size: int,
    block_ms: int | None = None,
    streams: int = 1,
) -> SinkSummary:
    """Move what the streams hold for the group into `table`: in each, first the entries a
    killed run left pending, then new ones, until none is left (or, with `block_ms`, none
    came in that long: one stream blocks on it; several, which one XREADGROUP cannot wait on
    across a cluster's slots, sleep it)."""
    summary = SinkSummary()
    names = layout.feedback_streams(streams)
    for name in names:
        ensure_group(client, layout, name)
    with connect(conninfo) as conn:
        create_table(conn, table)
        for index, name in enumerate(names):
            block = block_ms if len(names) == 1 else None
            _drain_stream(client, layout, conn, table, batch_size, name, index, block, summary)
    if summary.read == 0 and block_ms and len(names) > 1:
        time.sleep(block_ms / 1000)
    return summary


def _drain_stream(
    client: redis.Redis, layout: RedisLayout, conn: Any, table: str, batch_size: int,
    stream: str, index: int, block_ms: int | None, summary: SinkSummary,
) -> None:  # fmt: skip
    group = layout.feedback_sink_group
    pending = True
    while True:
        block = None if pending else block_ms
        got = read_group_entries(client, stream, index, group, CONSUMER, batch_size, pending, block)
        if not got:
            if pending:
                pending = False
                continue
            return
        entries: list[FeedbackEntry] = [e for _, e in got if e is not None]
        summary.read += len(got)
        summary.unreadable += len(got) - len(entries)
        summary.inserted += insert_entries(conn, table, entries)  # committed
        acknowledge(client, layout, stream, [entry_id for entry_id, _ in got])
