"""The PostgreSQL table `shoprec feedback-sink` moves the feedback stream into (docs/postgres.md).

One row per stream entry, keyed by the entry's id, so an entry delivered twice (a sink killed
between its commit and its XACK) is inserted once (ON CONFLICT DO NOTHING). The columns are an
interactions source's, so `shoprec index --interactions postgresql://...?table=...` can read
the table back (the loader drops `dismiss` rows, as it does in an export-feedback CSV).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from indexing.feedback.feedback_log import FeedbackEntry

if TYPE_CHECKING:
    import psycopg

CREATE = """
create table if not exists {table} (
    stream_id text primary key,        -- the entry id ("1767225600000-0"; "...@2": stream 2)
    user_id text not null,
    product_id text not null,
    interaction_type text not null,    -- view, click, add_to_cart, purchase or dismiss
    ts timestamptz not null,           -- the event's time
    catalog_version integer,           -- the catalog version the service applied it to
    stored_at timestamptz not null default now()
)
"""
INSERT = """
insert into {table} (stream_id, user_id, product_id, interaction_type, ts, catalog_version)
values (%s, %s, %s, %s, %s, %s) on conflict (stream_id) do nothing
"""


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _table(name: str) -> psycopg.sql.Identifier:
    from psycopg import sql

    return sql.Identifier(*name.split("."))


def create_table(conn: psycopg.Connection, name: str) -> None:
    from psycopg import sql

    conn.execute(sql.SQL(CREATE).format(table=_table(name)))
    conn.commit()


def insert_entries(conn: psycopg.Connection, name: str, entries: Sequence[FeedbackEntry]) -> int:
    """Insert and commit; returns the rows inserted (entries stored before are left alone)."""
    from psycopg import sql

    statement = sql.SQL(INSERT).format(table=_table(name))
    rows = [
        (
            e.key,
            e.user_id,
            e.product_id,
            e.action,
            datetime.fromtimestamp(e.ts, UTC),
            e.version,
        )
        for e in entries
    ]
    with conn.cursor() as cursor:
        cursor.executemany(statement, rows, returning=False)
        inserted = cursor.rowcount
    conn.commit()
    return max(inserted, 0)
