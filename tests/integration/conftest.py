"""Fixtures of the integration tests that build catalogs of their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.small_catalog import write_small_catalog


@pytest.fixture(scope="session")
def small_csvs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The first 300 demo products and the events that name them: a build in about a second."""
    return write_small_catalog(tmp_path_factory.mktemp("small"))
