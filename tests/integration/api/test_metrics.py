"""GET /metrics and the request id / JSON request log (issue 20): counters that move with
traffic through the real app, and `shoprec serve --workers 2` summing its workers."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import httpx
from litestar.testing import TestClient

from indexing.connection.embedded_redis import free_port
from indexing.contract.settings import Settings
from service.api.app import create_app
from service.bench.served_metrics import sample
from tests.support.live_server import wait_until_serving

CONTENT = "/recommend/content/{product_id}"
STARTUP_LIMIT_S = 90  # a bound on waiting for two workers on a busy machine, not a timing check


def _scrape(api: TestClient) -> str:
    answer = api.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return answer.text


def test_requests_cache_hits_and_misses_are_counted_per_endpoint(api: TestClient) -> None:
    before = _scrape(api)
    for _ in range(3):
        assert api.get("/recommend/content/P000002?top_k=3").status_code == 200
    assert api.get("/recommend/content/P999999").status_code == 404
    after = _scrape(api)

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("shoprec_http_requests_total", endpoint=CONTENT, status="200") == 3
    assert moved("shoprec_http_requests_total", endpoint=CONTENT, status="404") == 1
    assert moved("shoprec_http_request_duration_seconds_count", endpoint=CONTENT) == 4
    # The first answer is computed, the next two come from the cache.
    assert moved("shoprec_cache_misses_total", endpoint=CONTENT) == 2  # + the 404's lookup
    assert moved("shoprec_cache_hits_total", endpoint=CONTENT) == 2


def test_feedback_and_ab_traffic_move_their_counters(api: TestClient, fresh_user: str) -> None:
    before = _scrape(api)
    variant = api.get(f"/recommend/ab?user_id={fresh_user}").json()["variant"]
    body = {"user_id": fresh_user, "product_id": "P000001", "action": "Click"}
    durable = str(api.post("/feedback", json=body).json()["durable"]).lower()
    after = _scrape(api)

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("shoprec_ab_impressions_total", variant=variant) == 1
    assert moved("shoprec_ab_clicks_total", variant=variant) == 1
    assert moved("shoprec_feedback_events_total", action="click", durable=durable) == 1


def test_the_index_gauges_name_the_live_version(api: TestClient, live_version: int) -> None:
    text = _scrape(api)
    assert sample(text, "shoprec_index_version") == live_version
    assert sample(text, "shoprec_index_age_seconds") > 0


def test_a_request_id_is_echoed_or_made(api: TestClient) -> None:
    echoed = api.get("/health", headers={"X-Request-ID": "shop-req.42"})
    assert echoed.headers["x-request-id"] == "shop-req.42"
    # An id that could break a log line or a header is replaced, not echoed.
    made = api.get("/health", headers={"X-Request-ID": "a b\tc"})
    assert made.headers["x-request-id"] != "a b\tc"
    assert len(made.headers["x-request-id"]) == 32


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_json_log_format_writes_one_line_per_request(api_settings: Settings) -> None:
    settings = api_settings.replace(observability={"log_format": "json"})
    # Its own handler: Litestar's logging set-up replaces the root handlers pytest listens on.
    handler, logger = _Lines(), logging.getLogger("shoprec.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with TestClient(app=create_app(settings)) as client:
            client.get("/recommend/content/P000003?top_k=2", headers={"X-Request-ID": "r-1"})
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(m) for m in handler.messages]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == "r-1" and line["status"] == 200
    assert line["path"] == "/recommend/content/P000003" and line["method"] == "GET"
    assert line["cache_hit"] in (True, False) and line["ms"] > 0 and line["variant"] is None


def test_a_wrong_log_format_is_refused_with_the_choices() -> None:
    env = {**os.environ, "SHOPREC_LOG_FORMAT": "xml"}
    done = subprocess.run(
        [sys.executable, "-m", "service.cli.main", "serve", "--help"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "SHOPREC_LOG_FORMAT must be text or json" in done.stderr
    assert "Traceback" not in done.stderr


def test_two_workers_report_the_sum_of_their_requests(demo_index: Settings) -> None:
    port = free_port()
    env = {
        **os.environ,
        "REDIS_URL": str(demo_index.redis.url),
        "SHOPREC_KEY_PREFIX": demo_index.redis.key_prefix,
        "SHOPREC_CACHE_TTL_S": "0",
        "SHOPREC_LOG_FORMAT": "json",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [sys.executable, "-m", "service.cli.main", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(server, url, STARTUP_LIMIT_S)
        for _ in range(20):  # a new connection each: both workers take some
            assert httpx.get(f"{url}/recommend/content/P000004?top_k=2").status_code == 200
        text = httpx.get(f"{url}/metrics").text
        assert sample(text, "shoprec_http_requests_total", endpoint=CONTENT, status="200") == 20
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()
    logged = [json.loads(x) for x in output.splitlines() if x.startswith('{"request_id"')]
    assert sum(1 for x in logged if x["path"] == "/recommend/content/P000004") == 20
