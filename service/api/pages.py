"""The storefront (/) and the insight page (/insight): static HTML and plain JavaScript
shipped in the package (service/api/static/, package-data in pyproject.toml), which call the
JSON API in the browser. No build step, no separate server.

`shop_handlers()` is everything issue #17 adds to the app: the two pages, /static, and the
read-only /catalog endpoints the pages read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import MediaType, Response, get
from litestar.static_files import create_static_files_router

from service.api.catalog_routes import CatalogController

STATIC_DIR = Path(__file__).with_name("static")
# The pages run only their own scripts and styles from /static and talk only to this origin;
# product images may come from any https host (img_url); nobody may frame them.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def _page(name: str) -> Response[bytes]:
    return Response(
        (STATIC_DIR / name).read_bytes(),
        media_type=MediaType.HTML,
        headers={
            "cache-control": "no-cache",
            "content-security-policy": CONTENT_SECURITY_POLICY,
            "x-frame-options": "DENY",
        },
    )


@get("/", include_in_schema=False, sync_to_thread=False)
def storefront() -> Response[bytes]:
    return _page("shop.html")


@get("/insight", include_in_schema=False, sync_to_thread=False)
def insight() -> Response[bytes]:
    return _page("insight.html")


def shop_handlers() -> list[Any]:
    static = create_static_files_router(
        path="/static", directories=[STATIC_DIR], include_in_schema=False
    )
    return [storefront, insight, static, CatalogController]
