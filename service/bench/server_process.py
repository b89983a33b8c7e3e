"""The real service under uvicorn in child processes, for the benchmark to load over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from indexing.connection.embedded_redis import free_port
from indexing.contract.settings import PROJECT_ROOT

HOST = "127.0.0.1"


class ServerStartError(RuntimeError):
    pass


@dataclass(frozen=True)
class RunningServer:
    port: int
    pid: int  # the `shoprec serve` process; its workers are its children


@contextmanager
def running_server(
    redis_url: str,
    env: Mapping[str, str],
    workers: int,
    log_path: Path,
    wait_s: float = 60.0,
    port: int | None = None,
) -> Iterator[RunningServer]:
    """Start `shoprec serve` on a loopback port (a free one unless `port` is given)."""
    port = port or free_port()
    child_env = {**os.environ, **env, "REDIS_URL": redis_url}
    # The real `shoprec serve` command, so the benchmark measures what users run.
    command = [
        sys.executable,
        "-m",
        "service.cli.main",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            env=child_env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_healthy(process, port, workers, wait_s, log_path)
        yield RunningServer(port, process.pid)
    finally:
        _stop(process)


def _wait_healthy(
    process: subprocess.Popen[bytes], port: int, workers: int, wait_s: float, log_path: Path
) -> None:
    deadline = time.monotonic() + wait_s
    healthy = 0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerStartError(
                f"shoprec serve exited with {process.returncode}; see {log_path}"
            )
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/health", timeout=2) as answer:
                if answer.status == 200:
                    healthy += 1
                    # Several answers in a row: with many workers, each has started its app.
                    if healthy >= 2 * workers:
                        return
                    continue
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise ServerStartError(
        f"shoprec serve on port {port} not healthy after {wait_s:.0f}s; see {log_path}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
