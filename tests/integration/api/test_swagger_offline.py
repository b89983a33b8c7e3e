"""The Swagger UI page loads everything from the service itself: no outside URL in its
script and link tags, and every asset it names answers here."""

from __future__ import annotations

import re

import pytest
from litestar.testing import TestClient

ASSET = re.compile(r"<(?:script|link)\b[^>]*?\b(?:src|href)=[\"']([^\"']+)[\"']", re.IGNORECASE)


@pytest.mark.parametrize("page", ["/schema/swagger", "/schema"])
def test_the_swagger_page_names_only_its_own_assets(api: TestClient, page: str) -> None:
    html = api.get(page)
    assert html.status_code == 200
    urls = ASSET.findall(html.text)
    # The bundle, the standalone preset, the stylesheet and the icon.
    assert len(urls) == 4, urls
    assert not re.search(r"https?://", " ".join(urls))
    assert "cdn" not in html.text.lower()
    kinds = {}
    for url in urls:
        answer = api.get(url)
        assert answer.status_code == 200, url
        assert len(answer.content) > 0
        kinds[url.rsplit(".", 1)[-1]] = answer.headers["content-type"]
    assert kinds["js"].startswith("text/javascript")
    assert kinds["css"].startswith("text/css")
    assert kinds["png"] == "image/png"


@pytest.mark.parametrize("name", ["index.html", "../__init__.py", "swagger-initializer.js"])
def test_other_files_of_the_package_are_not_served(api: TestClient, name: str) -> None:
    answer = api.get(f"/schema/swagger-ui/{name}")
    assert answer.status_code == 404
