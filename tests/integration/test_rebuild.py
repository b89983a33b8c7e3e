"""Full rebuilds while serving: atomic swap, grace period, failures, leftovers, the lock."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import redis
from litestar.testing import TestClient

import indexing.build.index_builder as index_builder
from indexing.build.build_lock import BuildInProgress, build_lock
from indexing.build.catalog_versions import live_version, versions_present
from indexing.build.index_builder import build_index
from indexing.build.version_retirement import retired_versions, versions_with_keys
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.update.catalog_update import reindex
from service.api.app import create_app
from tests.conftest import make_settings


def _small_settings(redis_url: str, **groups: dict[str, Any]) -> Settings:
    # Small vectors: these tests are about versions and keys, not about answer quality.
    small = make_settings(redis_url, catalog={"content_dims": 32}, cf={"dims": 32})
    return small.replace(**groups)


@pytest.fixture
def built(
    redis_url: str, small_csvs: tuple[Path, Path]
) -> Iterator[tuple[Settings, redis.Redis, int]]:
    settings = _small_settings(redis_url)
    client = redis.Redis.from_url(redis_url)
    version = build_index(client, settings, *small_csvs, quiet=True).version
    yield settings, client, version
    client.close()


def _version_keys(client: redis.Redis, layout: RedisLayout, version: int) -> int:
    return sum(1 for _ in client.scan_iter(match=f"{layout.version_prefix(version)}:*"))


def test_rebuild_under_requests_has_no_errors_and_no_empty_answers(
    redis_url: str, small_csvs: tuple[Path, Path]
) -> None:
    settings = _small_settings(redis_url, index={"retire_grace_s": 2.0})
    client = redis.Redis.from_url(redis_url)
    first = build_index(client, settings, *small_csvs, quiet=True).version
    products = pd.read_csv(small_csvs[0], dtype=str)["product_id"].tolist()
    users = pd.read_csv(small_csvs[1], dtype=str)["user_id"].unique().tolist()
    stop = threading.Event()
    failures: list[str] = []
    answered: list[int] = []

    def hammer(http: TestClient) -> None:
        rng = random.Random(5)
        while not stop.is_set():
            pid, uid = rng.choice(products), rng.choice(users)
            for path in (
                f"/recommend/content/{pid}",
                f"/recommend/user/{uid}",
                f"/recommend/hybrid?user_id={uid}&product_id={pid}",
                f"/recommend/user/new-{rng.random()}",
            ):
                response = http.get(path)
                if response.status_code != 200:
                    failures.append(f"{path}: {response.status_code} {response.text}")
                elif not response.json()["results"]:
                    failures.append(f"{path}: empty answer")
                answered.append(1)

    with TestClient(create_app(settings)) as http:
        worker = threading.Thread(target=hammer, args=(http,))
        worker.start()
        try:
            second = build_index(client, settings, *small_csvs, quiet=True).version
            time.sleep(1.5)  # keep asking after the old version is gone
        finally:
            stop.set()
            worker.join()
        assert http.get("/health").json()["index_version"] == second
    layout = RedisLayout(settings.redis.key_prefix)
    assert failures == []
    assert len(answered) > 100
    assert live_version(client, layout) == second != first
    assert versions_present(client, layout) == [second]
    assert _version_keys(client, layout, first) == 0
    client.close()


@pytest.mark.parametrize("fault", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_failed_build_leaves_the_old_version_live_and_no_stray_keys(
    built: tuple[Settings, redis.Redis, int],
    small_csvs: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    fault: BaseException,
) -> None:
    settings, client, first = built
    layout = RedisLayout(settings.redis.key_prefix)

    def broken(*args: object, **kwargs: object) -> None:
        raise fault

    # Halfway: products and histories are written, popularity fails.
    monkeypatch.setattr(index_builder, "write_popularity", broken)
    with pytest.raises(type(fault)):
        build_index(client, settings, *small_csvs, quiet=True)
    assert live_version(client, layout) == first
    assert versions_present(client, layout) == [first]
    assert versions_with_keys(client, layout) == {first}
    assert not client.exists(layout.build_lock)
    with TestClient(create_app(settings)) as http:
        assert http.get("/health").json()["index_version"] == first
        pid = pd.read_csv(small_csvs[0], dtype=str)["product_id"].iloc[0]
        assert http.get(f"/recommend/content/{pid}").json()["results"]


def test_next_build_cleans_up_what_a_killed_build_left(
    built: tuple[Settings, redis.Redis, int],
    small_csvs: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, client, first = built
    layout = RedisLayout(settings.redis.key_prefix)

    def killed(*args: object, **kwargs: object) -> None:
        raise SystemExit("killed")  # and, like kill -9, no clean-up runs:

    monkeypatch.setattr(index_builder, "write_popularity", killed)
    monkeypatch.setattr(index_builder, "drop_version", lambda *a, **k: 0)
    with pytest.raises(SystemExit):
        build_index(client, settings, *small_csvs, quiet=True)
    leftover = first + 1
    assert leftover in versions_present(client, layout)
    assert _version_keys(client, layout, leftover) > 0
    monkeypatch.undo()

    summary = build_index(client, settings, *small_csvs, quiet=True)
    assert summary.versions.cleaned == (leftover,)
    assert versions_present(client, layout) == [summary.version]
    assert versions_with_keys(client, layout) == {summary.version}


def test_replaced_version_is_kept_for_the_grace_period_then_dropped(
    redis_url: str, small_csvs: tuple[Path, Path]
) -> None:
    settings = _small_settings(redis_url, index={"retire_grace_s": 3600.0})
    client = redis.Redis.from_url(redis_url)
    layout = RedisLayout(settings.redis.key_prefix)
    first = build_index(client, settings, *small_csvs, quiet=True).version
    second = build_index(client, settings, *small_csvs, quiet=True, wait_for_grace=False)
    assert second.versions.kept == (first,)
    assert versions_present(client, layout) == [first, second.version]
    assert set(retired_versions(client, layout)) == {first}
    # A reindex inside the grace period leaves it too; once the grace is over, it goes.
    reindex(client, settings, small_csvs[0], quiet=True)
    assert first in versions_present(client, layout)
    short = settings.replace(index={"retire_grace_s": 0.0})
    assert reindex(client, short, small_csvs[0], quiet=True).dropped_versions == [first]
    assert versions_with_keys(client, layout) == {second.version}
    assert retired_versions(client, layout) == {}
    client.close()


def test_a_second_build_is_refused_while_one_runs(
    built: tuple[Settings, redis.Redis, int], small_csvs: tuple[Path, Path]
) -> None:
    settings, client, _ = built
    layout = RedisLayout(settings.redis.key_prefix)
    outcome: dict[str, object] = {}

    def first_build() -> None:
        outcome["summary"] = build_index(client, settings, *small_csvs, quiet=True)

    runner = threading.Thread(target=first_build)
    runner.start()
    while not client.exists(layout.build_lock) and runner.is_alive():
        time.sleep(0.01)
    with pytest.raises(BuildInProgress, match="another build is running"):
        build_index(client, settings, *small_csvs, quiet=True)
    with pytest.raises(BuildInProgress):
        reindex(client, settings, small_csvs[0], quiet=True)
    runner.join()
    assert live_version(client, layout) == outcome["summary"].version  # type: ignore[attr-defined]
    assert not client.exists(layout.build_lock)


def test_the_lock_is_refreshed_while_held_and_released_after(
    settings: Settings, redis_client: redis.Redis
) -> None:
    layout = RedisLayout(settings.redis.key_prefix)
    with build_lock(redis_client, layout, "test", ttl_s=1):
        time.sleep(2.5)  # past the TTL: only the refresher keeps it
        assert redis_client.exists(layout.build_lock)
        with (
            pytest.raises(BuildInProgress, match="pid"),
            build_lock(redis_client, layout, "other", ttl_s=1),
        ):
            pass
    assert not redis_client.exists(layout.build_lock)


def test_the_commands_refuse_in_one_line_while_the_lock_is_held(
    built: tuple[Settings, redis.Redis, int],
    small_csvs: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from indexing.contract.settings import get_settings
    from service.cli.main import main

    settings, client, first = built
    monkeypatch.setenv("REDIS_URL", settings.redis.url or "")
    monkeypatch.setenv("SHOPREC_KEY_PREFIX", settings.redis.key_prefix)
    get_settings.cache_clear()
    products, interactions = map(str, small_csvs)
    try:
        with build_lock(client, RedisLayout(settings.redis.key_prefix), "shoprec index", ttl_s=60):
            assert main(["reindex", "--products", products, "-q"]) == 1
            assert main(["index", "--products", products, "--interactions", interactions]) == 1
    finally:
        get_settings.cache_clear()
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2
    assert all(e.startswith("error: another build is running (shoprec index pid") for e in errors)
    assert live_version(client, RedisLayout(settings.redis.key_prefix)) == first
