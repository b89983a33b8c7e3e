"""`shoprec serve`: a real uvicorn server on the demo index, and the refusal without an index."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from indexing.connection.embedded_redis import free_port
from indexing.contract.settings import Settings
from service.cli.errors import CommandError
from service.cli.serve_cmd import cmd_serve
from tests.support.live_server import wait_until_serving

STARTUP_LIMIT_S = 60  # a bound on waiting for start-up on a busy machine, not a timing check


def test_serve_refuses_without_a_live_index_and_says_how_to_build_one(settings: Settings) -> None:
    args = argparse.Namespace(host="127.0.0.1", port=free_port(), workers=1, access_log=False)
    with pytest.raises(CommandError, match="shoprec index"):
        cmd_serve(args, settings)


@pytest.fixture
def served(demo_index: Settings) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "REDIS_URL": str(demo_index.redis.url),
        "SHOPREC_KEY_PREFIX": demo_index.redis.key_prefix,
        "SHOPREC_CACHE_TTL_S": "0",  # leave no cache entries in the shared demo index
        "SHOPREC_AB_EXPERIMENT": "serve-test",
    }
    # One worker: the test is about the command serving, and a worker per core on a busy
    # 2-core machine only slows the start.
    command = [
        sys.executable,
        "-m",
        "service.cli.main",
        "serve",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(server, url, STARTUP_LIMIT_S)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_shoprec_serve_answers_over_http(served: str) -> None:
    health = httpx.get(f"{served}/health").json()
    assert health["status"] == "ok" and health["products"] == 5000
    body = httpx.get(f"{served}/recommend/content/P000001?top_k=4").json()
    assert body["source"] == "model" and len(body["results"]) == 4
    missing = httpx.get(f"{served}/recommend/content/P999999")
    assert missing.status_code == 404 and "P999999" in missing.json()["detail"]
