"""Merchandising rules over the real app and a real Redis: each kind changes the order as
docs/merchandising.md says, time windows are honoured, rules outlive a rebuild and retire
cached answers, and `shoprec rules` refuses what it cannot keep (exit 2, one line, nothing
written). The small catalog under a prefix of each test's own, so no other test sees them."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from litestar.testing import TestClient

from indexing.build.index_builder import build_index
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings, get_settings
from service.api.app import create_app
from service.cli.main import main
from service.store.rules_store import read_rules
from tests.integration.api.conftest import ids

PRODUCT = "P000001"
CONTENT = f"/recommend/content/{PRODUCT}?top_k=10"
CONTENT_20 = f"/recommend/content/{PRODUCT}?top_k=20"
CONTENT_50 = f"/recommend/content/{PRODUCT}?top_k=50"
ADMIN_KEY = "admin-key-rules-0123"


@pytest.fixture
def shop(
    small_built: tuple[Settings, redis.Redis], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, redis.Redis]]:
    """The small catalog, with `shoprec` pointed at it."""
    settings, client = small_built
    monkeypatch.setenv("REDIS_URL", settings.redis.url or "")
    monkeypatch.setenv("SHOPREC_KEY_PREFIX", settings.redis.key_prefix)
    get_settings.cache_clear()
    yield settings, client
    get_settings.cache_clear()
    keys = list(client.scan_iter(match=f"{settings.redis.key_prefix}:*", count=1000))
    for name in client.execute_command("FT._LIST"):
        if name.decode().startswith(f"{settings.redis.key_prefix}:"):
            client.execute_command("FT.DROPINDEX", name)
    if keys:
        client.delete(*keys)


@pytest.fixture
def api(shop: tuple[Settings, redis.Redis]) -> Iterator[TestClient]:
    with TestClient(app=create_app(shop[0])) as client:
        yield client


def rules(*argv: str) -> int:
    return main(["rules", *argv])


def _results(api: TestClient, path: str = CONTENT) -> list[dict]:
    answer = api.get(path)
    assert answer.status_code == 200, answer.text
    return answer.json()["results"]


def _fresh(api: TestClient, path: str, before: list[str]) -> list[dict]:
    """The answer once the app has read the changed rules (within a second)."""
    deadline = time.monotonic() + 5
    while True:
        body = api.get(path).json()
        if ids(body) != before or time.monotonic() > deadline:
            return body["results"]
        time.sleep(0.2)


def test_a_boost_moves_a_product_up(api: TestClient) -> None:
    before = _results(api)
    target = before[7]["product_id"]
    assert rules("add", "boost", "--id", "b1", "--product-id", target, "--weight", "10") == 0
    after = _fresh(api, CONTENT, [i["product_id"] for i in before])
    assert after[0]["product_id"] == target
    assert after[0]["reason"] == "boosted"
    assert len(after) == 10
    scores = [i["score"] for i in after]
    assert scores == sorted(scores, reverse=True)


def test_a_bury_moves_a_product_down(api: TestClient) -> None:
    before = [i["product_id"] for i in _results(api)]
    assert rules("add", "bury", "--id", "x1", "--product-id", before[0], "--weight", "5") == 0
    after = [i["product_id"] for i in _fresh(api, CONTENT, before)]
    assert after[0] != before[0]
    assert before[0] not in after[: before.index(before[0]) + 5]
    assert len(after) == 10


def test_a_filter_removes_products_and_the_list_stays_full(
    api: TestClient, shop: tuple[Settings, redis.Redis]
) -> None:
    before = _results(api, CONTENT_20)
    category = before[0]["category"][0]
    assert rules("add", "filter", "--id", "f1", "--category", category.upper()) == 0
    after = _fresh(api, CONTENT_20, [i["product_id"] for i in before])
    assert len(after) == 20
    assert all(category not in item["category"] for item in after)
    # A price range filter too, on the user and popular paths as well.
    rules("remove", "f1")
    assert rules("add", "filter", "--id", "f2", "--price-range", ":100") == 0
    time.sleep(1.1)
    for path in (CONTENT, "/recommend/user/nobody-here", "/recommend/trending"):
        assert all(item["price"] > 100 for item in _results(api, path)), path


def test_a_pin_takes_its_slot(api: TestClient) -> None:
    before = [i["product_id"] for i in _results(api, CONTENT_50)]
    outsider = next(f"P{n:06d}" for n in range(2, 300) if f"P{n:06d}" not in before)
    assert rules("add", "pin", "--id", "p1", "--product-id", outsider, "--position", "2") == 0
    after = _fresh(api, CONTENT, before[:10])
    assert after[1]["product_id"] == outsider and after[1]["reason"] == "pinned"
    assert len(after) == 10
    assert [i["product_id"] for i in after if i["product_id"] != outsider] == before[:9]
    scores = [i["score"] for i in after]
    assert scores == sorted(scores, reverse=True)
    # A pin never shows the query product itself, nor what the request leaves out.
    body = api.get(f"/recommend/content/{PRODUCT}?top_k=10&exclude={outsider}").json()
    assert outsider not in ids(body)


def test_time_windows_are_honoured(api: TestClient, shop: tuple[Settings, redis.Redis]) -> None:
    before = _results(api)
    target = before[7]["product_id"]
    future = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    past = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    boost = ["boost", "--product-id", target, "--weight", "10"]
    assert rules("add", *boost, "--id", "later", "--start", future) == 0
    assert rules("add", *boost, "--id", "over", "--start", "2020-01-01", "--end", past) == 0
    time.sleep(1.1)
    assert _results(api) == before
    listed = api.get("/rules").json()
    assert {r["id"] for r in listed["rules"]} == {"later", "over"} and listed["live"] == []
    assert rules("add", *boost, "--id", "now", "--start", past, "--end", future) == 0
    after = _fresh(api, CONTENT, [i["product_id"] for i in before])
    assert after[0]["product_id"] == target
    assert api.get("/rules").json()["live"] == ["now"]


def test_a_rule_change_retires_cached_answers(api: TestClient) -> None:
    first = api.get(CONTENT).json()
    assert api.get(CONTENT).json()["source"] == "cache"
    target = first["results"][5]["product_id"]
    assert rules("add", "boost", "--id", "b", "--product-id", target, "--weight", "10") == 0
    after = _fresh(api, CONTENT, ids(first))
    assert after[0]["product_id"] == target
    assert api.get(CONTENT).json()["source"] == "cache"  # cached under the new rules
    assert rules("remove", "b") == 0
    back = _fresh(api, CONTENT, [i["product_id"] for i in after])
    assert back == first["results"]


def test_rules_survive_a_rebuild(
    api: TestClient, shop: tuple[Settings, redis.Redis], small_csvs: tuple[Path, Path]
) -> None:
    settings, client = shop
    target = _results(api)[7]["product_id"]
    assert rules("add", "boost", "--id", "b", "--product-id", target, "--weight", "10") == 0
    build_index(client, settings, *small_csvs, quiet=True)
    assert [r.id for r in read_rules(client, RedisLayout(settings.redis.key_prefix)).rules] == ["b"]
    with TestClient(app=create_app(settings)) as fresh:
        assert _results(fresh)[0]["product_id"] == target


def _refused(capsys: pytest.CaptureFixture[str], code: int, words: str) -> None:
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert words in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_hostile_rules_are_refused_and_nothing_is_written(
    shop: tuple[Settings, redis.Redis], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, client = shop
    layout = RedisLayout(settings.redis.key_prefix)
    _refused(capsys, rules("add", "boost", "--product-id", "P999999"), "unknown product id")
    _refused(capsys, rules("add", "boost", "--category", "Garden", "--weight", "11"), "weight")
    _refused(capsys, rules("add", "boost", "--category", "Garden", "--weight", "nan"), "weight")
    _refused(capsys, rules("add", "pin", "--category", "Garden", "--position", "1"), "pin")
    _refused(capsys, rules("add", "pin", "--product-id", PRODUCT), "position")
    _refused(capsys, rules("add", "filter", "--price-range", "9:1"), "price_min")
    _refused(capsys, rules("add", "boost", "--category", "G", "--start", "soon"), "ISO-8601")
    _refused(capsys, rules("remove", "nope"), "no rule")
    with pytest.raises(SystemExit) as exit_:
        rules("add", "promote", "--product-id", PRODUCT)
    assert exit_.value.code == 2
    capsys.readouterr()
    good = {"id": "ok", "kind": "boost", "category": "Garden", "weight": 2}
    cases = {
        "broken.json": "[{",
        "kind.json": json.dumps([good, {"id": "k", "kind": "promote", "category": "x"}]),
        "unknown.json": json.dumps(
            [good, {"id": "u", "kind": "pin", "product_id": "P999999", "position": 1}]
        ),
        "twice.json": json.dumps([good, good]),
        "extra.json": json.dumps([{**good, "colour": "red"}]),
        "bad.csv": "id,kind,category,weight\nok,boost,Garden,2\nw,boost,Garden,heavy\n",
        "header.csv": "id,kind,colour\nok,boost,red\n",
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        code = rules("import", str(path))
        assert code == 2, name
        err = capsys.readouterr().err.strip()
        assert name in err and len(err.splitlines()) == 1, err
    assert read_rules(client, layout).rules == ()
    assert not client.exists(layout.merch_rules)


def test_import_takes_json_and_csv(
    shop: tuple[Settings, redis.Redis], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, client = shop
    layout = RedisLayout(settings.redis.key_prefix)
    as_json = tmp_path / "rules.json"
    as_json.write_text(
        json.dumps(
            {
                "rules": [
                    {"id": "a", "kind": "boost", "category": "Garden", "weight": 0.5},
                    {"id": "b", "kind": "pin", "product_id": PRODUCT, "position": 3},
                ]
            }
        )
    )
    assert rules("import", str(as_json)) == 0
    as_csv = tmp_path / "more.csv"
    as_csv.write_text(
        "id,kind,product_id,category,price_min,price_max,weight,position,start,end\n"
        "a,bury,,Garden,,,2,,,\n"
        "c,filter,,,500,,,,2026-01-01T00:00:00+01:00,\n"
    )
    assert rules("import", str(as_csv)) == 0
    kept = {r.id: r for r in read_rules(client, layout).rules}
    assert set(kept) == {"a", "b", "c"}
    assert kept["a"].kind == "bury" and kept["a"].weight == 2
    assert kept["c"].start == "2025-12-31T23:00:00Z"
    assert rules("import", "--replace", str(as_json)) == 0
    assert {r.id for r in read_rules(client, layout).rules} == {"a", "b"}
    capsys.readouterr()
    assert rules("list") == 0
    listed = capsys.readouterr().out
    assert '"id":"a"' in listed and "generation 3" in listed


def test_get_rules_needs_the_admin_key_when_set(shop: tuple[Settings, redis.Redis]) -> None:
    settings, _ = shop
    assert rules("add", "boost", "--id", "g", "--category", "Garden") == 0
    with TestClient(app=create_app(settings.replace(access={"admin_key": ADMIN_KEY}))) as keyed:
        assert keyed.get("/rules").status_code == 401
        answer = keyed.get("/rules", headers={"X-API-Key": ADMIN_KEY})
        assert answer.status_code == 200
        body = answer.json()
        assert body["generation"] == 1 and body["live"] == ["g"]
        (rule,) = body["rules"]
        assert (rule["id"], rule["kind"], rule["category"], rule["weight"]) == (
            "g",
            "boost",
            "Garden",
            1.0,
        )
        assert "/rules" in keyed.get("/schema/openapi.json").json()["paths"]


@pytest.mark.parametrize(
    "path",
    [
        f"/recommend/hybrid?product_id={PRODUCT}&top_k=10",
        f"/recommend/together/{PRODUCT}?top_k=10",
        "/recommend/user/nobody-rules?top_k=10",
        f"/recommend/content/{PRODUCT}?top_k=10&max_per_category=3",
    ],
)
def test_a_boost_applies_on_every_endpoint(api: TestClient, path: str) -> None:
    before = _results(api, path)
    target = before[-1]["product_id"]
    assert rules("add", "boost", "--id", "b", "--product-id", target, "--weight", "10") == 0
    after = _fresh(api, path, [i["product_id"] for i in before])
    assert after[0]["product_id"] == target and after[0]["reason"] == "boosted", path
    assert len(after) == len(before)
