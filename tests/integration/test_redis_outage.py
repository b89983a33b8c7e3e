"""Redis goes away and comes back while a real uvicorn server runs: requests answer 503 with a
JSON body (no hang), /health says Redis is unreachable, and after Redis restarts (same folder,
AOF) the service recovers by itself."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY

from indexing.connection.embedded_redis import EmbeddedRedis
from service.api.app import create_app
from service.bench.served_metrics import sample
from tests.conftest import make_settings
from tests.support.live_server import build_small_index, live_server

# A hang guard, not a speed measurement: a request that hangs fails the test instead of it.
HANG_GUARD_S = 5.0
REQUESTS = [
    ("GET", "/recommend/content/P000001", None),
    ("GET", "/recommend/user/U00001", None),
    ("GET", "/recommend/hybrid?user_id=U00001&product_id=P000002", None),
    ("GET", "/recommend/ab?user_id=U00001", None),
    ("GET", "/ab/report", None),
    ("POST", "/feedback", {"user_id": "U1", "product_id": "P000001", "action": "click"}),
]


def _call(client: httpx.Client, method: str, path: str, body: object) -> httpx.Response:
    return client.request(method, path, json=body)


def _wait_healthy(client: httpx.Client, within_s: float = 20.0) -> httpx.Response:
    deadline = time.monotonic() + within_s
    while True:
        response = client.get("/health")
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def _assert_all_503(client: httpx.Client) -> list[float]:
    elapsed = []
    for method, path, body in REQUESTS:
        started = time.perf_counter()
        response = _call(client, method, path, body)
        elapsed.append(time.perf_counter() - started)
        assert response.status_code == 503, (path, response.text)
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["status_code"] == 503
        assert response.json()["detail"]
    return elapsed


def test_stopped_redis_gives_503_and_the_service_recovers_by_itself(
    own_redis: EmbeddedRedis, small_csvs: tuple[Path, Path]
) -> None:
    settings = make_settings(own_redis.url)
    build_small_index(settings, small_csvs)
    with (
        live_server(create_app(settings)) as base,
        httpx.Client(base_url=base, timeout=HANG_GUARD_S) as client,
    ):
        for method, path, body in REQUESTS:
            assert _call(client, method, path, body).status_code == 200, path

        errors_before = sample(client.get("/metrics").text, "shoprec_redis_errors_total")
        own_redis.stop()
        elapsed = _assert_all_503(client)
        # The metrics page answers without Redis, and counts what Redis cost.
        scrape = client.get("/metrics")
        assert scrape.status_code == 200
        errors = sample(scrape.text, "shoprec_redis_errors_total") - errors_before
        assert errors >= len(REQUESTS)
        health = client.get("/health")
        assert health.status_code == 503
        assert health.json()["redis"] == "unreachable"
        # Generic: the exception text stays in the service log.
        assert health.json()["detail"] == "Redis unreachable"
        print(f"503 answers while Redis is down: max {max(elapsed) * 1000:.0f} ms")

        own_redis.start()  # same folder: the append-only file brings the catalog back
        assert _wait_healthy(client).status_code == 200
        # Every request works again on the same server process (pooled connections to the
        # old Redis are dead; the client reconnects without failing the request).
        for method, path, body in REQUESTS:
            response = _call(client, method, path, body)
            assert response.status_code == 200, (path, response.text)


def test_stalled_redis_gives_503_instead_of_hanging(
    own_redis: EmbeddedRedis, small_csvs: tuple[Path, Path]
) -> None:
    """A Redis that accepts connections but never answers (SIGSTOP): socket timeouts and the
    request deadline turn that into 503s; SIGCONT and it serves again."""
    settings = make_settings(own_redis.url)
    build_small_index(settings, small_csvs)
    pid = own_redis.pid()
    assert pid is not None
    with (
        live_server(create_app(settings)) as base,
        httpx.Client(base_url=base, timeout=HANG_GUARD_S) as client,
    ):
        assert client.get("/recommend/content/P000001").status_code == 200
        os.kill(pid, signal.SIGSTOP)
        try:
            elapsed = _assert_all_503(client)
            assert client.get("/health").status_code == 503
        finally:
            os.kill(pid, signal.SIGCONT)
        print(f"503 answers while Redis is stalled: max {max(elapsed) * 1000:.0f} ms")
        assert _wait_healthy(client).status_code == 200
        assert client.get("/recommend/content/P000003").status_code == 200


def test_past_the_in_flight_bound_requests_are_shed_at_once(
    own_redis: EmbeddedRedis, small_csvs: tuple[Path, Path]
) -> None:
    """Two requests held in flight by a stalled Redis fill a bound of 2: the next one is
    refused at once with 503 and Retry-After, while /health is still admitted."""
    settings = make_settings(
        own_redis.url,
        reliability={"max_in_flight": 2, "request_timeout_s": 4.0},
        redis={"timeout_s": 4.0},
    )
    build_small_index(settings, small_csvs)
    pid = own_redis.pid()
    assert pid is not None
    with (
        live_server(create_app(settings)) as base,
        httpx.Client(base_url=base, timeout=HANG_GUARD_S * 2) as client,
    ):
        assert client.get("/recommend/content/P000001").status_code == 200
        os.kill(pid, signal.SIGSTOP)
        try:
            with ThreadPoolExecutor(max_workers=2) as pool:
                held = [pool.submit(client.get, f"/recommend/content/P00000{i}") for i in (2, 3)]
                _wait_in_flight(2)
                shed = _first_shed(client, attempts=50)
                health = client.get("/health")
                assert "overloaded" not in health.text
                for future in held:
                    assert future.result().status_code == 503  # the stall, not the bound
        finally:
            os.kill(pid, signal.SIGCONT)
        assert shed.headers["retry-after"] == "1"
        assert "overloaded" in shed.json()["detail"]
        scrape = client.get("/metrics").text
        assert sample(scrape, "shoprec_shed_total") >= 1
        assert _wait_healthy(client).status_code == 200


def _wait_in_flight(count: int) -> None:
    """Until the server (a thread of this process) has admitted `count` requests: a probe
    sent earlier would be admitted itself and stall with them instead of being shed. Read
    from the registry, not /metrics: a scrape reads Redis, which is stopped."""
    deadline = time.monotonic() + HANG_GUARD_S
    while time.monotonic() < deadline:
        if (REGISTRY.get_sample_value("shoprec_http_requests_in_flight") or 0) >= count:
            return
        time.sleep(0.02)
    pytest.fail(f"the server never had {count} requests in flight")


def _first_shed(client: httpx.Client, attempts: int) -> httpx.Response:
    """Ask until a request is shed (the two held ones may take a moment to be admitted)."""
    for _ in range(attempts):
        response = client.get("/recommend/content/P000004")
        if response.status_code == 503 and "overloaded" in response.text:
            return response
        time.sleep(0.05)
    pytest.fail("no request was shed with two held in flight and a bound of 2")
