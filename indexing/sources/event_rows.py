"""New events from a PostgreSQL interactions source, for `shoprec ingest`: the rows whose `ts`
is at or after a high-water mark, oldest first, in batches from a server-side cursor.

The mark is epoch seconds, so the filter is written for the type of the source's `ts` column:
timestamptz and timestamp (taken as UTC, like the CSV loader) compare with to_timestamp(mark);
numbers are epoch seconds, milliseconds or microseconds told apart by size, the rule of
indexing.load.field_values. Text times cannot be compared in SQL; a query can cast them.
Each row is read as POST /feedback reads an event: the action's word by `canonical`, the time
by `parse_timestamps`; rows that fail are counted by reason and skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from indexing.contract.event_types import FEEDBACK_ACTIONS, canonical
from indexing.load.field_values import parse_timestamps
from indexing.sources.postgres_connection import connect
from indexing.sources.postgres_rows import (
    as_field,
    check_columns,
    execute_rows,
    header_of,
    query_error,
    rows_statement,
)
from indexing.sources.postgres_url import PostgresSource, SourceError

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql

EVENT_COLUMNS = ("user_id", "product_id", "interaction_type", "ts")
NOT_AN_ACTION = "not a feedback action (view, click, add_to_cart, purchase, dismiss)"
# PostgreSQL type oids of the ts columns a mark can be compared with.
_TIMESTAMPTZ, _TIMESTAMP, _DATE = 1184, 1114, 1082
_NUMBERS = {20, 21, 23, 700, 701, 1700}  # int8, int2, int4, float4, float8, numeric


@dataclass(frozen=True)
class SourceEvent:
    """One event of the source, in the shape queue_history_update takes (FeedbackAction)."""

    user_id: str
    product_id: str
    action: str  # canonical: view, click, add_to_cart, purchase or dismiss
    ts: float  # epoch seconds


@dataclass
class EventBatch:
    events: list[SourceEvent]
    rows: int  # rows read, skipped ones included
    newest_ts: float | None  # the last row's time: every later row is at or after it
    skipped: Counter[str] = field(default_factory=Counter)


def _seconds(ts_type: int, source: PostgresSource) -> tuple[sql.Composable, sql.Composable]:
    """(an expression of `ts` ordered as its epoch seconds, the mark as its bound)."""
    from psycopg import sql

    ts = sql.Identifier("ts")
    if ts_type == _TIMESTAMPTZ:
        return ts, sql.SQL("to_timestamp(%(since)s)")
    if ts_type in (_TIMESTAMP, _DATE):
        return ts, sql.SQL("(to_timestamp(%(since)s) at time zone 'UTC')")
    if ts_type in _NUMBERS:
        seconds = sql.SQL(
            "(case when abs({ts}) >= 1e14 then {ts} / 1e6 when abs({ts}) >= 1e11 "
            "then {ts} / 1e3 else {ts} end)"
        ).format(ts=ts)
        return seconds, sql.SQL("%(since)s")
    raise SourceError(
        f"{source.shown}: ingest compares `ts` with its mark, so `ts` must be a timestamp, "
        "timestamptz or epoch number; cast it in a query (?query=select ..., ts::timestamptz "
        "as ts from ...)"
    )


def _ts_type(conn: psycopg.Connection, source: PostgresSource) -> int:
    """The type oid of the source's `ts`, from a query that fetches no row."""
    import psycopg
    from psycopg import sql

    probe = sql.SQL("select * from ({}) as shoprec_probe limit 0").format(rows_statement(source))
    with conn.cursor() as cursor:
        try:
            cursor.execute(probe)
        except psycopg.Error as exc:
            raise query_error(source, exc) from None
        header = header_of(cursor)
        check_columns(source, header, EVENT_COLUMNS)
        return int((cursor.description or [])[header.index("ts")].type_code)


def read_events_since(
    source: PostgresSource, since: float | None, batch_size: int
) -> Iterator[EventBatch]:
    """Batches of the events at or after `since` epoch seconds (None: all), oldest first."""
    from psycopg import sql

    conn = connect(source.conninfo)
    with conn:
        seconds, bound = _seconds(_ts_type(conn, source), source)
        statement = sql.SQL("select * from ({}) as shoprec_events").format(rows_statement(source))
        if since is not None:
            statement = sql.SQL("{} where {} >= {}").format(statement, seconds, bound)
        statement = sql.SQL("{} order by {}").format(statement, seconds)
        cursor = execute_rows(conn, source, statement, {"since": since})
        positions = [header_of(cursor).index(c) for c in EVENT_COLUMNS]
        while rows := cursor.fetchmany(batch_size):
            yield _batch([[as_field(row[p]) for p in positions] for row in rows])


def _batch(rows: list[list[str]]) -> EventBatch:
    frame = pd.DataFrame(rows, columns=list(EVENT_COLUMNS), dtype=object)
    seconds = parse_timestamps(frame["ts"].str.strip())
    batch = EventBatch([], len(rows), None)
    for (user, product, word, _), ts in zip(rows, seconds, strict=True):
        action = canonical(word)
        if not user.strip() or not product.strip():
            batch.skipped["empty user_id or product_id"] += 1
        elif action not in FEEDBACK_ACTIONS:
            batch.skipped[NOT_AN_ACTION] += 1
        elif pd.isna(ts):
            batch.skipped["unparsable ts"] += 1
        else:
            batch.events.append(SourceEvent(user.strip(), product.strip(), action, float(ts)))
    valid = seconds.dropna()
    batch.newest_ts = float(valid.max()) if len(valid) else None
    return batch
