"""`shoprec export-feedback`: the feedback stream as an interactions CSV."""

from __future__ import annotations

import argparse
from pathlib import Path

from indexing.connection.redis_connection import (
    resolve_redis_url,
    sync_client,
    sync_state_client,
)
from indexing.contract.settings import Settings
from service.cli.errors import CommandError


def register(sub: argparse._SubParsersAction, settings: Settings) -> None:
    export_p = sub.add_parser(
        "export-feedback",
        help="write recorded feedback events as an interactions CSV",
        description="Write the feedback stream as user_id,product_id,interaction_type,ts "
        "(ts in ISO-8601 UTC), the format `shoprec index --interactions` reads. Dismissals are "
        "left out (the format has no such type; they persist in Redis across rebuilds). Note "
        "that `shoprec index` already folds the stream in: if you append this file to your "
        "interactions.csv, build with --no-feedback so events are not counted twice.",
    )
    export_p.add_argument("--out", required=True, help="CSV file to write")
    export_p.add_argument(
        "--include-dismiss",
        action="store_true",
        help="also write dismissals, as interaction_type 'dismiss' (`index` drops such rows)",
    )
    export_p.set_defaults(handler=cmd_export_feedback)


def cmd_export_feedback(args: argparse.Namespace, settings: Settings) -> int:
    from indexing.contract.redis_layout import RedisLayout
    from indexing.feedback.feedback_export import export_feedback

    # The stream is user state: REDIS_STATE_URL's Redis where that is set.
    client = sync_state_client(settings, sync_client(resolve_redis_url(settings)))
    out = Path(args.out)
    try:
        layout = RedisLayout(settings.redis.key_prefix)
        streams = settings.redis.feedback_streams
        summary = export_feedback(client, layout, out, args.include_dismiss, streams)
    except OSError as exc:
        raise CommandError(f"cannot write {out}: {exc.strerror or exc}") from None
    skipped = (
        f"; {summary.dismissals_skipped:,} dismissals left out"
        if summary.dismissals_skipped
        else ""
    )
    print(f"wrote {summary.written:,} feedback events to {out}{skipped}")
    return 0
