"""`shoprec rules list|add|remove|import FILE`: the merchandising rules (docs/merchandising.md)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import redis

from indexing.connection.redis_connection import resolve_redis_url, sync_client
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.cli.errors import CommandError

if TYPE_CHECKING:
    from service.recommend.rules import Rule, RuleSet

CSV_HELP = (
    'FILE is JSON (a list of rule objects, or {"rules": [...]}) or CSV (a header row '
    "naming id and kind and any of product_id, category, price_min, price_max, weight, "
    "position, start, end; an empty cell is unset), told apart by its .json or .csv suffix "
    "(--format to say otherwise)."
)


def register(sub: argparse._SubParsersAction, settings: Settings) -> None:
    rules_p = sub.add_parser(
        "rules",
        help="list, add, remove or import merchandising rules (boost, bury, pin, filter)",
        description="Merchandising rules, kept in Redis across rebuilds and read by every "
        "worker within a second: boost or bury products (the score up or down by weight x the "
        "range of the candidates' scores: 1 puts it above or below all others), pin one at "
        "a slot, or filter some out; matching by product id, category or price range, "
        "with an optional UTC time window. Every change is "
        "checked first (exit 2 and nothing written when any rule is refused) and retires "
        "the cached answers. docs/merchandising.md.",
    )
    actions = rules_p.add_subparsers(dest="rules_action", required=True, metavar="ACTION")
    list_p = actions.add_parser("list", help="print the rules as JSON, one per line")
    list_p.set_defaults(handler=cmd_list)
    add_p = actions.add_parser("add", help="add a rule (or replace the rule of that id)")
    add_p.add_argument("kind", choices=("boost", "bury", "pin", "filter"))
    add_p.add_argument("--id", help="the rule's id (default: KIND-<time>)")
    match = add_p.add_mutually_exclusive_group(required=True)
    match.add_argument("--product-id", help="match this product id")
    match.add_argument("--category", help="match products of this category (any case)")
    match.add_argument(
        "--price-range",
        metavar="MIN:MAX",
        help="match prices within MIN..MAX, inclusive (either side may be empty)",
    )
    add_p.add_argument(
        "--weight", type=float, default=1.0, help="boost and bury: 0 < weight <= 10 (default 1)"
    )
    add_p.add_argument("--position", type=int, help="pin: the 1-based slot")
    add_p.add_argument("--start", help="ISO-8601 UTC time the rule starts (default: now)")
    add_p.add_argument("--end", help="ISO-8601 UTC time the rule ends (default: never)")
    add_p.set_defaults(handler=cmd_add)
    remove_p = actions.add_parser("remove", help="remove rules by id")
    remove_p.add_argument("ids", nargs="+", metavar="ID")
    remove_p.set_defaults(handler=cmd_remove)
    import_p = actions.add_parser(
        "import",
        help="add (or replace by id) every rule of a JSON or CSV file",
        description="Add every rule of FILE, replacing kept rules of the same id (--replace: "
        f"FILE's rules become all the rules). {CSV_HELP} Every rule is checked, product "
        "ids against the live catalog, before anything is written.",
    )
    import_p.add_argument("file", metavar="FILE", type=Path, help="a .json or .csv rule file")
    import_p.add_argument("--format", choices=("json", "csv"), help="the file's format")
    import_p.add_argument(
        "--replace", action="store_true", help="the file's rules replace all kept rules"
    )
    import_p.set_defaults(handler=cmd_import)


def _client_and_layout(settings: Settings) -> tuple[redis.Redis, RedisLayout]:
    return sync_client(resolve_redis_url(settings)), RedisLayout(settings.redis.key_prefix)


def _change(
    settings: Settings, change: Callable[[list[Rule]], list[Rule]], where: str = ""
) -> RuleSet:
    from service.recommend.rules import RuleError
    from service.store.rules_store import change_rules

    client, layout = _client_and_layout(settings)
    try:
        return change_rules(client, layout, change)
    except RuleError as exc:
        raise CommandError(f"{where}{exc}", code=2) from None


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    import msgspec

    from service.store.rules_store import read_rules

    client, layout = _client_and_layout(settings)
    kept = read_rules(client, layout)
    now = time.time()
    for rule in kept.rules:
        print(f"{msgspec.json.encode(rule).decode()}  # {rule.state(now)}")
    print(f"# {len(kept.rules)} rule(s), generation {kept.generation}")
    return 0


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    from service.recommend.rules import Rule, RuleError, check

    price_min = price_max = None
    if args.price_range is not None:
        low, sep, high = args.price_range.partition(":")
        try:
            if not sep:
                raise ValueError
            price_min = float(low) if low.strip() else None
            price_max = float(high) if high.strip() else None
        except ValueError:
            raise CommandError(
                f"--price-range takes MIN:MAX, not {args.price_range!r}", code=2
            ) from None
        if price_min is None and price_max is None:
            raise CommandError("--price-range needs MIN, MAX or both", code=2)
    rule = Rule(
        id=args.id or f"{args.kind}-{int(time.time() * 1000)}",
        kind=args.kind,
        product_id=args.product_id,
        category=args.category,
        price_min=price_min,
        price_max=price_max,
        weight=args.weight,
        position=args.position,
        start=args.start,
        end=args.end,
    )
    try:
        rule = check(rule)
    except RuleError as exc:
        raise CommandError(str(exc), code=2) from None
    kept = _change(settings, lambda rules: [*(r for r in rules if r.id != rule.id), rule])
    print(f"added rule {rule.id!r} ({len(kept.rules)} rule(s), generation {kept.generation})")
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    from service.store.rules_store import read_rules

    client, layout = _client_and_layout(settings)
    known = {r.id for r in read_rules(client, layout).rules}
    unknown = [i for i in args.ids if i not in known]
    if unknown:
        raise CommandError(f"no rule with id {', '.join(map(repr, unknown))}", code=2)
    gone = set(args.ids)
    kept = _change(settings, lambda rules: [r for r in rules if r.id not in gone])
    print(f"removed {len(gone)} rule(s) ({len(kept.rules)} left, generation {kept.generation})")
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from service.recommend.rules import RuleError, parse_rules

    path: Path = args.file
    fmt = args.format or path.suffix.lower().lstrip(".")
    if fmt not in ("json", "csv"):
        raise CommandError(f"{path}: say --format json or csv (the suffix says neither)", code=2)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {path}: {exc}", code=2) from None
    try:
        imported = parse_rules(text, fmt)
    except RuleError as exc:
        raise CommandError(f"{path}: {exc}", code=2) from None
    ids = {r.id for r in imported}

    def change(rules: list[Rule]) -> list[Rule]:
        kept = [] if args.replace else [r for r in rules if r.id not in ids]
        return [*kept, *imported]

    kept = _change(settings, change, f"{path}: ")
    print(
        f"imported {len(imported)} rule(s) from {path} ({len(kept.rules)} in all, "
        f"generation {kept.generation})"
    )
    return 0
