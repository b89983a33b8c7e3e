"""Who may call what: one app-level guard reads the access level a route declares in its
`opt` (`opt=ADMIN`, `opt=FEEDBACK`, `opt=PERSONAL`; none: open) and the caller's credentials.

Credentials: a key as `Authorization: Bearer <key>` or `X-API-Key: <key>` (compared in
constant time), or a per-user token (service.api.user_token) as `X-User-Token: <token>` or
`Authorization: Bearer <token>`. The levels (docs/security.md has the table):

- ADMIN: the A/B report and the insight page's data. Needs SHOPREC_ADMIN_KEY when it is set.
- FEEDBACK: POST /feedback. With a key or token secret set, needs the API key (any user), the
  admin key, or a user token, which lets the body name its own user only (`check_user`).
  Always `Content-Type: application/json`, so no web page can post it without a preflight.
- PERSONAL: answers for a user_id. With SHOPREC_REQUIRE_USER_TOKEN=1, needs that user's
  token or a key.

Every key unset keeps everything open, as `make run` serves it on loopback.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    PermissionDeniedException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE

from indexing.contract.settings import AccessSettings
from service.api.user_token import TokenRefused, looks_like_token, verify

LEVEL = "access"
ADMIN: dict[str, Any] = {LEVEL: "admin"}
FEEDBACK: dict[str, Any] = {LEVEL: "feedback"}
PERSONAL: dict[str, Any] = {LEVEL: "personal"}
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="shoprec"'}
KEY_HOW = "as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
TOKEN_USER = "token_user"  # the connection state entry of a verified token's user


@dataclass(frozen=True)
class Caller:
    admin: bool = False
    backend: bool = False  # the API key (or the admin key): may act for any user
    user_id: str | None = None  # a verified token's user


def _same(given: str, key: str) -> bool:
    return bool(key) and hmac.compare_digest(given.encode(), key.encode())


def _refused(detail: str) -> NotAuthorizedException:
    return NotAuthorizedException(detail=detail, headers=CHALLENGE)


class Access:
    def __init__(self, settings: AccessSettings):
        self.settings = settings
        if settings.require_user_token and not settings.signing_secret:
            raise ValueError(
                "SHOPREC_REQUIRE_USER_TOKEN=1 needs SHOPREC_TOKEN_SECRET or SHOPREC_API_KEY "
                "to check the tokens with"
            )

    def caller(self, connection: ASGIConnection[Any, Any, Any, Any]) -> Caller:
        """Who sent the request; 401 for a key or token that is given but wrong."""
        headers = connection.headers
        scheme, _, bearer = headers.get("authorization", "").partition(" ")
        bearer = bearer.strip() if scheme.lower() == "bearer" else ""
        token = headers.get("x-user-token", "").strip()
        key = headers.get("x-api-key", "").strip()
        if bearer and looks_like_token(bearer):
            token = token or bearer
        elif bearer:
            key = key or bearer
        settings = self.settings
        if key:
            if _same(key, settings.admin_key):
                return Caller(admin=True, backend=True)
            if _same(key, settings.api_key):
                return Caller(backend=True)
            raise _refused("the key given is neither SHOPREC_API_KEY nor SHOPREC_ADMIN_KEY")
        if token and settings.signing_secret:
            try:
                return Caller(user_id=verify(settings.signing_secret, token).user_id)
            except TokenRefused as exc:
                raise _refused(str(exc)) from None
        return Caller()

    def admit(self, connection: ASGIConnection[Any, Any, Any, Any], level: str | None) -> None:
        if level == "admin":
            self._admin(connection)
        elif level == "feedback":
            self._feedback(connection)
        elif level == "personal":
            self._personal(connection)

    def _admin(self, connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        if not self.settings.admin_key:
            return
        who = self.caller(connection)
        if who.admin:
            return
        if who.backend:
            raise PermissionDeniedException(
                detail="the API key does not open this endpoint: it needs SHOPREC_ADMIN_KEY"
            )
        raise _refused(f"this endpoint needs the admin key (SHOPREC_ADMIN_KEY), {KEY_HOW}")

    def _feedback(self, connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        settings = self.settings
        if settings.api_key or settings.admin_key or settings.signing_secret:
            who = self.caller(connection)
            if not who.backend:
                if who.user_id is None:
                    raise _refused(
                        f"POST /feedback needs the API key (SHOPREC_API_KEY) {KEY_HOW}, or the "
                        "user's token as 'X-User-Token: <token>'"
                    )
                connection.state[TOKEN_USER] = who.user_id
        media_type = connection.headers.get("content-type", "").partition(";")[0].strip()
        if media_type.lower() != "application/json":
            raise ClientException(
                status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                detail=f"send the body as JSON with 'Content-Type: application/json' "
                f"(got {media_type or 'no content type'!r})",
            )

    def _personal(self, connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        if not self.settings.require_user_token:
            return
        user_id = connection.path_params.get("user_id") or connection.query_params.get("user_id")
        if user_id is None:  # hybrid around a product only: nothing personal
            return
        who = self.caller(connection)
        if who.backend or who.user_id == user_id:
            return
        if who.user_id is not None:
            raise PermissionDeniedException(detail="the user token is for another user")
        raise _refused(
            "personalised answers need the user's token as 'X-User-Token: <token>' "
            f"(SHOPREC_REQUIRE_USER_TOKEN=1), or the API key {KEY_HOW}"
        )


def check_user(connection: ASGIConnection[Any, Any, Any, Any], user_id: str) -> None:
    """403 when the request came with a user token for someone other than `user_id`."""
    token_user = connection.state.get(TOKEN_USER)
    if token_user is not None and token_user != user_id:
        raise PermissionDeniedException(
            detail=f"the user token is for another user: it may send feedback for "
            f"{token_user!r} only"
        )


def access_guard(access: Access) -> Any:
    """The app-level guard: each route's declared level, checked before its handler runs."""

    # Async: Litestar runs a sync guard in its thread pool, a thread hand-off on every request
    # (a fifth of a cached answer's CPU); `admit` only compares keys and checks a signature.
    async def guard(
        connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        access.admit(connection, handler.opt.get(LEVEL))

    return guard
