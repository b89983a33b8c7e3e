"""Which embedded server and data folder a command gets from the settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexing.connection.redis_connection import embedded_data_dir, embedded_server
from indexing.contract.settings import PROJECT_ROOT, Settings


def test_each_port_gets_its_own_data_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two servers in one folder write one append-only file and one pid file: corruption.
    monkeypatch.delenv("SHOPREC_EMBEDDED_REDIS_DIR", raising=False)
    settings = Settings()

    assert embedded_data_dir(settings, 6389) == PROJECT_ROOT / "var" / "redis" / "6389"
    assert embedded_data_dir(settings, 6460) != embedded_data_dir(settings, 6389)
    other = settings.replace(redis={"embedded_port": 7001})
    assert embedded_server(other).data_dir == PROJECT_ROOT / "var" / "redis" / "7001"


def test_the_folder_setting_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SHOPREC_EMBEDDED_REDIS_DIR", str(tmp_path))

    assert embedded_data_dir(Settings(), 6460) == tmp_path  # Settings() reads the environment
