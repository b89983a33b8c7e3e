"""`shoprec ingest` (issue 21): events newer than the mark change live histories exactly as
the same POST /feedback would, once; a crash between applying a batch and saving the mark
counts nothing twice; a rebuild moves ingest on to the new version."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import psycopg
import pytest
import redis
from litestar.testing import TestClient

import indexing.feedback.event_ingest as event_ingest
from indexing.build.index_builder import build_index
from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.feedback.event_ingest import IngestSummary, ingest_once, read_mark
from indexing.sources.postgres_url import parse_postgres_url
from service.api.app import create_app
from service.bench.served_metrics import sample
from service.cli import main as cli
from tests.conftest import make_settings

EVENTS_TABLE = (
    "create table events (id serial, user_id text, product_id text, type text, ts timestamptz)"
)
QUERY = "select user_id, product_id, type as interaction_type, ts from events"


def _meta(client: redis.Redis, settings: Settings) -> CatalogMeta:
    meta = CatalogMeta.from_redis(client.hgetall(RedisLayout(settings.redis.key_prefix).meta))
    assert meta is not None
    return meta


def _products(small_csvs: tuple[Path, Path]) -> list[str]:
    return pd.read_csv(small_csvs[0], dtype=str)["product_id"].tolist()


def _insert(url: str, rows: list[tuple[str, str, str, float]]) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(EVENTS_TABLE.replace("create table", "create table if not exists"))
        with conn.cursor() as cursor:
            cursor.executemany(
                "insert into events (user_id, product_id, type, ts) values (%s, %s, %s, %s)",
                [(u, p, t, datetime.fromtimestamp(ts, tz=UTC)) for u, p, t, ts in rows],
            )


def _history(client: redis.Redis, settings: Settings, user: str) -> dict[str, float]:
    key = RedisLayout(settings.redis.key_prefix).history(_meta(client, settings).version, user)
    return {k.decode(): v for k, v in client.zrange(key, 0, -1, withscores=True)}


def _ingest(client: redis.Redis, settings: Settings, url: str) -> IngestSummary:
    return ingest_once(client, settings, parse_postgres_url(f"{url}?query={QUERY}"))


def test_ingested_events_change_histories_as_post_feedback_does_and_only_once(
    small_built: tuple[Settings, redis.Redis], postgres_url: str, small_csvs: tuple[Path, Path]
) -> None:
    settings, client = small_built
    products = _products(small_csvs)
    epoch = _meta(client, settings).history_epoch
    events = [("purchase", epoch + 3600.0), ("view", epoch + 7200.0), ("Add to cart", epoch + 60)]
    _insert(postgres_url, [("db-user", products[i], t, ts) for i, (t, ts) in enumerate(events)])
    _insert(postgres_url, [("db-user", products[9], "view", epoch - 60.0)])  # in the build
    _insert(postgres_url, [("db-user", "NO-SUCH", "view", epoch + 1.0)])
    with TestClient(create_app(settings)) as http:
        for i, (action, ts) in enumerate(events):
            body = {"user_id": "api-user", "product_id": products[i], "action": action, "ts": ts}
            assert http.post("/feedback", json=body).status_code == 200

    first = _ingest(client, settings, postgres_url)
    assert (first.rows, first.applied, first.already_applied) == (4, 3, 0)
    assert first.skipped == {event_ingest.UNKNOWN_PRODUCT: 1}
    assert _history(client, settings, "db-user") == _history(client, settings, "api-user")
    assert len(_history(client, settings, "db-user")) == 3
    layout = RedisLayout(settings.redis.key_prefix)
    version = _meta(client, settings).version
    assert client.sismember(layout.bought(version, "db-user"), products[0])
    mark = read_mark(client, layout)
    assert mark is not None and mark.ts == pytest.approx(epoch + 7200.0)
    with TestClient(create_app(settings)) as http:
        text = http.get("/metrics").text
    assert sample(text, "shoprec_ingest_mark_timestamp_seconds") == pytest.approx(mark.ts)

    again = _ingest(client, settings, postgres_url)
    assert again.applied == 0 and again.already_applied == 1  # the event at the mark, re-read
    assert _history(client, settings, "db-user") == _history(client, settings, "api-user")

    _insert(postgres_url, [("db-user", products[5], "click", epoch + 9000.0)])
    later = _ingest(client, settings, postgres_url)
    assert later.applied == 1 and products[5] in _history(client, settings, "db-user")


def test_a_crash_between_apply_and_mark_counts_nothing_twice(
    small_built: tuple[Settings, redis.Redis],
    postgres_url: str,
    small_csvs: tuple[Path, Path],
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, client = small_built
    settings = settings.replace(postgres={"batch_size": 4})
    products = _products(small_csvs)
    epoch = _meta(client, settings).history_epoch
    rows = [(f"u{i % 3}", products[i % 7], "view", epoch + 10.0 * i) for i in range(1, 11)]
    rows.append(("u0", products[0], "view", epoch + 100.0))  # the time of the row before it
    _insert(postgres_url, rows)
    reference = make_settings(redis_url, catalog={"content_dims": 32}, cf={"dims": 32})
    build_index(client, reference, *small_csvs, quiet=True)
    clean = ingest_once(client, reference.replace(postgres={"batch_size": 4}),
                        parse_postgres_url(f"{postgres_url}?query={QUERY}"))  # fmt: skip
    assert clean.applied == 11

    real_save, saves = event_ingest.save_mark, []

    def crash_on_second_save(*args: object) -> None:
        saves.append(args)
        if len(saves) == 2:  # batch 2 is applied, its mark never saved: the process dies here
            raise KeyboardInterrupt
        real_save(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(event_ingest, "save_mark", crash_on_second_save)
    with pytest.raises(KeyboardInterrupt):
        _ingest(client, settings, postgres_url)
    monkeypatch.setattr(event_ingest, "save_mark", real_save)

    resumed = _ingest(client, settings, postgres_url)
    assert resumed.already_applied == 4 + 1  # batch 2, and the last event of batch 1 (the mark)
    assert resumed.applied == 11 - 8
    for user in ("u0", "u1", "u2"):
        assert _history(client, settings, user) == _history(client, reference, user)


def test_after_a_rebuild_ingest_goes_on_in_the_new_version(
    small_built: tuple[Settings, redis.Redis], postgres_url: str, small_csvs: tuple[Path, Path]
) -> None:
    settings, client = small_built
    products = _products(small_csvs)
    epoch = _meta(client, settings).history_epoch
    _insert(postgres_url, [("db-user", products[1], "view", epoch + 50.0)])
    assert _ingest(client, settings, postgres_url).applied == 1
    build_index(client, settings, *small_csvs, quiet=True, wait_for_grace=False)
    # The new build read the CSV, not the table: from its newest event on, ingest applies
    # the table's events to the new version.
    moved = _ingest(client, settings, postgres_url)
    assert moved.version == 2 and moved.applied == 1
    assert products[1] in _history(client, settings, "db-user")


def test_ingest_command_messages(
    small_built: tuple[Settings, redis.Redis],
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings, _ = small_built
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    _insert(postgres_url, [])
    assert cli.main(["ingest", "-q", "--source", f"{postgres_url}?query={QUERY}"]) == 0
    assert "0 applied" in capsys.readouterr().out
    assert cli.main(["ingest"]) == 2
    assert "ingest needs --source" in capsys.readouterr().err
    assert cli.main(["ingest", "--source", f"{postgres_url}?table=events"]) == 2
    err = capsys.readouterr().err.strip()
    assert "missing required column 'interaction_type'" in err and len(err.splitlines()) == 1
    with psycopg.connect(postgres_url) as conn:
        conn.execute("create table text_events as select user_id, product_id, type as "
                     "interaction_type, ts::text as ts from events")  # fmt: skip
    assert cli.main(["ingest", "--source", f"{postgres_url}?table=text_events"]) == 2
    assert "cast it in a query" in capsys.readouterr().err
