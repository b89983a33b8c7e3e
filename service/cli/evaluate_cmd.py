"""`shoprec evaluate`: offline quality of our recommenders against honest baselines."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import redis

from indexing.connection.redis_connection import resolve_redis_url, sync_client
from indexing.contract.settings import SEEN_POLICIES, Settings
from service.cli.errors import CommandError
from service.cli.tuning_args import add_tuning_arguments, tuning_settings
from service.recommend.base import DEFAULT_TOP_K, MAX_TOP_K


def register(sub: argparse._SubParsersAction, settings: Settings) -> None:
    p = sub.add_parser(
        "evaluate",
        help="offline quality: Recall/NDCG/HitRate@K of ours vs popularity, item-kNN, EASE",
        description="Split the events by time (the latest --test-fraction is test), index the "
        "train part under its own key prefix (the live index is untouched), ask the service "
        "for every test user with the products they touched before the cut excluded, and "
        "compare with popularity, item-kNN and EASE (lambda chosen on a validation split cut "
        "from the end of train). Writes evaluation.md, evaluation.json and evaluation.png.",
    )
    p.add_argument("--products", default=str(settings.catalog.products_csv), help="products.csv")
    p.add_argument(
        "--interactions", default=str(settings.catalog.interactions_csv), help="interactions.csv"
    )
    p.add_argument(
        "--test-fraction", type=float, default=0.2, help="latest share of events held out (0.2)"
    )
    p.add_argument(
        "--k",
        type=int,
        default=DEFAULT_TOP_K,
        help=f"list length K of the metrics ({DEFAULT_TOP_K})",
    )
    p.add_argument(
        "--out", default="var/evaluation", help="folder for the report files (var/evaluation)"
    )
    p.add_argument(
        "--embedder",
        default=settings.catalog.embedder,
        help=f"content model for the train index (default {settings.catalog.embedder}, from "
        "SHOPREC_EMBEDDER)",
    )
    p.add_argument(
        "--max-users", type=int, default=None, help="evaluate only a sample of the test users"
    )
    p.add_argument(
        "--hybrid-weights",
        default=",".join(
            f"{w:g}" for w in sorted({0.0, 0.25, 0.5, 0.75, 1.0, settings.serving.w_cf})
        ),
        help="comma-separated w_cf values of the hybrid rows (w_content = 1 - w_cf); default: "
        "0, 0.25, 0.5, 0.75, 1 and the configured SHOPREC_W_CF",
    )
    p.add_argument(
        "--validation",
        action="store_true",
        help="score the validation split cut from the end of train instead of test (for "
        "choosing hyper-parameters; test events are dropped)",
    )
    p.add_argument(
        "--exclude-seen",
        default="",
        metavar="POLICIES",
        help="compare seen policies (comma-separated of bought, carted, all; "
        "SHOPREC_EXCLUDE_SEEN): products touched again after the cut count as relevant, the "
        "requests carry no exclusions, and cf and the hybrid are scored per policy, with "
        "repeats and on novel products only",
    )
    p.add_argument(
        "--diversity",
        default="",
        metavar="VALUES",
        help="comma-separated diversity values (0..1, MMR as the endpoints' `diversity`) to "
        "score the served hybrid at, one row each, e.g. 0,0.3,0.6; default: none",
    )
    add_tuning_arguments(p, settings)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.set_defaults(handler=cmd_evaluate)


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from service.evaluation.report import markdown, write_report
    from service.evaluation.runner import EvalConfig, run_evaluation

    if not 0.0 < args.test_fraction < 1.0:
        raise CommandError("--test-fraction must be between 0 and 1", code=2)
    if args.k < 1 or args.k > MAX_TOP_K:
        raise CommandError(f"--k must be between 1 and {MAX_TOP_K}", code=2)
    for path in (args.products, args.interactions):
        if not Path(path).is_file():
            raise CommandError(f"{path}: file not found", code=2)
    try:
        weights = [float(w) for w in args.hybrid_weights.split(",") if w.strip()]
    except ValueError:
        raise CommandError("--hybrid-weights must be numbers like 0,0.5,1", code=2) from None
    if any(not 0.0 <= w <= 1.0 for w in weights):
        raise CommandError("--hybrid-weights must each be between 0 and 1", code=2)
    policies = [p.strip() for p in args.exclude_seen.split(",") if p.strip()]
    if any(p not in SEEN_POLICIES for p in policies):
        raise CommandError(f"--exclude-seen takes {', '.join(SEEN_POLICIES)}", code=2)
    diversities = _diversities(args.diversity)
    settings = tuning_settings(args, settings.replace(catalog={"embedder": args.embedder}))
    url = resolve_redis_url(settings)
    client = sync_client(url)
    started = time.perf_counter()
    config = EvalConfig(
        products=Path(args.products),
        interactions=Path(args.interactions),
        test_fraction=args.test_fraction,
        k=args.k,
        max_users=args.max_users,
        hybrid_weights=weights,
        validation=args.validation,
        exclude_seen=policies,
        diversity=diversities,
        quiet=args.quiet,
    )
    try:
        result = run_evaluation(client, url, settings, config)
    except ValueError as exc:
        raise CommandError(str(exc), code=2) from None
    except redis.TimeoutError as exc:
        raise CommandError(f"Redis did not answer in time ({exc}); is it overloaded?") from None
    finally:
        client.close()
    paths = write_report(result, Path(args.out))
    print(markdown(result))
    print("wrote " + ", ".join(str(p) for p in paths))
    print(f"run time: {time.perf_counter() - started:.1f} s")
    return 0


def _diversities(raw: str) -> list[float]:
    try:
        values = [float(d) for d in raw.split(",") if d.strip()]
    except ValueError:
        raise CommandError("--diversity must be numbers like 0,0.3,0.6", code=2) from None
    if any(not 0.0 <= d <= 1.0 for d in values):  # NaN fails too
        raise CommandError("--diversity values must each be between 0 and 1", code=2)
    return values
