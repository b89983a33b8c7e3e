"""`shoprec token USER`: mint a user token (service.api.user_token), to try what a shop
backend does for a logged-in shopper."""

from __future__ import annotations

import argparse

from indexing.contract.settings import Settings
from service.cli.errors import CommandError

DEFAULT_TTL_S = 3600


def register(sub: argparse._SubParsersAction, settings: Settings) -> None:
    token_p = sub.add_parser(
        "token",
        help="print a signed per-user token for X-User-Token",
        description="Print a token that lets a browser send feedback (and, with "
        "SHOPREC_REQUIRE_USER_TOKEN=1, read personalised answers) for USER only, until it "
        "expires. Signed with SHOPREC_TOKEN_SECRET, or SHOPREC_API_KEY when that is unset; "
        "docs/security.md has the recipe for minting tokens in a shop backend.",
    )
    token_p.add_argument("user", metavar="USER", help="the user id the token acts for")
    token_p.add_argument(
        "--ttl",
        type=int,
        default=DEFAULT_TTL_S,
        metavar="SECONDS",
        help=f"lifetime in seconds (default {DEFAULT_TTL_S})",
    )
    token_p.set_defaults(handler=cmd_token)


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    from service.api.user_token import mint

    secret = settings.access.signing_secret
    if not secret:
        raise CommandError(
            "no secret to sign with: set SHOPREC_TOKEN_SECRET (or SHOPREC_API_KEY) to the "
            "value the service runs with",
            code=2,
        )
    if args.ttl <= 0:
        raise CommandError(f"--ttl must be a positive number of seconds, not {args.ttl}", code=2)
    if not args.user:
        raise CommandError("USER must not be empty", code=2)
    print(mint(secret, args.user, args.ttl))
    return 0
