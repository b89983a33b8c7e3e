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


def test_redis_without_aof_stores_feedback_and_says_it_is_not_durable(
    redis_without_aof: EmbeddedRedis,
    small_csvs: tuple[Path, Path],
) -> None:
    """No append-only file: feedback is stored and answered at once with durable=false (a
    frontend's fire-and-forget events are not lost to 503s), the log says why once, /health
    shows it; strict mode answers 503 instead."""
    settings = make_settings(redis_without_aof.url)
    build_small_index(settings, small_csvs)
    body = {"user_id": "U1", "product_id": "P000001", "action": "click"}
    records = _LogRecords()
    logging.getLogger("service.feedback.stream_append").addHandler(records)
    try:
        with TestClient(create_app(settings)) as client:
            first = client.post("/feedback", json=body)
            second = client.post("/feedback", json=body)
            health = client.get("/health")
    finally:
        logging.getLogger("service.feedback.stream_append").removeHandler(records)
    assert first.status_code == second.status_code == 200
    assert first.json() == {"status": "received", "durable": False}
    assert second.json()["durable"] is False
    warnings = [r for r in records.records if "appendonly" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelname == "WARNING"
    stream = RedisLayout(settings.redis.key_prefix).feedback_stream
    assert redis.Redis.from_url(redis_without_aof.url).xlen(stream) == 2
    assert health.status_code == 200
    assert health.json()["feedback_durable"] is False
    assert "appendonly" in health.json()["detail"]

    strict = settings.replace(reliability={"feedback_require_durable": True})
    with TestClient(create_app(strict)) as client:
        refused = client.post("/feedback", json=body)
    assert refused.status_code == 503
    assert "appendonly" in refused.json()["detail"]


def test_everysec_answers_fast_with_durable_false(
    own_redis: EmbeddedRedis, small_csvs: tuple[Path, Path]
) -> None:
    """Managed Redis runs appendfsync everysec: the first event pays the fsync timeout once,
    every later one is answered without waiting, all of them with durable=false."""
    settings = make_settings(own_redis.url)
    build_small_index(settings, small_csvs)
    admin = redis.Redis.from_url(own_redis.url)
    admin.config_set("appendfsync", "everysec")
    body = {"user_id": "U2", "product_id": "P000001", "action": "view"}
    try:
        with TestClient(create_app(settings)) as client:
            answers = [client.post("/feedback", json=body) for _ in range(20)]
            waited = _waitaof_calls(admin)
    finally:
        admin.config_set("appendfsync", "always")
    assert all(a.status_code == 200 for a in answers)
    durable = [a.json()["durable"] for a in answers]
    # An everysec fsync can land inside the timeout by luck (that answer is truly durable);
    # after the first miss no event waits again.
    first_miss = durable.index(False)
    assert durable[first_miss:] == [False] * (20 - first_miss)
    assert waited == first_miss + 1


def test_health_reports_durable_feedback(own_redis: EmbeddedRedis, small_csvs) -> None:
    settings = make_settings(own_redis.url)
    build_small_index(settings, small_csvs)
    with TestClient(create_app(settings)) as client:
        health = client.get("/health").json()
    assert health["status"] == "ok"
    assert health["feedback_durable"] is True
    with TestClient(create_app(settings)) as client:
        answer = client.post(
            "/feedback", json={"user_id": "U3", "product_id": "P000001", "action": "view"}
        )
    assert answer.json() == {"status": "received", "durable": True}
