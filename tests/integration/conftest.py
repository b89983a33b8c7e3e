"""Fixtures of the integration tests that build catalogs of their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from indexing.build.index_builder import build_index
from indexing.connection.embedded_redis import EmbeddedRedis, free_port
from indexing.contract.settings import Settings
from tests.conftest import make_settings
from tests.integration.small_catalog import write_small_catalog


@pytest.fixture(scope="session")
def small_csvs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The first 300 demo products and the events that name them: a build in about a second."""
    return write_small_catalog(tmp_path_factory.mktemp("small"))


@pytest.fixture
def small_built(
    redis_url: str, small_csvs: tuple[Path, Path]
) -> Iterator[tuple[Settings, redis.Redis]]:
    """The small catalog built under a fresh prefix (small vectors: a build in a second or
    two), and a client; for tests that write feedback or histories into it."""
    settings = make_settings(redis_url, catalog={"content_dims": 32}, cf={"dims": 32})
    client = redis.Redis.from_url(redis_url)
    build_index(client, settings, *small_csvs, quiet=True)
    yield settings, client
    client.close()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A Redis of the test's own, for tests that kill or stop it."""
    server = EmbeddedRedis(port=free_port(), data_dir=tmp_path / "redis")
    server.start()
    yield server
    server.stop()
