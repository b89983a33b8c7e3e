"""A real primary and a real replica (`--replicaof`) from the embedded wheels (issue 20): the
vector searches are served by the replica, the user's own state by the primary, and a replica
that is stopped, promoted or behind is left for the primary without a failed request."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from litestar.testing import TestClient

from indexing.connection.embedded_redis import EmbeddedRedis, free_port
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.api.app import create_app
from service.bench.served_metrics import sample
from tests.conftest import make_settings
from tests.support.live_server import build_small_index

REPLICA_ARGS = ("--appendonly", "no", "--replicaof")
SYNC_LIMIT_S = 60  # a bound on waiting for the replica's first sync, not a timing check
REQUESTS = (
    "/recommend/content/P000001?top_k=5",
    "/recommend/user/U00001?top_k=5",
    "/recommend/hybrid?user_id=U00001&product_id=P000002&top_k=5",
)


@pytest.fixture
def primary(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(port=free_port(), data_dir=tmp_path / "primary")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def indexed(primary: EmbeddedRedis, small_csvs: tuple[Path, Path]) -> Settings:
    settings = make_settings(primary.url, serving={"cache_ttl_s": 0})
    build_small_index(settings, small_csvs)
    return settings


@pytest.fixture
def replica(tmp_path: Path, primary: EmbeddedRedis, indexed: Settings) -> Iterator[EmbeddedRedis]:
    server = _replica_of(primary, tmp_path / "replica", free_port())
    _wait_synced(server, indexed)
    yield server
    server.stop()


def _replica_of(primary: EmbeddedRedis, folder: Path, port: int) -> EmbeddedRedis:
    server = EmbeddedRedis(port=port, data_dir=folder)
    # No append-only file: the replica's copy comes from the primary.
    server.start(extra_args=(*REPLICA_ARGS, primary.host, str(primary.port)))
    return server


def _wait_synced(server: EmbeddedRedis, settings: Settings) -> None:
    """Until the replica is linked and has the live version's index."""
    client = redis.Redis.from_url(server.url)
    layout = RedisLayout(settings.redis.key_prefix)
    deadline = time.monotonic() + SYNC_LIMIT_S
    try:
        while time.monotonic() < deadline:
            try:
                linked = client.info("replication").get("master_link_status") == "up"
                version = client.hget(layout.meta, "version")
                name = layout.index_name(int(version)).encode() if version else None
                if linked and name in _indexes(client):
                    return
            except redis.exceptions.BusyLoadingError:
                pass  # still loading what the primary sent
            time.sleep(0.1)
    finally:
        client.close()
    pytest.fail("the replica did not sync with the primary")


def _indexes(client: redis.Redis) -> list[bytes]:
    return list(client.execute_command("FT._LIST"))


def _searches(server: EmbeddedRedis) -> int:
    client = redis.Redis.from_url(server.url)
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    return int(stats.get("cmdstat_FT.SEARCH", {}).get("calls", 0))


def _serve(settings: Settings, replica: EmbeddedRedis) -> TestClient:
    return TestClient(app=create_app(settings.replace(redis={"read_url": replica.url})))


def test_vector_searches_are_served_by_the_replica(
    primary: EmbeddedRedis, replica: EmbeddedRedis, indexed: Settings
) -> None:
    with _serve(indexed, replica) as api:
        assert api.get("/health").json()["read_replica"] == "ok"
        on_primary, on_replica = _searches(primary), _searches(replica)
        for path in REQUESTS:
            assert api.get(path).status_code == 200, path
        assert _searches(replica) - on_replica >= len(REQUESTS)
        assert _searches(primary) == on_primary


def test_a_dismissal_is_honoured_on_the_very_next_request(
    replica: EmbeddedRedis, indexed: Settings
) -> None:
    with _serve(indexed, replica) as api:
        first = api.get("/recommend/user/U00002?top_k=5").json()["results"][0]["product_id"]
        body = {"user_id": "U00002", "product_id": first, "action": "dismiss"}
        assert api.post("/feedback", json=body).status_code == 200
        again = api.get("/recommend/user/U00002?top_k=5").json()["results"]
        assert first not in [r["product_id"] for r in again]


def test_a_stopped_replica_leaves_the_searches_to_the_primary_without_errors(
    primary: EmbeddedRedis, replica: EmbeddedRedis, indexed: Settings
) -> None:
    with _serve(indexed, replica) as api:
        assert api.get(REQUESTS[0]).status_code == 200
        replica.stop()
        on_primary = _searches(primary)
        for path in REQUESTS:
            assert api.get(path).status_code == 200, path
        assert _searches(primary) - on_primary >= len(REQUESTS)
        state = api.get("/health").json()["read_replica"]
        assert state.startswith("primary (replica unreachable")
        assert sample(api.get("/metrics").text, "shoprec_replica_fallbacks_total") >= 1

        replica.start(extra_args=(*REPLICA_ARGS, primary.host, str(primary.port)))
        _wait_synced(replica, indexed)
        assert api.get("/health").json()["read_replica"] == "ok"


def test_a_promoted_or_lagging_replica_is_not_used(
    primary: EmbeddedRedis, replica: EmbeddedRedis, indexed: Settings
) -> None:
    client = redis.Redis.from_url(replica.url)
    layout = RedisLayout(indexed.redis.key_prefix)
    with _serve(indexed, replica) as api:
        # A replica that names another live version (it has not caught up with a switch).
        client.config_set("replica-read-only", "no")
        live = int(client.hget(layout.meta, "version") or 0)
        client.hset(layout.meta, "version", live + 1)  # local to the replica: not replicated
        state = api.get("/health").json()["read_replica"]
        assert state == f"primary (replica does not have live version {live} yet)"
        on_primary = _searches(primary)
        assert api.get(REQUESTS[0]).status_code == 200
        assert _searches(primary) == on_primary + 1

        client.replicaof("NO", "ONE")  # promoted: no longer follows the primary
        assert (
            api.get("/health").json()["read_replica"] == "primary (REDIS_READ_URL is not a replica)"
        )
    client.close()
