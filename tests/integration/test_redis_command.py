"""`shoprec redis status|stop|cli` act on the Redis in use (REDIS_URL or --port), print replies
the way redis-cli does, refuse to stop a Redis shoprec did not start, and stop quietly when the
reader of their output goes away."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from indexing.connection.embedded_redis import free_port
from indexing.contract.settings import PROJECT_ROOT, Settings
from service.cli import main as cli
from tests.conftest import make_settings


@pytest.fixture
def url_settings(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """REDIS_URL points at the test server (on a free, non-default port)."""
    settings = make_settings(redis_url)
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    return settings


def test_status_reports_the_redis_of_redis_url(
    url_settings: Settings, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["redis", "status"]) == 0
    out = capsys.readouterr().out
    assert redis_url in out and "running" in out and "query engine: yes" in out


def test_status_with_a_port_checks_that_port(
    url_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    nobody = free_port()
    assert cli.main(["redis", "status", "--port", str(nobody)]) == 3
    assert f"127.0.0.1:{nobody}" in capsys.readouterr().out


def test_stop_refuses_a_redis_shoprec_did_not_start(
    url_settings: Settings, redis_client: redis.Redis, capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = url_settings.replace(redis={"url": "redis://:secret@10.0.0.9:6379/0"})
    code = cli._run(cli.build_parser(foreign).parse_args(["redis", "stop"]), foreign)
    err = capsys.readouterr().err
    assert code == 2
    assert "did not start" in err and "secret" not in err and "***" in err
    assert redis_client.ping()  # the test server (also not embedded by this command) lives on


@pytest.mark.parametrize(
    ("words", "printed"),
    [
        (["PING"], "PONG"),
        (["ECHO", 'say "hi"'], 'say "hi"'),
        (["EXISTS", "no-such-key"], "0"),
        (["GET", "no-such-key"], ""),
    ],
)
def test_cli_prints_raw_replies_when_piped(
    url_settings: Settings,
    capsys: pytest.CaptureFixture[str],
    words: list[str],
    printed: str,
) -> None:
    assert cli.main(["redis", "cli", *words]) == 0
    assert capsys.readouterr().out == printed + "\n"


def test_cli_error_reply_exits_1(
    url_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["redis", "cli", "NO-SUCH-COMMAND"]) == 1
    assert capsys.readouterr().out.startswith("(error) ")


def test_a_closed_pipe_ends_quietly(redis_url: str, redis_client: redis.Redis) -> None:
    prefix = f"pipe{free_port()}"
    redis_client.mset({f"{prefix}:{i}": "v" for i in range(20_000)})
    try:
        env = {**os.environ, "REDIS_URL": redis_url}
        shell = f"{sys.executable} -m service.cli.main redis cli KEYS '{prefix}:*' | head -1"
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-c", shell],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.stdout.startswith(prefix)
        assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
        assert done.returncode == 0
    finally:
        redis_client.delete(*(f"{prefix}:{i}" for i in range(20_000)))


def test_cli_on_a_port_sends_there(
    url_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nobody = free_port()
    assert cli.main(["redis", "--port", str(nobody), "cli", "PING"]) == 1
    assert "cannot reach Redis" in capsys.readouterr().err
