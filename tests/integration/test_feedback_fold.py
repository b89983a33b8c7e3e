"""Feedback into the next build: folded from the stream, replayed after the swap, exported."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest
import redis
from litestar.testing import TestClient

import indexing.build.index_builder as index_builder
from indexing.build.index_builder import build_index
from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.feedback.feedback_log import last_entry_id
from indexing.load.csv_loader import load_interactions
from service.api.app import create_app
from service.cli.main import main


def _meta(client: redis.Redis, layout: RedisLayout) -> CatalogMeta:
    meta = CatalogMeta.from_redis(client.hgetall(layout.meta))
    assert meta is not None
    return meta


def _epoch(iso: str) -> float:
    stamp = pd.Timestamp(iso)
    return (stamp if stamp.tzinfo else stamp.tz_localize("UTC")).timestamp()


def _history(client: redis.Redis, layout: RedisLayout, version: int, user: str) -> set[str]:
    return {p.decode() for p in client.zrange(layout.history(version, user), 0, -1)}


def test_feedback_is_folded_into_the_next_build(
    small_built: tuple[Settings, redis.Redis], small_csvs: tuple[Path, Path]
) -> None:
    settings, client = small_built
    layout = RedisLayout(settings.redis.key_prefix)
    products = pd.read_csv(small_csvs[0], dtype=str)["product_id"].tolist()
    old = _meta(client, layout).version
    user_key = next(client.scan_iter(match=f"{layout.version_prefix(old)}:history:*"))
    user = layout.user_of(user_key.decode(), layout.history_scope(old))
    dismissed = client.zrevrange(user_key, 0, 0)[0].decode()  # their strongest product
    with TestClient(create_app(settings)) as http:
        for body in (
            {"user_id": "fresh-user", "product_id": products[3], "action": "purchase"},
            {"user_id": "fresh-user", "product_id": products[4], "action": "view"},
            {"user_id": user, "product_id": dismissed, "action": "dismiss"},
        ):
            assert http.post("/feedback", json=body).status_code == 200
    stream_id = last_entry_id(client, layout)

    summary = build_index(client, settings, *small_csvs, quiet=True)
    new = summary.version
    assert _meta(client, layout).feedback_stream_id == stream_id == summary.meta.feedback_stream_id
    report = next(r for r in summary.reports if r.file == "feedback stream")
    assert (report.rows_read, report.rows_kept) == (3, 3)
    assert _history(client, layout, new, "fresh-user") == {products[3], products[4]}
    assert client.sismember(layout.bought(new, "fresh-user"), products[3])
    # The CSV says the user looked at it, but they dismissed it after: it stays out.
    assert dismissed not in _history(client, layout, new, user)

    # Built without the stream, the new user is unknown again.
    summary = build_index(client, settings, *small_csvs, quiet=True, with_feedback=False)
    assert _history(client, layout, summary.version, "fresh-user") == set()


def test_feedback_recorded_during_a_build_is_replayed_into_the_new_version(
    small_built: tuple[Settings, redis.Redis],
    small_csvs: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, client = small_built
    layout = RedisLayout(settings.redis.key_prefix)
    products = pd.read_csv(small_csvs[0], dtype=str)["product_id"].tolist()
    old = _meta(client, layout).version
    real_wait = index_builder.wait_until_indexed

    with TestClient(create_app(settings)) as http:

        def wait_while_a_shopper_clicks(*args: object, **kwargs: object) -> None:
            # The build has read the stream; the service still serves the old version.
            body = {"user_id": "during-build", "product_id": products[7], "action": "click"}
            assert http.post("/feedback", json=body).status_code == 200
            real_wait(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(index_builder, "wait_until_indexed", wait_while_a_shopper_clicks)
        summary = build_index(client, settings, *small_csvs, quiet=True)
    assert _history(client, layout, old, "during-build") == set()  # old version is gone
    assert summary.feedback_replayed == 1
    assert _history(client, layout, summary.version, "during-build") == {products[7]}


def test_export_feedback_round_trips_through_the_interactions_loader(
    small_built: tuple[Settings, redis.Redis],
    small_csvs: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings, _ = small_built
    products = pd.read_csv(small_csvs[0], dtype=str)["product_id"].tolist()
    sent = [
        ("u1", products[0], "view", "2026-03-01T10:00:00.250Z"),
        ("u1", products[1], "clicked", "2026-03-01T10:01:00Z"),
        ("u2", products[2], "add_to_cart", "2026-03-02T08:00:00+02:00"),
        ("u2", products[2], "purchase", "2026-03-02T08:05:00"),
        ("u3", products[5], "dismiss", "2026-03-03T00:00:00Z"),
    ]
    with TestClient(create_app(settings)) as http:
        for user, pid, action, ts in sent:
            body = {"user_id": user, "product_id": pid, "action": action, "ts": ts}
            assert http.post("/feedback", json=body).status_code == 200

    monkeypatch.setenv("REDIS_URL", settings.redis.url or "")
    monkeypatch.setenv("SHOPREC_KEY_PREFIX", settings.redis.key_prefix)
    from indexing.contract.settings import get_settings

    get_settings.cache_clear()
    out = tmp_path / "feedback.csv"
    try:
        assert main(["export-feedback", "--out", str(out)]) == 0
        assert "wrote 4 feedback events" in capsys.readouterr().out
        with_dismiss = tmp_path / "all.csv"
        assert main(["export-feedback", "--out", str(with_dismiss), "--include-dismiss"]) == 0
    finally:
        get_settings.cache_clear()

    loaded = load_interactions(out, products, settings.cf.event_weights)
    assert loaded.report.rows_kept == 4 and not loaded.report.dropped
    got = list(
        loaded.events[["user_id", "product_id", "interaction_type", "ts"]].itertuples(index=False)
    )
    expected = [(u, p, "click" if a == "clicked" else a, _epoch(t)) for u, p, a, t in sent[:4]]
    for (u, p, a, ts), (eu, ep, ea, ets) in zip(got, expected, strict=True):
        assert (u, p, a) == (eu, ep, ea)
        assert ts == pytest.approx(ets, abs=1e-3)
    with with_dismiss.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["interaction_type"] for r in rows][-1] == "dismiss"
    dropped = load_interactions(with_dismiss, products, settings.cf.event_weights).report.dropped
    assert dropped == {"unknown interaction_type": 1}


def test_export_feedback_quotes_cells_a_spreadsheet_would_run_as_formulas(
    small_built: tuple[Settings, redis.Redis], small_csvs: tuple[Path, Path], tmp_path: Path
) -> None:
    """Issue 15: `=HYPERLINK(...)` user ids went into the CSV as they came (formula injection)."""
    from indexing.feedback.feedback_export import export_feedback

    settings, client = small_built
    product = pd.read_csv(small_csvs[0], dtype=str)["product_id"].iloc[0]
    users = ['=HYPERLINK("http://evil.example","x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    with TestClient(create_app(settings)) as http:
        for user in [*users, "plain-user"]:
            body = {"user_id": user, "product_id": product, "action": "view"}
            assert http.post("/feedback", json=body).status_code == 200
    out = tmp_path / "feedback.csv"
    export_feedback(client, RedisLayout(settings.redis.key_prefix), out)
    with out.open(newline="", encoding="utf-8") as handle:
        written = [row["user_id"] for row in csv.DictReader(handle)]
    assert written == [f"'{user}" for user in users] + ["plain-user"]
