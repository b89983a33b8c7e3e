"""Who may reach Redis: the embedded server listens on 127.0.0.1 only with protected mode on,
and the service works against a Redis that requires a password or an ACL user (REDIS_URL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from litestar.testing import TestClient

from indexing.connection.embedded_redis import EmbeddedRedis, free_port
from service.api.app import create_app
from tests.conftest import make_settings
from tests.integration.small_catalog import write_small_catalog
from tests.support.live_server import build_small_index

PASSWORD = "s3cret-pa$$:/@word"


def test_embedded_redis_binds_loopback_with_protected_mode(redis_client: redis.Redis) -> None:
    assert redis_client.config_get("bind") == {"bind": "127.0.0.1"}
    assert redis_client.config_get("protected-mode") == {"protected-mode": "yes"}


@pytest.fixture(scope="module")
def password_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(
        port=free_port(), data_dir=tmp_path_factory.mktemp("redis"), password=PASSWORD
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def small_csvs(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path]:
    return write_small_catalog(tmp_path_factory.mktemp("csv"), products=150)


def test_password_is_required(password_redis: EmbeddedRedis) -> None:
    anonymous = redis.Redis(host="127.0.0.1", port=password_redis.port)
    with pytest.raises(redis.AuthenticationError):
        anonymous.ping()
    assert redis.Redis.from_url(password_redis.url).ping()


def _serves(url: str, csvs: tuple[Path, Path], build_url: str) -> None:
    build_small_index(make_settings(build_url, redis={"key_prefix": "secure"}), csvs)
    settings = make_settings(url, redis={"key_prefix": "secure"})
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").json()["status"] == "ok"
        response = client.get("/recommend/content/P000001?top_k=3")
        assert response.status_code == 200 and len(response.json()["results"]) == 3
        feedback = {"user_id": "U1", "product_id": "P000002", "action": "purchase"}
        assert client.post("/feedback", json=feedback).status_code == 200


def test_service_with_a_password_url(
    password_redis: EmbeddedRedis, small_csvs: tuple[Path, Path]
) -> None:
    assert "s3cret" in password_redis.url  # redis://:<password, URL-quoted>@host:port/0
    _serves(password_redis.url, small_csvs, password_redis.url)


def test_service_with_an_acl_user(
    password_redis: EmbeddedRedis, small_csvs: tuple[Path, Path]
) -> None:
    """A least-privilege user for the service: its key prefix only, no admin commands."""
    admin = redis.Redis.from_url(password_redis.url)
    admin.acl_setuser(
        "shoprec",
        enabled=True,
        passwords=["+svc-pass"],
        keys=["secure:*"],
        channels=[],
        commands=["+@all", "-@admin", "-@dangerous", "+info", "+ping"],
    )
    acl_url = f"redis://shoprec:svc-pass@127.0.0.1:{password_redis.port}/0"
    _serves(acl_url, small_csvs, password_redis.url)
    user = redis.Redis.from_url(acl_url)
    with pytest.raises(redis.exceptions.NoPermissionError):
        user.get("other-app:key")
    with pytest.raises(redis.exceptions.NoPermissionError):
        user.flushall()
