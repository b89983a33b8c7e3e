"""`shoprec ingest`: apply new events from a PostgreSQL interactions source to live histories."""

from __future__ import annotations

import argparse
import time

from indexing.connection.redis_connection import resolve_redis_url, sync_client
from indexing.contract.settings import Settings
from service.cli.errors import CommandError
from service.cli.postgres_args import required_postgres_url


def register(sub: argparse._SubParsersAction, settings: Settings) -> None:
    ingest_p = sub.add_parser(
        "ingest",
        help="apply new events from a PostgreSQL table or query to live user histories",
        description="Read the events newer than the saved high-water mark from --source "
        "(columns user_id, product_id, interaction_type, ts; a query can rename) and apply "
        "them to the live version's histories as POST /feedback does, without a rebuild. The "
        "mark is saved after each applied batch and re-read events are recognised, so a "
        "killed run can simply be started again. See docs/postgres.md.",
    )
    ingest_p.add_argument(
        "--source",
        default=settings.postgres.ingest_source or None,
        help="postgresql://...?table=NAME or ?query=SELECT ... (default SHOPREC_INGEST_SOURCE)",
    )
    ingest_p.add_argument(
        "--follow",
        type=float,
        nargs="?",
        const=settings.postgres.follow_s,
        default=None,
        metavar="SECONDS",
        help="keep going, reading again every SECONDS (default "
        f"{settings.postgres.follow_s:g}, SHOPREC_INGEST_FOLLOW_S); Ctrl-C stops",
    )
    ingest_p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    ingest_p.set_defaults(handler=cmd_ingest)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from indexing.feedback.event_ingest import NoLiveCatalog, ingest_once
    from indexing.sources.postgres_url import parse_postgres_url

    url = required_postgres_url(
        args.source,
        "ingest",
        "--source postgresql://...?table=NAME (or ?query=SELECT ...)",
        "SHOPREC_INGEST_SOURCE",
    )
    if args.follow is not None and args.follow <= 0:
        raise CommandError("--follow needs a positive number of seconds", code=2)
    source = parse_postgres_url(url)
    client = sync_client(resolve_redis_url(settings))
    while True:
        try:
            summary = ingest_once(client, settings, source, quiet=args.quiet)
        except NoLiveCatalog as exc:
            raise CommandError(str(exc)) from None
        if not args.quiet or args.follow is None:
            print("\n".join(summary.lines()), flush=True)
        if args.follow is None:
            return 0
        time.sleep(args.follow)
