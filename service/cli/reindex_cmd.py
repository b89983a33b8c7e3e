"""`shoprec reindex`: apply a changed products.csv to the live version in place."""

from __future__ import annotations

import argparse

from indexing.connection.redis_connection import resolve_redis_url, sync_client
from indexing.contract.settings import Settings
from service.cli.errors import CommandError
from service.cli.index_cmd import add_delimiter_option, csv_options
from service.cli.postgres_args import source_arg


def register(sub: argparse._SubParsersAction, settings: Settings) -> None:
    reindex_p = sub.add_parser(
        "reindex",
        help="apply a changed catalog to the live version (add, change, remove products)",
        description="Compare products.csv with the live version by a content hash per "
        "product: embed and write new and changed products with the live content model, "
        "delete removed ones, leave the rest untouched, and retire cached answers. New "
        "products get CF vectors at the next full `shoprec index`. A file that would remove "
        "more than --max-removed-share of the catalog is refused.",
    )
    reindex_p.add_argument(
        "--products",
        default=str(settings.catalog.products_csv),
        help="the full new products.csv (.csv.gz too), or a postgresql://...?table=NAME or "
        "?query=SELECT ... URL (docs/postgres.md); default %(default)s, SHOPREC_PRODUCTS_CSV",
    )
    add_delimiter_option(reindex_p)
    reindex_p.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would be added, changed and removed (with ids) and change nothing",
    )
    reindex_p.add_argument(
        "--upsert",
        action="store_true",
        help="apply a partial file: add and change the products in it, remove none",
    )
    reindex_p.add_argument(
        "--max-removed-share",
        type=float,
        default=settings.index.max_removed_share,
        help="refuse (exit 2, nothing changed) to remove more than this share of the live "
        f"catalog (default {settings.index.max_removed_share:g}, SHOPREC_MAX_REMOVED_SHARE)",
    )
    reindex_p.add_argument(
        "--allow-removals", action="store_true", help="remove however many products the file drops"
    )
    reindex_p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    reindex_p.set_defaults(handler=cmd_reindex)


def cmd_reindex(args: argparse.Namespace, settings: Settings) -> int:
    from indexing.build.build_lock import BuildInProgress
    from indexing.models.embedder_registry import EmbedderError
    from indexing.update.catalog_update import NoLiveVersion, ReindexMode, reindex

    mode = ReindexMode(
        dry_run=args.dry_run,
        upsert=args.upsert,
        max_removed_share=1.0 if args.allow_removals else args.max_removed_share,
        csv=csv_options(args, settings),
    )
    client = sync_client(resolve_redis_url(settings))
    try:
        summary = reindex(client, settings, source_arg(args.products), quiet=args.quiet, mode=mode)
    except (BuildInProgress, NoLiveVersion, EmbedderError) as exc:
        raise CommandError(str(exc)) from None
    except ValueError as exc:
        raise CommandError(str(exc), code=2) from None
    print("\n".join(summary.lines()))
    return 0
