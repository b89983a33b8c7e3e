"""The storefront in headless Chromium on the demo catalog: what the page shows is what the
API answers, and clicks, purchases and "not interested" reach POST /feedback and move the
shopper's "For you" row."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.api.conftest import PRODUCT, ids

ROW = 6  # products per recommendation row (shop.js)


def ready(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready='yes']", timeout=20_000)


def card_ids(page: Any, selector: str) -> list[str]:
    return page.locator(f"{selector} li.card").evaluate_all(
        "nodes => nodes.map(n => n.dataset.productId)"
    )


def generation(page: Any, row: str) -> int:
    return int(page.locator(f"#{row}").get_attribute("data-generation") or 0)


def wait_rerender(page: Any, row: str, before: int) -> None:
    page.wait_for_function(
        f"() => Number(document.getElementById('{row}').dataset.generation || 0) > {before}",
        timeout=15_000,
    )
    page.wait_for_load_state("networkidle")


def test_the_storefront_lists_the_live_catalog_and_searches_it(
    page: Any, shop_url: str, shopper: str
) -> None:
    ready(page, f"{shop_url}/")
    listed = httpx.get(f"{shop_url}/catalog", params={"limit": 24}).json()
    titles = page.locator("#grid li.card h3").all_inner_texts()
    assert titles == [item["title"] for item in listed["results"]]
    assert page.locator("#count").inner_text().startswith(f"{listed['total']} products")

    page.fill("#q", "terracotta plan")
    page.press("#q", "Enter")
    page.wait_for_function(
        "() => document.querySelector('#count').textContent.includes('matching')"
    )
    found = page.locator("#grid li.card h3").all_inner_texts()
    assert found and all("terracotta" in title.lower() for title in found)

    page.select_option("#category", "Garden")
    page.wait_for_function(
        "() => document.querySelector('#count').textContent.includes('matching')"
    )
    page.wait_for_load_state("networkidle")
    categories = page.locator("#grid li.card .category").all_inner_texts()
    assert categories and set(categories) == {"Garden"}


def test_a_product_page_shows_what_the_content_and_cf_endpoints_answer(
    page: Any, shop_url: str, shopper: str
) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    ready(page, f"{shop_url}/#product={PRODUCT}")
    page.wait_for_function(
        "() => Number(document.getElementById('row-together').dataset.generation) > 0"
    )
    page.wait_for_load_state("networkidle")
    # The product from /products/{id}; the cards of its rows from the answers alone.
    assert f"{shop_url}/products/{PRODUCT}" in requested
    assert not [url for url in requested if "/catalog?" in url and "ids=" in url]
    similar = httpx.get(f"{shop_url}/recommend/content/{PRODUCT}", params={"top_k": ROW})
    together = httpx.get(
        f"{shop_url}/recommend/hybrid",
        params={"product_id": PRODUCT, "top_k": ROW, "w_content": 0, "w_cf": 1},
    )
    assert card_ids(page, "#row-similar") == ids(similar.json())
    assert card_ids(page, "#row-together") == ids(together.json())
    assert page.locator("#product-title").inner_text().startswith("GreenThumb Terracotta Planter")
    assert "Garden" in page.locator("#product-meta").inner_text()
    # Recommendation cards show the product's own price and category (every demo product has
    # both), as the answer carries them: the page reads no product details per card.
    first = ids(similar.json())[0]
    listed = httpx.get(f"{shop_url}/products/{first}").json()
    meta = page.locator("#row-similar li.card .meta").first.inner_text()
    assert f"{listed['price']:.2f}" in meta.replace(",", "")
    assert listed["categories"][0] in meta and "no price" not in meta


def test_an_unknown_product_page_says_so(page: Any, shop_url: str, shopper: str) -> None:
    ready(page, f"{shop_url}/#product=P999999")
    assert page.locator("#product-title").inner_text() == "Unknown product P999999"
    assert page.locator("#notice").inner_text() == ""


def test_a_click_posts_feedback_and_the_for_you_row_follows(
    page: Any, shop_url: str, shopper: str
) -> None:
    ready(page, f"{shop_url}/")
    page.reload()  # the same answer again comes from the cache, and the page says so
    page.wait_for_selector("body[data-ready='yes']")
    assert page.locator("#row-foryou .source").inner_text() == "cache"
    before_ids, before = card_ids(page, "#row-foryou"), generation(page, "row-foryou")
    target = before_ids[0]

    with page.expect_request(lambda r: r.url.endswith("/feedback")) as posted:
        page.locator(f"#row-foryou li[data-product-id='{target}'] h3 a").click()
    assert posted.value.post_data_json == {
        "user_id": shopper,
        "product_id": target,
        "action": "click",
    }
    wait_rerender(page, "row-foryou", before)
    after = card_ids(page, "#row-foryou")
    # A new user got popular products; one click gives them a history, and the row changes.
    assert after != before_ids
    assert page.locator("#row-foryou .source").inner_text() == "model"  # the user's cache went
    answer = httpx.get(f"{shop_url}/recommend/ab", params={"user_id": shopper, "top_k": ROW})
    assert after == ids(answer.json())
    assert page.locator("#variant").inner_text() == answer.json()["variant"]


def test_not_interested_removes_the_product_from_the_shoppers_rows(
    page: Any, shop_url: str, shopper: str
) -> None:
    ready(page, f"{shop_url}/")
    target = card_ids(page, "#row-foryou")[0]
    before = generation(page, "row-foryou")
    with page.expect_request(lambda r: r.url.endswith("/feedback")) as posted:
        page.locator(f"#row-foryou li[data-product-id='{target}'] button.dismiss").click()
    assert posted.value.post_data_json["action"] == "dismiss"
    wait_rerender(page, "row-foryou", before)
    assert target not in card_ids(page, "#row-foryou")
    answer = httpx.get(f"{shop_url}/recommend/ab", params={"user_id": shopper, "top_k": ROW})
    assert target not in ids(answer.json())
    # ...and for the rest of the visit: it is left out of the product page's rows too.
    ready(page, f"{shop_url}/#product={target}")
    assert target not in card_ids(page, ".row")


@pytest.mark.parametrize(
    ("button", "action"), [("#add-to-cart", "add_to_cart"), ("#buy", "purchase")]
)
def test_cart_and_buy_post_feedback_and_refresh_for_you(
    page: Any, shop_url: str, shopper: str, button: str, action: str
) -> None:
    ready(page, f"{shop_url}/#product={PRODUCT}")
    before = generation(page, "row-foryou")
    with page.expect_request(lambda r: r.url.endswith("/feedback")) as posted:
        page.click(button)
    assert posted.value.post_data_json == {
        "user_id": shopper,
        "product_id": PRODUCT,
        "action": action,
    }
    wait_rerender(page, "row-foryou", before)
    assert page.locator("#row-foryou .source").inner_text() == "model"


def test_debug_weights_serve_for_you_from_the_hybrid_blend(
    page: Any, shop_url: str, shopper: str
) -> None:
    ready(page, f"{shop_url}/")
    page.click("#debug summary")
    before = generation(page, "row-foryou")
    page.check("#use-weights")
    wait_rerender(page, "row-foryou", before)
    answer = httpx.get(
        f"{shop_url}/recommend/hybrid",
        params={"user_id": shopper, "top_k": ROW, "w_content": 0.1, "w_cf": 0.9},
    )
    assert card_ids(page, "#row-foryou") == ids(answer.json())
    assert "hybrid" in page.locator("#foryou-how").inner_text()


def test_keyboard_and_phone_width(browser: Any, request: Any, tmp_path: Any, shop_url: str) -> None:
    from tests.integration.api.browser.conftest import open_page

    page = open_page(browser, request, tmp_path, viewport={"width": 375, "height": 800})
    ready(page, f"{shop_url}/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the page scrolls sideways on a phone"
    first = page.locator("#grid li.card h3 a").first
    first.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#product-view:not([hidden])")
    # The view opens before /products/{id} answers; the id is filled in when it does.
    page.wait_for_function("() => document.getElementById('product-id').textContent !== ''")
    assert page.locator("#product-id").inner_text() == first.get_attribute("href").split("=")[1]
