"""Per-user browser tokens: `v1.<user_id, base64url>.<expiry, epoch seconds>.<signature>`.

A browser cannot hold the shop's API key, so the shop backend (which knows who is logged in)
mints a short-lived token for that user and the page sends it as `X-User-Token`. The token
lets the page act for that one user, until it expires. The recipe, for backends in any
language (docs/security.md):

    payload   = "v1." + b64url(user_id) + "." + str(expiry)
    signature = b64url(HMAC-SHA256(secret, payload))
    token     = payload + "." + signature

b64url is URL-safe base64 without `=` padding; the secret is SHOPREC_TOKEN_SECRET, or
SHOPREC_API_KEY when that is unset (settings.access.signing_secret).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import dataclass

VERSION = "v1"


class TokenRefused(ValueError):
    """The token is malformed, its signature does not match, or it has expired."""


@dataclass(frozen=True)
class UserToken:
    user_id: str
    expires_at: int  # epoch seconds


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def mint(secret: str, user_id: str, ttl_s: int, now: float | None = None) -> str:
    expires = int((time.time() if now is None else now) + ttl_s)
    payload = f"{VERSION}.{_b64(user_id.encode())}.{expires}"
    return f"{payload}.{_signature(secret, payload)}"


def looks_like_token(value: str) -> bool:
    """Tell a token from an API key in `Authorization: Bearer ...`."""
    return value.startswith(f"{VERSION}.") and value.count(".") == 3


def verify(secret: str, token: str, now: float | None = None) -> UserToken:
    """The token's user and expiry, or TokenRefused saying what is wrong."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != VERSION or not parts[2].isdigit():
        raise TokenRefused("the user token is malformed: expected v1.<user>.<expiry>.<signature>")
    payload = ".".join(parts[:3])
    if not hmac.compare_digest(_signature(secret, payload).encode(), parts[3].encode()):
        raise TokenRefused("the user token's signature does not match: mint a new one")
    expires = int(parts[2])
    if expires <= (time.time() if now is None else now):
        raise TokenRefused(f"the user token expired at {expires} (epoch s): mint a new one")
    try:
        user_id = _unb64(parts[1]).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise TokenRefused("the user token's user id is not base64url UTF-8") from None
    return UserToken(user_id, expires)
