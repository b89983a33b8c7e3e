"""`shoprec index`: full build of a new catalog version."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from indexing.connection.redis_connection import resolve_redis_url, sync_client
from indexing.contract.settings import Settings
from indexing.models.embedder_registry import EMBEDDERS, require_embedder
from service.cli.errors import CommandError
from service.cli.postgres_args import source_arg
from service.cli.tuning_args import add_tuning_arguments, tuning_settings

if TYPE_CHECKING:  # the loader imports pandas; `shoprec --help` should not wait for it
    from indexing.load.csv_loader import CsvOptions


def register(sub: argparse._SubParsersAction, settings: Settings) -> None:
    index_p = sub.add_parser(
        "index",
        help="full build of a new catalog version from CSVs, then make it live",
        description="Load and validate the CSVs, compute content and CF vectors, write a new "
        "version into Redis, switch the alias to it and drop older versions. The feedback "
        "stream is folded into the interactions. The replaced version is kept for the grace "
        f"period (SHOPREC_RETIRE_GRACE_S, now {settings.index.retire_grace_s:g} s) so running "
        "workers can follow the swap, then dropped. Only one build or reindex runs at a time.",
    )
    index_p.add_argument(
        "--products",
        default=str(settings.catalog.products_csv),
        help="products.csv (.csv.gz too), or a postgresql://...?table=NAME or ?query=SELECT ... "
        "URL (docs/postgres.md); default %(default)s, SHOPREC_PRODUCTS_CSV",
    )
    index_p.add_argument(
        "--interactions",
        default=str(settings.catalog.interactions_csv),
        help="interactions.csv (.csv.gz too), or a postgresql://... URL like --products; "
        "default %(default)s, SHOPREC_INTERACTIONS_CSV",
    )
    index_p.add_argument(
        "--if-missing", action="store_true", help="build only when no version is live"
    )
    index_p.add_argument(
        "--no-wait",
        action="store_true",
        help="do not wait out the grace period; the next build or reindex drops the old version",
    )
    index_p.add_argument(
        "--no-feedback",
        action="store_true",
        help="leave the feedback stream out (e.g. when interactions.csv already holds an "
        "export-feedback file)",
    )
    index_p.add_argument(
        "--embedder",
        choices=EMBEDDERS,
        default=settings.catalog.embedder,
        help=f"content model (default {settings.catalog.embedder}, SHOPREC_EMBEDDER): "
        "tfidf = TF-IDF + "
        "SVD; sbert = all-MiniLM-L6-v2 sentence embeddings, offline (needs the 'semantic' extra)",
    )
    add_tuning_arguments(index_p, settings)
    add_delimiter_option(index_p)
    index_p.add_argument(
        "--max-dropped-share",
        type=float,
        default=settings.catalog.max_dropped_share,
        help="stop (exit 2, nothing written) when a file loses more than this share of its rows "
        f"to bad values (default {settings.catalog.max_dropped_share:g}, "
        "SHOPREC_MAX_DROPPED_SHARE)",
    )
    index_p.add_argument(
        "--allow-drops", action="store_true", help="build whatever share of the rows is dropped"
    )
    index_p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    index_p.set_defaults(handler=cmd_index)


def add_delimiter_option(parser: argparse.ArgumentParser) -> None:
    """--delimiter, shared by the commands that read CSVs."""
    parser.add_argument(
        "--delimiter",
        choices=("comma", "semicolon", "tab"),
        default=None,
        help="field delimiter of the CSVs (default: found from the header: comma, semicolon "
        "or tab)",
    )


def csv_options(args: argparse.Namespace, settings: Settings) -> CsvOptions:
    from indexing.load.csv_loader import CsvOptions

    delimiter = {"comma": ",", "semicolon": ";", "tab": "\t"}.get(args.delimiter or "")
    return CsvOptions(delimiter, settings.catalog.category_separator, quiet=args.quiet)


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from indexing.build.build_lock import BuildInProgress
    from indexing.build.catalog_versions import live_version
    from indexing.build.index_builder import build_index
    from indexing.contract.redis_layout import RedisLayout

    require_embedder(args.embedder)  # before Redis is started or any CSV is read
    settings = tuning_settings(args, settings.replace(catalog={"embedder": args.embedder}))
    client = sync_client(resolve_redis_url(settings))
    if args.if_missing:
        version = live_version(client, RedisLayout(settings.redis.key_prefix))
        if version is not None:
            print(f"live index version {version} present; not rebuilding (drop --if-missing to)")
            return 0
    try:
        summary = build_index(
            client,
            settings,
            source_arg(args.products),
            source_arg(args.interactions),
            quiet=args.quiet,
            wait_for_grace=not args.no_wait,
            with_feedback=not args.no_feedback,
            csv_options=csv_options(args, settings),
            max_dropped_share=1.0 if args.allow_drops else args.max_dropped_share,
        )
    except BuildInProgress as exc:
        raise CommandError(str(exc)) from None
    print("\n".join(summary.lines()))
    return 0
