"""`shoprec reindex` with a partial file (issue 13): a dry run lists the plan and writes
nothing, a run that would remove most of the catalog refuses with exit 2, and --upsert applies
the partial file without removing anything."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import redis

from indexing.build.index_builder import build_index
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.cli import main as cli
from tests.conftest import make_settings


def _keys(rc: redis.Redis, layout: RedisLayout) -> dict[bytes, bytes | None]:
    """Every key of the prefix with a fingerprint of its value (DUMP), to spot any write."""
    return {k: rc.dump(k) for k in rc.scan_iter(match=f"{layout.prefix}:v*", count=5000)}


def _partial(small_csvs: tuple[Path, Path], folder: Path) -> tuple[Path, list[str]]:
    """Three products of the 300: one new, one changed (no price any more), one unchanged."""
    products = pd.read_csv(small_csvs[0], dtype=str, keep_default_na=False)
    partial = products.head(2).copy()
    partial.loc[0, "price"] = ""
    new = products.iloc[[2]].assign(product_id="NEW-1", title="Brand new lamp")
    path = folder / "partial.csv"
    pd.concat([partial, new]).to_csv(path, index=False)
    return path, products["product_id"].tolist()


@pytest.fixture
def built(
    redis_url: str, small_csvs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Settings:
    settings = make_settings(redis_url)
    with redis.Redis.from_url(redis_url) as rc:
        build_index(rc, settings, *small_csvs, quiet=True)
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    return settings


def test_dry_run_lists_the_plan_and_refusal_changes_nothing(
    built: Settings,
    redis_url: str,
    small_csvs: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    partial, ids = _partial(small_csvs, tmp_path)
    layout = RedisLayout(built.redis.key_prefix)
    with redis.Redis.from_url(redis_url) as rc:
        before = _keys(rc, layout)
        assert cli.main(["reindex", "-q", "--dry-run", "--products", str(partial)]) == 0
        out = capsys.readouterr().out
        assert "dry run: live version 1 is unchanged" in out
        assert "add 1: NEW-1" in out and f"change 1: {ids[0]}" in out
        assert "remove 298: " in out and "and 248 more" in out
        assert _keys(rc, layout) == before

        assert cli.main(["reindex", "-q", "--products", str(partial)]) == 2
        err = capsys.readouterr().err.strip()
        assert "would remove 298 of the 300 live products (99%, over the 20% limit)" in err
        assert "--upsert" in err and len(err.splitlines()) == 1 and "Traceback" not in err
        assert _keys(rc, layout) == before


def test_upsert_adds_and_changes_and_removes_nothing(
    built: Settings, redis_url: str, small_csvs: tuple[Path, Path], tmp_path: Path
) -> None:
    partial, ids = _partial(small_csvs, tmp_path)
    layout = RedisLayout(built.redis.key_prefix)
    assert cli.main(["reindex", "-q", "--upsert", "--products", str(partial)]) == 0
    with redis.Redis.from_url(redis_url) as rc:
        assert all(rc.exists(layout.product(1, pid)) for pid in ids)
        assert rc.hget(layout.product(1, "NEW-1"), "title") == b"Brand new lamp"
        assert rc.hget(layout.product(1, ids[0]), "price") is None  # emptied in the file
        assert rc.hget(layout.meta, "products") == b"301"
    # And with the removals allowed, the same file takes the catalog down to its 3 products.
    assert cli.main(["reindex", "-q", "--allow-removals", "--products", str(partial)]) == 0
    with redis.Redis.from_url(redis_url) as rc:
        assert rc.hget(layout.meta, "products") == b"3"
        assert not rc.exists(layout.product(1, ids[5]))
