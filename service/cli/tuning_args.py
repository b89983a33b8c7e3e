"""`--no-tune` and `--tune-budget`: the index-time tuning options `index` and `evaluate` share
(evaluate's train-only index is tuned the way `shoprec index` tunes the live one)."""

from __future__ import annotations

import argparse

from indexing.contract.settings import Settings
from service.cli.errors import CommandError


def add_tuning_arguments(parser: argparse.ArgumentParser, settings: Settings) -> None:
    parser.add_argument(
        "--no-tune",
        action="store_true",
        help="build with the configured CF settings as they are (SHOPREC_TUNE=0); by default "
        "the build holds out the end of the log and chooses them on it",
    )
    parser.add_argument(
        "--tune-budget",
        type=float,
        default=settings.cf.tune_budget_s,
        metavar="SECONDS",
        help=f"time the tuning may take (default {settings.cf.tune_budget_s:g}, "
        "SHOPREC_TUNE_BUDGET_S)",
    )


def tuning_settings(args: argparse.Namespace, settings: Settings) -> Settings:
    if args.tune_budget < 0:
        raise CommandError("--tune-budget must be 0 or more seconds", code=2)
    tune = settings.cf.tune and not args.no_tune
    return settings.replace(cf={"tune": tune, "tune_budget_s": args.tune_budget})
