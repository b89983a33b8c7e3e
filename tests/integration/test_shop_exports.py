"""Catalogs as shops export them, built on a real Redis and served through the app (issue 13):
missing and foreign prices, several categories, `;` and tab files, UTF-16, .csv.gz, epoch and
ISO times mixed; a file that loses most of its rows is refused before anything is written; a
2011 log with feedback posted today answers finite, ordered scores."""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import redis
from litestar.testing import TestClient

from indexing.build.catalog_versions import live_version
from indexing.build.index_builder import build_index
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.load.csv_loader import TooManyDroppedRows
from service.api.app import create_app
from tests.conftest import make_settings

PRICES = ["12.50", "", "$12.50", "12,50 €", "1.299,00", ""]  # cycled over the products


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _exported(
    small_csvs: tuple[Path, Path], folder: Path, shift_s: float = 0.0
) -> tuple[Path, Path]:
    """The small catalog as a UTF-16 `;` file with foreign prices and A|B|C categories, and
    its events as a gzipped tab file whose times are ISO, epoch seconds and milliseconds."""
    products = pd.read_csv(small_csvs[0], dtype=str, keep_default_na=False)
    products["price"] = [PRICES[i % len(PRICES)] for i in range(len(products))]
    products.loc[:9, "category"] = "Alpha|Beta|Gamma"
    products_csv = folder / "products.csv"
    products_csv.write_text(products.to_csv(index=False, sep=";"), encoding="utf-16")
    events = pd.read_csv(small_csvs[1], dtype=str, keep_default_na=False)
    seconds = pd.to_datetime(events["ts"], utc=True).astype("int64") // 10**9 + shift_s
    forms = [_iso, lambda t: str(int(t)), lambda t: str(int(t * 1000))]
    events["ts"] = [forms[i % 3](t) for i, t in enumerate(seconds)]
    interactions_csv = folder / "interactions.csv.gz"
    with gzip.open(interactions_csv, "wt", encoding="utf-8") as handle:
        handle.write(events.to_csv(index=False, sep="\t"))
    return products_csv, interactions_csv


@pytest.fixture(scope="module")
def exported(
    redis_url: str, small_csvs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, TestClient, pd.DataFrame]]:
    settings = make_settings(redis_url)
    products_csv, interactions_csv = _exported(small_csvs, tmp_path_factory.mktemp("export"))
    with redis.Redis.from_url(redis_url) as rc:
        summary = build_index(rc, settings, products_csv, interactions_csv, quiet=True)
    events = pd.read_csv(small_csvs[1], dtype=str)
    assert summary.events == len(events)  # every time form read, none dropped
    assert summary.reports[0].rows_kept == summary.products == 300
    products = pd.read_csv(small_csvs[0], dtype=str, keep_default_na=False)
    with TestClient(create_app(settings)) as client:
        yield settings, client, products


def test_products_without_a_price_are_served_and_left_out_of_price_filters(
    redis_url: str, exported: tuple[Settings, TestClient, pd.DataFrame]
) -> None:
    settings, client, products = exported
    layout = RedisLayout(settings.redis.key_prefix)
    with redis.Redis.from_url(redis_url) as rc:
        version = live_version(rc, layout)
        assert version is not None
        stored = [rc.hget(layout.product(version, p), "price") for p in products["product_id"]]
    expected = [12.5, None, 12.5, 12.5, 1299.0, None]
    assert [float(s) if s is not None else None for s in stored[:6]] == expected
    no_price = products["product_id"][1]
    assert client.get(f"/recommend/content/{no_price}").status_code == 200
    unpriced = {p for p, s in zip(products["product_id"], stored, strict=True) if s is None}
    paths = (
        "/recommend/content/P000001?top_k=100&price_max=1e6",
        "/recommend/user/new?price_min=0",
    )
    for path in paths:
        results = client.get(path).json()["results"]
        assert results and not unpriced & {r["product_id"] for r in results}, path


def test_several_categories_each_match(exported: tuple[Settings, TestClient, pd.DataFrame]) -> None:
    _, client, products = exported
    tagged = set(products["product_id"][:10])
    untagged = products["product_id"][20]
    for category in ("Alpha", "Beta", "Gamma"):
        for path in (f"/recommend/content/{untagged}", "/recommend/user/new-user"):
            answer = client.get(f"{path}?top_k=20&category={category}").json()
            found = {r["product_id"] for r in answer["results"]}
            assert found and found <= tagged, (category, path)


def test_a_file_over_the_drop_threshold_writes_nothing(
    redis_url: str, small_csvs: tuple[Path, Path], tmp_path: Path
) -> None:
    settings = make_settings(redis_url)
    layout = RedisLayout(settings.redis.key_prefix)
    with redis.Redis.from_url(redis_url) as rc:
        build_index(rc, settings, *small_csvs, quiet=True)
        before = sorted(rc.scan_iter(match=f"{layout.prefix}:*", count=5000))
        events = pd.read_csv(small_csvs[1], dtype=str, keep_default_na=False)
        events["interaction_type"] = "rating"  # and no rating column
        bad = tmp_path / "interactions.csv"
        events.to_csv(bad, index=False)
        with pytest.raises(TooManyDroppedRows) as info:
            build_index(rc, settings, small_csvs[0], bad, quiet=True)
        message = str(info.value)
        assert f"{len(events):,} of {len(events):,} rows dropped" in message
        assert "unparsable rating" in message and "First bad line: 2" in message
        assert "numeric `rating` column" in message and "\n" not in message
        assert sorted(rc.scan_iter(match=f"{layout.prefix}:*", count=5000)) == before
        assert live_version(rc, layout) == 1
        summary = build_index(rc, settings, small_csvs[0], bad, quiet=True, max_dropped_share=1)
        assert summary.version == 2 and summary.events == 0


def test_old_log_with_feedback_from_today_scores_finite_and_ordered(
    redis_url: str, small_csvs: tuple[Path, Path], tmp_path: Path
) -> None:
    """The log ends about 15 years ago (2011, like online-retail); the user's feedback today
    once made history weights of 1e117 and null scores."""
    settings = make_settings(redis_url)
    events = pd.read_csv(small_csvs[1], dtype=str)
    newest = pd.to_datetime(events["ts"], utc=True).max().timestamp()
    shift = datetime(2011, 12, 9, tzinfo=UTC).timestamp() - newest
    csvs = _exported(small_csvs, tmp_path, shift_s=shift)
    with redis.Redis.from_url(redis_url) as rc:
        build_index(rc, settings, *csvs, quiet=True)
        layout = RedisLayout(settings.redis.key_prefix)
        user = events["user_id"].iloc[0]
        products = pd.read_csv(small_csvs[0], dtype=str)["product_id"]
        with TestClient(create_app(settings)) as client:
            for pid in products[:2]:
                event = {"user_id": user, "product_id": pid, "action": "view"}
                posted = client.post("/feedback", json=event)
                assert posted.status_code == 200
            weights = [w for _, w in rc.zrevrange(layout.history(1, user), 0, -1, withscores=True)]
            assert weights and all(math.isfinite(w) and w < 2**40 for w in weights)
            paths = [
                f"/recommend/user/{user}",
                f"/recommend/hybrid?user_id={user}&product_id={products[5]}",
                f"/recommend/hybrid?user_id={user}",
                f"/recommend/ab?user_id={user}&product_id={products[5]}",
                f"/recommend/content/{products[5]}",
            ]
            for path in paths:
                scores = [r["score"] for r in client.get(path).json()["results"]]
                assert scores and all(s is not None and math.isfinite(s) for s in scores), path
                assert scores == sorted(scores, reverse=True), path
