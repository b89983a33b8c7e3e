"""max_per_category and diversity on every recommending endpoint (docs/api.md#diversity):
the cap holds and still fills top_k, MMR changes the list and raises its intra-list
diversity, hostile values are 422, and each value is its own cache entry."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import pytest
from litestar.testing import TestClient

from indexing.contract.settings import Settings
from service.api.app import create_app
from service.recommend.diversify import candidates_for
from tests.integration.api.conftest import PRODUCT, RECOMMENDING_ENDPOINTS, USER, ids
from tests.support.knn_spy import spy_knn_sizes, spy_single_knn_sizes
from tests.support.round_trips import count_round_trips

ENDPOINTS = [*RECOMMENDING_ENDPOINTS, f"/recommend/ab?user_id={USER}&"]
# Products whose nearest neighbours are mostly of their own category (a Garden planter, a
# book, a pair of shoes): where diversity has something to do.
PRODUCTS = ["P000001", "P000500", "P002000", "P004000"]


def _results(api: TestClient, url: str) -> list[dict]:
    response = api.get(url)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def _per_category(results: list[dict]) -> Counter[str]:
    """Every category of every product counts (a product of two counts in both)."""
    return Counter(c.lower() for item in results for c in set(item["category"]))


def _intra_list_diversity(results: list[dict]) -> float:
    pairs = list(combinations([tuple(sorted(i["category"])) for i in results], 2))
    return sum(a != b for a, b in pairs) / len(pairs)


@pytest.mark.parametrize("cap", [1, 2, 3])
@pytest.mark.parametrize("url", ENDPOINTS)
def test_the_cap_holds_and_top_k_is_still_filled(api: TestClient, url: str, cap: int) -> None:
    results = _results(api, f"{url}max_per_category={cap}&top_k=10")
    assert len(results) == 10
    assert max(_per_category(results).values()) <= cap
    scores = [item["score"] for item in results]
    assert scores == sorted(scores, reverse=True), "still best first"


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_cap_above_what_the_list_holds_keeps_the_answer(api: TestClient, url: str) -> None:
    plain = _results(api, f"{url}top_k=5")
    capped = _results(api, f"{url}top_k=5&max_per_category=5")
    assert {i["product_id"] for i in capped} == {i["product_id"] for i in plain} or (
        "hybrid" in url or "ab" in url  # hybrid re-normalises over its (wider) candidates
    )


def test_the_cap_fills_a_long_list(api: TestClient) -> None:
    """A planter's nearest neighbours are nearly all Garden: the later rounds ask without the
    categories already full."""
    results = _results(api, f"/recommend/content/{PRODUCT}?max_per_category=4&top_k=100")
    assert len(results) == 100  # 25 categories x 4
    assert max(_per_category(results).values()) == 4


def test_capped_requests_ask_as_deep_as_the_capped_requests_before_them_needed(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """These products' content neighbours are nearly all of their own category: with a cap of
    1 the first request (the app has learned nothing yet) takes several rounds; the ones after
    it ask as deep as it needed at once (service/recommend/cap_depth.py), and take fewer."""
    searched = spy_single_knn_sizes(monkeypatch)
    rounds = []
    for product in PRODUCTS:
        before = len(searched)
        results = _results(api, f"/recommend/content/{product}?max_per_category=1&top_k=10")
        assert len(results) == 10
        assert max(_per_category(results).values()) == 1
        rounds.append(searched[before:])
    first, *later = rounds
    assert first[0] == candidates_for(10) and len(first) > 1, first
    assert all(sizes[0] > candidates_for(10) for sizes in later), later
    assert sum(len(sizes) for sizes in later) / len(later) < len(first), rounds


def test_the_cap_with_a_category_filter_gives_what_the_category_allows(api: TestClient) -> None:
    results = _results(api, f"/recommend/content/{PRODUCT}?category=Books&max_per_category=3")
    assert len(results) == 3


@pytest.mark.parametrize("url", ENDPOINTS)
def test_diversity_0_is_the_plain_answer(api: TestClient, url: str) -> None:
    assert ids(api.get(f"{url}diversity=0").json()) == ids(api.get(url).json())


@pytest.mark.parametrize("product", PRODUCTS)
def test_diversity_1_changes_the_list_and_raises_intra_list_diversity(
    api: TestClient, product: str
) -> None:
    url = f"/recommend/hybrid?product_id={product}&top_k=10"
    plain, diverse = _results(api, url), _results(api, f"{url}&diversity=1")
    assert len(diverse) == 10
    assert [i["product_id"] for i in diverse] != [i["product_id"] for i in plain]
    assert diverse[0]["product_id"] == plain[0]["product_id"], "MMR starts from the best"
    assert _intra_list_diversity(diverse) > _intra_list_diversity(plain)


@pytest.mark.parametrize("url", ENDPOINTS)
def test_diversity_on_every_endpoint_keeps_top_k_and_no_duplicates(
    api: TestClient, url: str
) -> None:
    results = _results(api, f"{url}diversity=0.6&max_per_category=4&top_k=20")
    assert len(results) == 20
    assert len({i["product_id"] for i in results}) == 20
    assert max(_per_category(results).values()) <= 4


@pytest.mark.parametrize(
    "query",
    [
        "max_per_category=0",
        "max_per_category=-1",
        "max_per_category=101",
        "max_per_category=two",
        "diversity=-0.1",
        "diversity=1.01",
        "diversity=2",
        "diversity=nan",
        "diversity=inf",
        "diversity=high",
    ],
)
@pytest.mark.parametrize("url", ENDPOINTS)
def test_hostile_values_are_422_with_a_message(api: TestClient, url: str, query: str) -> None:
    response = api.get(f"{url}{query}")
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        f"/recommend/content/{PRODUCT}?",
        f"/recommend/user/{USER}?",
        f"/recommend/hybrid?user_id={USER}&",
    ],
)
def test_each_value_is_its_own_cache_entry(api: TestClient, url: str) -> None:
    queries = [
        "",
        "diversity=0.3",
        "diversity=0.6",
        "max_per_category=2",
        "max_per_category=3",
        "max_per_category=2&diversity=0.3",
    ]
    first = {q: api.get(f"{url}{q}").json() for q in queries}
    assert all(body["source"] == "model" for body in first.values())
    again = {q: api.get(f"{url}{q}").json() for q in queries}
    assert all(body["source"] == "cache" for body in again.values())
    assert all(again[q]["results"] == first[q]["results"] for q in queries)
    # diversity=0 is the plain request, and its entry.
    assert api.get(f"{url}diversity=0").json()["source"] == "cache"


@pytest.mark.parametrize("query", ["diversity=0.5", "max_per_category=2"])
def test_a_diversifying_hybrid_searches_no_wider_than_the_plain_one(
    api: TestClient, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 3 x top_k candidates MMR and the cap choose among come from the blend of the
    searches the request's own top_k calls for (`knn_top_k`), not from searches 3 x wider
    (until capped requests have shown they need more: the test above)."""
    searched = spy_knn_sizes(monkeypatch)
    url = f"/recommend/hybrid?user_id={USER}&product_id={PRODUCT}&top_k=10&w_content=0.5"
    assert len(_results(api, url)) == 10
    assert len(_results(api, f"{url}&{query}")) == 10
    assert len(searched) >= 2 and len(searched[0]) == 2  # both sides searched
    assert all(sizes == searched[0] for sizes in searched[1:]), searched


@pytest.mark.parametrize(
    "url",
    [
        f"/recommend/content/{PRODUCT}?",
        f"/recommend/user/{USER}?",
        f"/recommend/hybrid?user_id={USER}&product_id={PRODUCT}&",
        f"/recommend/hybrid?user_id={USER}&",
    ],
)
def test_mmr_costs_no_round_trip_more(
    api_settings: Settings, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """The content vectors MMR compares come with the candidates' own reads. The worker
    keeps no product rows here: a row it holds (with or without the content vector) would
    make the count depend on what the requests before asked for."""
    unheld = api_settings.replace(resources={"product_cache_items": 0})
    sent = count_round_trips(monkeypatch)
    with TestClient(app=create_app(unheld)) as api:
        _results(api, f"{url}top_k=9")  # connects and loads the scripts
        trips = []
        for query in ("top_k=10&max_per_category=10", "top_k=10&diversity=0.3"):
            # Each asked for the first time: neither comes from the answer cache.
            sent[0] = 0
            _results(api, f"{url}{query}")
            trips.append(sent[0])
    assert trips[1] == trips[0]
