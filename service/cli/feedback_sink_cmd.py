"""`shoprec feedback-sink`: move the feedback stream into a PostgreSQL table."""

from __future__ import annotations

import argparse

from indexing.connection.redis_connection import (
    resolve_redis_url,
    sync_client,
    sync_state_client,
)
from indexing.contract.settings import Settings
from service.cli.postgres_args import required_postgres_url


def register(sub: argparse._SubParsersAction, settings: Settings) -> None:
    sink_p = sub.add_parser(
        "feedback-sink",
        help="move recorded feedback events into a PostgreSQL table",
        description="Read the feedback stream as a consumer group, insert the events into "
        "--table (created if missing; the schema is in docs/postgres.md) and acknowledge them "
        "in Redis only after the commit. A killed run is safe to start again: nothing is "
        "lost, nothing inserted twice.",
    )
    sink_p.add_argument(
        "--database",
        default=settings.postgres.sink_url or None,
        help="postgresql://user@host/db (default SHOPREC_FEEDBACK_SINK_URL)",
    )
    sink_p.add_argument(
        "--table",
        default=settings.postgres.sink_table,
        help="table to insert into (default %(default)s, SHOPREC_FEEDBACK_SINK_TABLE)",
    )
    sink_p.add_argument(
        "--follow",
        action="store_true",
        help="keep going: wait for new events and move them as they come; Ctrl-C stops",
    )
    sink_p.set_defaults(handler=cmd_feedback_sink)


def cmd_feedback_sink(args: argparse.Namespace, settings: Settings) -> int:
    from indexing.contract.redis_layout import RedisLayout
    from indexing.feedback.feedback_sink import drain

    database = required_postgres_url(
        args.database,
        "feedback-sink",
        "--database postgresql://user@host/db",
        "SHOPREC_FEEDBACK_SINK_URL",
    )
    # The stream is user state: REDIS_STATE_URL's Redis where that is set.
    client = sync_state_client(settings, sync_client(resolve_redis_url(settings)))
    layout = RedisLayout(settings.redis.key_prefix)
    block_ms = int(settings.postgres.follow_s * 1000)
    while True:
        summary = drain(
            client, layout, database, args.table, settings.postgres.batch_size,
            block_ms=block_ms if args.follow else None, streams=settings.redis.feedback_streams,
        )  # fmt: skip
        if summary.read or not args.follow:
            print("\n".join(summary.lines()), flush=True)
        if not args.follow:
            return 0
