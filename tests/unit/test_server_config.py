"""How `shoprec serve` configures uvicorn's worker supervisor."""

from __future__ import annotations

import pytest

from indexing.contract.settings import ResourceSettings
from service.api.http_server import APP, server_config


def test_workers_get_the_configured_time_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPREC_WORKER_START_TIMEOUT_S", "42")
    config = server_config(APP, "127.0.0.1", 8000, ResourceSettings(), workers=2)
    assert config.timeout_worker_healthcheck == 42


def test_the_default_outlasts_a_slow_start() -> None:
    """A worker's imports took 18 s of wall time beside a build: uvicorn's 5 s default killed
    every worker before it served."""
    config = server_config(APP, "127.0.0.1", 8000, ResourceSettings(), workers=2)
    assert config.timeout_worker_healthcheck >= 30
