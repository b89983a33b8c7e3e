"""Shared fixtures: a real Redis Stack server started for the test run, and built indexes.

The server is the embedded one (`indexing.connection.embedded_redis`) on a free port with its
data in a temporary folder, so tests never touch a developer's own Redis or the `make run` data.
Each test that writes Redis gets its own key prefix, so tests cannot see each other's keys.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from indexing.connection.embedded_redis import EmbeddedRedis, free_port
from indexing.contract.settings import PROJECT_ROOT, Settings, get_settings
from tests.support.postgres_server import PostgresServer, PostgresUnavailable

DATA_DIR = PROJECT_ROOT / "data"
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
RETAIL_DIR = SHARED_DATA / "online-retail"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(port=free_port(), data_dir=tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server: EmbeddedRedis) -> str:
    return redis_server.url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def make_settings(redis_url: str, **groups: dict[str, Any]) -> Settings:
    """Default settings pointed at the test server under a fresh key prefix, with `groups`
    changed as `Settings.replace` takes them (`cf={"dims": 16}`)."""
    # No grace period: a rebuild drops the version it replaced at once (no test waits for it).
    base = get_settings().replace(
        redis={"url": redis_url, "key_prefix": f"t{uuid.uuid4().hex[:10]}"},
        index={"retire_grace_s": 0.0},
        # Builds in tests build what they configure; the tuner has its own tests
        # (tests/unit/test_tuner.py) and test_evaluate turns it on.
        cf={"tune": False},
    )
    return base.replace(**groups)


@pytest.fixture
def settings(redis_url: str) -> Settings:
    return make_settings(redis_url)


@pytest.fixture(scope="session")
def demo_csvs() -> tuple[Path, Path]:
    products, interactions = DATA_DIR / "products.csv", DATA_DIR / "interactions.csv"
    assert products.exists() and interactions.exists(), "data/ demo CSVs are committed"
    return products, interactions


@pytest.fixture(scope="session")
def retail_csvs() -> tuple[Path, Path]:
    products, interactions = RETAIL_DIR / "products.csv", RETAIL_DIR / "interactions.csv"
    if not (products.exists() and interactions.exists()):
        pytest.skip(f"needs the online-retail dataset at {RETAIL_DIR} (../shared/data is absent)")
    return products, interactions


@pytest.fixture(scope="session")
def demo_index(redis_url: str, demo_csvs: tuple[Path, Path]) -> Settings:
    """The demo catalog built once per session under its own prefix; read-only for tests."""
    from indexing.build.index_builder import build_index

    settings = make_settings(redis_url)
    client = redis.Redis.from_url(redis_url)
    build_index(client, settings, *demo_csvs, quiet=True)
    client.close()
    return settings


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster for the run (tests/support/postgres_server.py); the tests that need
    it skip, saying why, where no server binaries are installed."""
    try:
        server = PostgresServer.create()
        server.start()
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL server here: {exc}")
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database per test, dropped after it; its connection URL."""
    import psycopg

    name = f"t{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_server.url, autocommit=True) as admin:
        admin.execute(f"create database {name}")
    yield postgres_server.url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(postgres_server.url, autocommit=True) as admin:
        admin.execute(f"drop database {name} with (force)")
