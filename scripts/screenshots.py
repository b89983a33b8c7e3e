"""Regenerate the README screenshots (docs/screenshots/*.png) of the storefront, a product
page, the insight page and the storefront at phone width: `make screenshots`
(`python -m scripts.screenshots` from the project root, so `tests.support` imports).

Isolated from your own data: starts a throwaway embedded Redis in a temporary folder, builds
the demo catalog (data/) into it, plays a little A/B traffic so the insight chart has bars,
serves the app with uvicorn and photographs it with headless Chromium (Debian's `chromium`,
driven by playwright). Takes about a minute, mostly the index build.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import httpx
import redis
from playwright.sync_api import sync_playwright

from indexing.build.index_builder import build_index
from indexing.connection.embedded_redis import EmbeddedRedis, free_port
from indexing.contract.settings import PROJECT_ROOT, get_settings
from service.api.app import create_app
from tests.support.live_server import live_server

OUT = PROJECT_ROOT / "docs" / "screenshots"
DATA = PROJECT_ROOT / "data"
USER = "U00007"  # a demo user with history


def play_traffic(base: str, users: int = 80) -> None:
    """Impressions for `users` synthetic shoppers; some of them click the first result."""
    with httpx.Client(base_url=base, timeout=30) as client:
        for i in range(users):
            user = f"screenshot-{i:03d}"
            answer = client.get("/recommend/ab", params={"user_id": user, "top_k": 6}).json()
            if answer["results"] and i % (3 if answer["variant"] == "hybrid" else 4) == 0:
                product = answer["results"][0]["product_id"]
                body = {"user_id": user, "product_id": product, "action": "click"}
                client.post("/feedback", json=body).raise_for_status()


def photograph(base: str, chromium: str) -> list[Path]:
    shots = [
        ("storefront.png", "/", 1280, 1100),
        ("product.png", "/#product=P000001", 1280, 1300),
        ("insight.png", "/insight", 1280, 1250),
        ("phone.png", "/", 390, 1100),
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for name, path, width, height in shots:
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.add_init_script(f"localStorage.setItem('shoprec.user', {USER!r})")
            page.goto(base + path)
            page.wait_for_selector("body[data-ready]", timeout=30_000)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / name))
            written.append(OUT / name)
            context.close()
        browser.close()
    return written


def main() -> int:
    chromium = shutil.which("chromium")
    if chromium is None:
        print("needs Chromium: apt-get install -y chromium", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="shoprec-screens-") as tmp:
        server = EmbeddedRedis(port=free_port(), data_dir=Path(tmp))
        server.start()
        try:
            settings = get_settings().replace(redis={"url": server.url})
            client = redis.Redis.from_url(server.url)
            build_index(client, settings, DATA / "products.csv", DATA / "interactions.csv")
            client.close()
            with live_server(create_app(settings)) as base:
                play_traffic(base)
                for path in photograph(base, chromium):
                    print(f"wrote {path.relative_to(PROJECT_ROOT)}")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
