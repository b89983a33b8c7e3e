"""The Swagger UI at /schema/swagger with its scripts, stylesheet and icon served by the
service itself, so the page works without internet access (Litestar's default loads them
from a CDN).

The files come from the `swagger-ui-bundle-v2` wheel (pyproject.toml), whose files are
byte-identical to the npm `swagger-ui-dist` release of the same version. Only the files the
page uses are served, from a fixed list, so no other file of the package is reachable.
"""

from __future__ import annotations

from functools import cache

from litestar import Response, get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import SwaggerRenderPlugin
from swagger_ui_bundle import swagger_ui_path

SCHEMA_PATH = "/schema"  # OpenAPIConfig.path in app.py
ASSET_PATH = f"{SCHEMA_PATH}/swagger-ui"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}


def swagger_render_plugin() -> SwaggerRenderPlugin:
    """Swagger UI whose page names only this service's own asset URLs (absolute, so /schema
    and /schema/swagger, which both render it, find them)."""
    return SwaggerRenderPlugin(
        js_url=f"{ASSET_PATH}/swagger-ui-bundle.js",
        css_url=f"{ASSET_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSET_PATH}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{ASSET_PATH}/favicon-32x32.png'>",
    )


@cache
def _asset(name: str) -> bytes:
    return (swagger_ui_path / name).read_bytes()


@get(f"{ASSET_PATH}/{{name:str}}", include_in_schema=False, sync_to_thread=False)
def swagger_asset(name: str) -> Response[bytes]:
    media_type = ASSETS.get(name)
    if media_type is None:
        raise NotFoundException(f"no Swagger UI file {name!r}; the page uses {sorted(ASSETS)}")
    # The files change only with the package version: let browsers keep them for a day.
    return Response(
        _asset(name), media_type=media_type, headers={"cache-control": "public, max-age=86400"}
    )
