"""Headless Chromium (Debian's `chromium`, driven by the `playwright` package) against the real
app served by uvicorn on the demo index. Playwright's own browser download is not used.

Without Chromium or the playwright package the browser tests skip and say how to install
them. A failing test leaves a full-page screenshot in its tmp dir; the path is printed.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.api.app import create_app
from tests.integration.api.conftest import _drop_cache, drop_experiment
from tests.support.live_server import live_server

INSTALL = "apt-get install -y chromium (Debian; .ci/run does it) and pip install '.[dev]'"


def chromium_path() -> str | None:
    return os.environ.get("SHOPREC_CHROMIUM") or shutil.which("chromium")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        pytest.skip(f"needs Chromium: {INSTALL}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(f"needs the playwright package: {INSTALL}")
    with sync_playwright() as playwright:
        # --no-sandbox: CI containers run as root, where Chromium's sandbox refuses to start.
        chromium = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def shop_settings(demo_index: Settings) -> Settings:
    return demo_index.replace(ab={"experiment": f"exp-shop-{uuid.uuid4().hex[:8]}"})


@pytest.fixture(scope="package")
def shop_url(shop_settings: Settings, redis_url: str) -> Iterator[str]:
    client = redis.Redis.from_url(redis_url)
    layout = RedisLayout(shop_settings.redis.key_prefix)
    version = int(client.hget(layout.meta, "version") or 0)
    _drop_cache(client, layout.cache_prefix(version))
    with live_server(create_app(shop_settings)) as url:
        yield url
    # Shared demo index: leave no cache entries or A/B counters behind for other tests.
    _drop_cache(client, layout.cache_prefix(version))
    experiment = shop_settings.ab.experiment
    drop_experiment(client, layout, experiment)
    client.close()


def open_page(browser: Any, request: pytest.FixtureRequest, tmp_path: Any, **context: Any) -> Any:
    """A fresh browser context (no storage) and page; screenshot on failure."""
    ctx = browser.new_context(**context)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The pages run under a Content-Security-Policy (service/api/pages.py): anything of
    # theirs it blocks shows up as a console error, and fails the test.
    blocked: list[str] = []
    page.on(
        "console",
        lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    request.addfinalizer(lambda: _finish(request, ctx, page, tmp_path, errors))
    request.addfinalizer(lambda: _no_csp_violations(blocked))
    return page


def _no_csp_violations(blocked: list[str]) -> None:
    assert not blocked, f"the page's Content-Security-Policy blocked: {blocked}"


def _finish(request: pytest.FixtureRequest, ctx: Any, page: Any, tmp_path: Any, errors: list):
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        shot = tmp_path / "failure.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"\nscreenshot of the failed page: {shot}\npage errors: {errors}")
    ctx.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    return open_page(browser, request, tmp_path, viewport={"width": 1280, "height": 900})


@pytest.fixture
def shopper(page: Any, fresh_user: str) -> str:
    """The storefront opens as `fresh_user` (a user nobody else writes feedback for)."""
    page.add_init_script(f"localStorage.setItem('shoprec.user', {fresh_user!r})")
    return fresh_user
