"""The Swagger UI renders the service's API in Chromium with every request to another host
refused: the page needs nothing from the internet."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def test_swagger_ui_renders_offline(page: Any, shop_url: str) -> None:
    own = urlsplit(shop_url).netloc
    outside: list[str] = []

    def only_own_host(route: Any) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_own_host)
    page.goto(f"{shop_url}/schema/swagger")
    page.wait_for_selector("#operations-recommendations-recommendContent", timeout=20_000)
    assert "shoprec" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() >= 10
    assert outside == []
