"""`shoprec reindex` on the demo catalog: 1% of it changed (near-duplicates added, products
changed and removed), applied to the live version, checked through the real app."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import redis
from litestar.testing import TestClient

from indexing.build.catalog_versions import live_version
from indexing.build.index_builder import build_index
from indexing.contract.index_schema import CF_FIELD, CONTENT_FIELD
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.update.catalog_update import ReindexSummary, reindex
from scripts.make_catalog_change import CatalogChange, change_catalog
from service.api.app import create_app
from tests.conftest import make_settings

BAD_ROW = {"product_id": "BAD-1", "title": "Broken", "price": "not-a-price"}


@dataclass
class Reindexed:
    settings: Settings
    change: CatalogChange
    summary: ReindexSummary
    before: dict[str, dict[bytes, bytes]]  # product hashes before the reindex
    lists_before: dict[str, list[str]]  # request path -> product ids answered before
    # request path -> {changed product: its price} in answers before the reindex, which the
    # service's product rows (service/store/product_rows.py) held then
    priced_before: dict[str, dict[str, float]]
    client: TestClient
    layout: RedisLayout
    version: int


def _ids(response_json: dict) -> list[str]:
    return [r["product_id"] for r in response_json["results"]]


def _paths(layout: RedisLayout, rc: redis.Redis, version: int, removed: list[str]) -> list[str]:
    """Requests whose answers could name removed products: content around their neighbours,
    the users who had them, hybrid for both, popular for a new user."""
    users = []
    for key in rc.scan_iter(match=f"{layout.version_prefix(version)}:history:*", count=2000):
        if any(rc.zscore(key, pid) is not None for pid in removed):
            users.append(layout.user_of(key.decode(), layout.history_scope(version)))
        if len(users) >= 15:
            break
    paths = [f"/recommend/user/{u}?top_k=50" for u in users]
    paths += [f"/recommend/hybrid?user_id={u}&top_k=50" for u in users]
    paths += ["/recommend/user/nobody-new?top_k=100"]
    return paths


def _changed_prices(client: TestClient, changed: list[str]) -> dict[str, dict[str, float]]:
    """Hybrid lists around the neighbours of `changed` that show one of them, with the prices
    they show (the hybrid reads its cards through the product rows; content's come with its
    search)."""
    out = {}
    for pid in changed:
        for near in _ids(client.get(f"/recommend/content/{pid}?top_k=3").json()):
            path = f"/recommend/hybrid?product_id={near}&top_k=50"
            results = client.get(path).json()["results"]
            shown = {r["product_id"]: r["price"] for r in results if r["product_id"] in changed}
            if shown:
                out[path] = shown
    return out


@pytest.fixture(scope="module")
def reindexed(
    redis_url: str, demo_csvs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Reindexed]:
    settings = make_settings(redis_url)
    layout = RedisLayout(settings.redis.key_prefix)
    rc = redis.Redis.from_url(redis_url)
    build_index(rc, settings, *demo_csvs, quiet=True)
    version = live_version(rc, layout)
    assert version is not None
    products = pd.read_csv(demo_csvs[0], dtype=str, keep_default_na=False)
    change = change_catalog(products, 0.01)
    # Also remove the most popular product, so the popular list has something to lose.
    top = rc.zrevrange(layout.popular(version), 0, 0)[0].decode()
    if top not in change.added.values() and top not in change.changed:
        change.products = change.products[change.products["product_id"] != top]
        change.removed.append(top)
    changed_csv = tmp_path_factory.mktemp("reindex") / "products.csv"
    frame = pd.concat([change.products, pd.DataFrame([BAD_ROW])], ignore_index=True)
    frame.fillna("").to_csv(changed_csv, index=False)

    ids = products["product_id"].tolist()
    before = {pid: rc.hgetall(layout.product(version, pid)) for pid in ids}
    with TestClient(create_app(settings)) as client:
        # Content lists around each removed product's neighbours, answered (and cached) now.
        paths = _paths(layout, rc, version, change.removed)
        for pid in change.removed:
            near = client.get(f"/recommend/content/{pid}?top_k=5").json()
            paths += [f"/recommend/content/{n}?top_k=50" for n in _ids(near)]
            paths += [f"/recommend/hybrid?product_id={n}&top_k=50" for n in _ids(near)]
        lists_before = {path: _ids(client.get(path).json()) for path in paths}
        priced_before = _changed_prices(client, change.changed[:5])
        summary = reindex(rc, settings, changed_csv, quiet=True)
        yield Reindexed(
            settings, change, summary, before, lists_before, priced_before, client, layout, version
        )
    rc.close()


def test_reindex_counts_what_changed_and_drops_bad_rows(reindexed: Reindexed) -> None:
    diff, change = reindexed.summary.diff, reindexed.change
    assert sorted(diff.added) == sorted(change.added)
    assert sorted(diff.changed) == sorted(change.changed)
    assert sorted(diff.removed) == sorted(change.removed)
    assert diff.unchanged == 5000 - len(change.changed) - len(change.removed)
    assert reindexed.summary.report is not None
    assert reindexed.summary.report.dropped["unparsable price"] == 1
    assert reindexed.summary.version == reindexed.version  # updated in place, no new version


def test_near_duplicate_shows_up_in_its_originals_content_recommendations(
    reindexed: Reindexed,
) -> None:
    found = 0
    for new_id, original in reindexed.change.added.items():
        answer = reindexed.client.get(f"/recommend/content/{original}?top_k=10")
        assert answer.status_code == 200
        found += new_id in _ids(answer.json())
    assert found == len(reindexed.change.added)


def test_new_products_are_served_through_content_and_hybrid(reindexed: Reindexed) -> None:
    for new_id, original in reindexed.change.added.items():
        content = reindexed.client.get(f"/recommend/content/{new_id}?top_k=10")
        assert content.status_code == 200
        assert original in _ids(content.json())
        hybrid = reindexed.client.get(f"/recommend/hybrid?product_id={new_id}&top_k=10")
        assert hybrid.status_code == 200
        assert len(hybrid.json()["results"]) == 10


def test_removed_products_answer_404(reindexed: Reindexed) -> None:
    client = reindexed.client
    for pid in reindexed.change.removed:
        assert client.get(f"/recommend/content/{pid}").status_code == 404
        assert client.get(f"/recommend/hybrid?product_id={pid}").status_code == 404
        posted = client.post(
            "/feedback", json={"user_id": "u1", "product_id": pid, "action": "view"}
        )
        assert posted.status_code == 404


def test_removed_products_are_absent_from_every_list(reindexed: Reindexed) -> None:
    removed = set(reindexed.change.removed)
    named_before = [p for p, ids in reindexed.lists_before.items() if removed & set(ids)]
    assert len(named_before) >= 5, "the lists checked must have named removed products before"
    for path in reindexed.lists_before:
        answer = reindexed.client.get(path)
        assert answer.status_code == 200, path
        ids = _ids(answer.json())
        assert ids, path
        assert not removed & set(ids), path


def test_removed_products_left_popularity_and_histories(reindexed: Reindexed) -> None:
    rc = redis.Redis.from_url(reindexed.settings.redis.url or "")
    layout, version = reindexed.layout, reindexed.version
    removed = reindexed.change.removed
    assert all(rc.zscore(layout.popular(version), pid) is None for pid in removed)
    pipe = rc.pipeline(transaction=False)
    for key in rc.scan_iter(match=f"{layout.version_prefix(version)}:history:*", count=2000):
        pipe.zmscore(key, removed)
    scores = pipe.execute()
    assert len(scores) > 1000
    assert all(s is None for per_user in scores for s in per_user)
    assert not any(rc.exists(layout.product(version, pid)) for pid in removed)
    rc.close()


def test_unchanged_products_are_untouched_and_changed_keep_cf(reindexed: Reindexed) -> None:
    rc = redis.Redis.from_url(reindexed.settings.redis.url or "")
    layout, version = reindexed.layout, reindexed.version
    touched = set(reindexed.change.changed) | set(reindexed.change.removed)
    unchanged = [pid for pid in reindexed.before if pid not in touched]
    for pid in unchanged:
        assert rc.hgetall(layout.product(version, pid)) == reindexed.before[pid], pid
    with_cf = 0
    for pid in reindexed.change.changed:
        old, new = reindexed.before[pid], rc.hgetall(layout.product(version, pid))
        assert new[b"content_hash"] != old[b"content_hash"]
        assert new[CONTENT_FIELD.encode()] != old[CONTENT_FIELD.encode()]
        assert new.get(CF_FIELD.encode()) == old.get(CF_FIELD.encode())  # CF kept (or still none)
        with_cf += CF_FIELD.encode() in old
    assert with_cf > 0
    for new_id in reindexed.change.added:
        assert not rc.hexists(layout.product(version, new_id), CF_FIELD)  # until a full build
    rc.close()


def test_changed_products_show_their_new_card_once_the_meta_is_reread(
    reindexed: Reindexed,
) -> None:
    time.sleep(1.1)  # the service re-reads the meta, with the reindex's stamp, every second
    frame = reindexed.change.products.set_index("product_id")
    seen = 0
    for path, before in reindexed.priced_before.items():
        results = reindexed.client.get(path).json()["results"]
        now = {r["product_id"]: r["price"] for r in results}
        for pid, old_price in before.items():
            if pid in now:
                assert now[pid] == pytest.approx(float(frame.loc[pid, "price"])), pid
                assert now[pid] != pytest.approx(old_price), pid
                seen += 1
    assert seen > 0
