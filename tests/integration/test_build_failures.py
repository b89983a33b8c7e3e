"""A build that fails at any stage leaves the live version serving and nothing of its own."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

import indexing.build.index_builder as index_builder
from indexing.build.catalog_versions import live_version, versions_present
from indexing.contract.index_schema import CONTENT_FIELD
from indexing.contract.redis_layout import RedisLayout
from tests.integration.build_inspection import (
    build,
    ft_info,
    keys_under,
    knn_content,
    small_settings,
)


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("write_popularity", RuntimeError("injected failure")),
        ("wait_until_indexed", TimeoutError("injected timeout")),
        ("publish", redis.ConnectionError("injected disconnect")),
        ("write_histories", KeyboardInterrupt()),
    ],
)
def test_failed_build_leaves_previous_version_serving(
    redis_client: redis.Redis,
    redis_url: str,
    small_csvs: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    error: BaseException,
) -> None:
    settings = small_settings(redis_url)
    layout = RedisLayout(settings.redis.key_prefix)
    good = build(redis_client, settings, small_csvs)
    good_keys = sorted(keys_under(redis_client, layout.version_prefix(good.version) + ":"))
    meta_before = redis_client.hgetall(layout.meta)

    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(index_builder, target, fail)
    with pytest.raises(type(error)):
        build(redis_client, settings, small_csvs)
    failed_version = good.version + 1

    assert versions_present(redis_client, layout) == [good.version]
    assert keys_under(redis_client, layout.version_prefix(failed_version) + ":") == []
    assert redis_client.hgetall(layout.meta) == meta_before
    assert ft_info(redis_client, layout.alias)["index_name"] == layout.index_name(good.version)
    assert sorted(keys_under(redis_client, layout.version_prefix(good.version) + ":")) == good_keys
    vector = redis_client.hget(layout.product(good.version, "P000001"), CONTENT_FIELD)
    assert knn_content(redis_client, layout.alias, vector, k=1)[0][0] == "P000001"

    # and the next build after the failure goes through
    monkeypatch.undo()
    again = build(redis_client, settings, small_csvs)
    assert versions_present(redis_client, layout) == [again.version]


def test_failed_first_build_leaves_nothing(
    redis_client: redis.Redis,
    redis_url: str,
    small_csvs: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = small_settings(redis_url)
    layout = RedisLayout(settings.redis.key_prefix)

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected failure")

    monkeypatch.setattr(index_builder, "write_popularity", fail)
    with pytest.raises(RuntimeError, match="injected"):
        build(redis_client, settings, small_csvs)

    assert versions_present(redis_client, layout) == []
    assert live_version(redis_client, layout) is None
    assert keys_under(redis_client, f"{layout.prefix}:v", glob="[0-9]*") == []
