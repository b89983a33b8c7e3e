"""Acknowledged feedback is never lost: every 200 from POST /feedback is an event Redis has
fsynced (WAITAOF), so a SIGKILLed Redis brings all of them back from its append-only file."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from litestar.testing import TestClient

from indexing.connection.embedded_redis import EmbeddedRedis, free_port
from indexing.contract.redis_layout import RedisLayout
from service.api.app import create_app
from tests.conftest import make_settings
from tests.integration.small_catalog import write_small_catalog
from tests.support.live_server import build_small_index

EVENTS = 200


@pytest.fixture(scope="module")
def small_csvs(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path]:
    return write_small_catalog(tmp_path_factory.mktemp("csv"), products=200)


def _server(tmp_path: Path, *extra: str) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(port=free_port(), data_dir=tmp_path / "redis")
    server.start(extra_args=extra)
    yield server
    server.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    yield from _server(tmp_path)


@pytest.fixture
def redis_without_aof(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    yield from _server(tmp_path, "--appendonly", "no")


class _LogRecords(logging.Handler):
    """Collects records (Litestar's logging setup keeps them from pytest's caplog)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _waitaof_calls(client: redis.Redis) -> int:
    stats = client.info("commandstats").get("cmdstat_waitaof", {})
    return int(stats.get("calls", 0))


def test_all_acknowledged_events_survive_sigkill(
    own_redis: EmbeddedRedis, small_csvs: tuple[Path, Path]
) -> None:
    settings = make_settings(own_redis.url)
    assert settings.reliability.feedback_durable, "durability is on by default"
    build_small_index(settings, small_csvs)
    admin = redis.Redis.from_url(own_redis.url)
    waitaof_before = _waitaof_calls(admin)
    with TestClient(create_app(settings)) as client:
        for i in range(EVENTS):
            body = {"user_id": f"crash-user-{i}", "product_id": "P000001", "action": "view"}
            response = client.post("/feedback", json=body)
            assert response.status_code == 200, response.text
        # The mechanism, not luck: one WAITAOF per acknowledged event.
        assert _waitaof_calls(admin) - waitaof_before == EVENTS
        own_redis.kill()  # SIGKILL right after the last acknowledgement
    admin.close()

    own_redis.start()
    client_after = redis.Redis.from_url(own_redis.url, decode_responses=True)
    entries = client_after.xrange(RedisLayout(settings.redis.key_prefix).feedback_stream)
    users = {fields["user_id"] for _id, fields in entries}
    assert users == {f"crash-user-{i}" for i in range(EVENTS)}
    client_after.close()


def test_redis_without_aof_refuses_to_acknowledge(
    redis_without_aof: EmbeddedRedis,
    small_csvs: tuple[Path, Path],
) -> None:
    """No append-only file: feedback answers 503 (never a false 200), the log says why, and
    /health shows it; with durability switched off the same Redis acknowledges."""
    settings = make_settings(redis_without_aof.url)
    build_small_index(settings, small_csvs)
    body = {"user_id": "U1", "product_id": "P000001", "action": "click"}
    records = _LogRecords()
    logging.getLogger("service.feedback.feedback_recorder").addHandler(records)
    try:
        with TestClient(create_app(settings)) as client:
            response = client.post("/feedback", json=body)
            health = client.get("/health")
    finally:
        logging.getLogger("service.feedback.feedback_recorder").removeHandler(records)
    assert response.status_code == 503
    assert "appendonly" in response.json()["detail"]
    assert any("appendonly" in r.getMessage() and r.levelname == "ERROR" for r in records.records)
    assert health.status_code == 200
    assert health.json()["feedback_durable"] is False
    assert "appendonly" in health.json()["detail"]

    relaxed = settings.replace(reliability={"feedback_durable": False})
    with TestClient(create_app(relaxed)) as client:
        assert client.post("/feedback", json=body).status_code == 200
        assert client.get("/health").json()["feedback_durable"] is None


def test_health_reports_durable_feedback(own_redis: EmbeddedRedis, small_csvs) -> None:
    settings = make_settings(own_redis.url)
    build_small_index(settings, small_csvs)
    with TestClient(create_app(settings)) as client:
        health = client.get("/health").json()
    assert health["status"] == "ok"
    assert health["feedback_durable"] is True
