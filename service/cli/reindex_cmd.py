"""`shoprec reindex`: apply a changed products.csv to the live version in place."""

from __future__ import annotations

import argparse
from pathlib import Path

from indexing.connection.redis_connection import resolve_redis_url, sync_client
from indexing.contract.settings import Settings
from service.cli.errors import CommandError


def register(sub: argparse._SubParsersAction, settings: Settings) -> None:
    reindex_p = sub.add_parser(
        "reindex",
        help="apply a changed catalog to the live version (add, change, remove products)",
        description="Compare products.csv with the live version by a content hash per "
        "product: embed and write new and changed products with the live content model, "
        "delete removed ones, leave the rest untouched, and retire cached answers. New "
        "products get CF vectors at the next full `shoprec index`.",
    )
    reindex_p.add_argument(
        "--products", default=str(settings.catalog.products_csv), help="the full new products.csv"
    )
    reindex_p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    reindex_p.set_defaults(handler=cmd_reindex)


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    from indexing.build.build_lock import BuildInProgress
    from indexing.models.embedder_registry import EmbedderError
    from indexing.update.catalog_update import NoLiveVersion, reindex

    client = sync_client(resolve_redis_url(settings))
    try:
        summary = reindex(client, settings, Path(args.products), quiet=args.quiet)
    except (BuildInProgress, NoLiveVersion, EmbedderError) as exc:
        raise CommandError(str(exc)) from None
    except ValueError as exc:
        raise CommandError(str(exc), code=2) from None
    print("\n".join(summary.lines()))
    return 0
