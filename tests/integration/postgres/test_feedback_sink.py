"""`shoprec feedback-sink` (issue 21): the feedback stream moved into a PostgreSQL table,
acknowledged only after the commit; a sink killed between its insert and its XACK, and a
Redis killed after that, leave every event in the table exactly once."""

from __future__ import annotations

import psycopg
import pytest
import redis
from litestar.testing import TestClient

import indexing.feedback.feedback_sink as feedback_sink
from indexing.connection.embedded_redis import EmbeddedRedis
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.feedback.feedback_sink import drain
from service.api.app import create_app
from service.bench.served_metrics import sample
from service.cli import main as cli
from tests.conftest import make_settings

TABLE = "shoprec_feedback"


def _add(client: redis.Redis, layout: RedisLayout, count: int, start: int = 0) -> None:
    """Stream entries as POST /feedback writes them (service.feedback.feedback_recorder)."""
    for i in range(start, start + count):
        action = ("view", "click", "purchase", "dismiss")[i % 4]
        fields = {"user_id": f"u{i % 5}", "product_id": f"P{i}", "action": action,
                  "ts": f"{1767225600 + i}.250", "version": "1"}  # fmt: skip
        client.xadd(layout.feedback_stream, fields)  # type: ignore[arg-type]


def _table(url: str) -> tuple[int, int, list[str]]:
    """(rows, distinct stream ids, the stream ids in order)."""
    with psycopg.connect(url) as conn:
        rows, distinct = conn.execute(
            f"select count(*), count(distinct stream_id) from {TABLE}"
        ).fetchone()
        ids = [r[0] for r in conn.execute(f"select stream_id from {TABLE} order by ts")]
    return rows, distinct, ids


def _stream_ids(client: redis.Redis, layout: RedisLayout) -> list[str]:
    return [i.decode() for i, _ in client.xrange(layout.feedback_stream)]


def _pending(client: redis.Redis, layout: RedisLayout) -> int:
    return int(client.xpending(layout.feedback_stream, layout.feedback_sink_group)["pending"])


def test_the_stream_lands_in_the_table_with_its_fields(
    redis_client: redis.Redis, postgres_url: str
) -> None:
    layout = RedisLayout(make_settings("redis://unused").redis.key_prefix)
    _add(redis_client, layout, 7)
    redis_client.xadd(layout.feedback_stream, {"not": "the service's"})
    summary = drain(redis_client, layout, postgres_url, TABLE, batch_size=3)
    assert (summary.read, summary.inserted, summary.unreadable) == (8, 7, 1)
    assert _pending(redis_client, layout) == 0
    with psycopg.connect(postgres_url) as conn:
        first = conn.execute(
            f"select user_id, product_id, interaction_type, extract(epoch from ts), "
            f"catalog_version from {TABLE} order by ts limit 1"
        ).fetchone()
    assert first[:3] == ("u0", "P0", "view") and float(first[3]) == 1767225600.25
    assert first[4] == 1
    again = drain(redis_client, layout, postgres_url, TABLE, batch_size=3)
    assert again.read == 0 and _table(postgres_url)[0] == 7


def test_a_kill_between_commit_and_ack_and_of_redis_loses_and_doubles_nothing(
    own_redis: EmbeddedRedis, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = RedisLayout("sinktest")
    client = redis.Redis.from_url(own_redis.url)
    _add(client, layout, 25)
    real_ack, acks = feedback_sink.acknowledge, []

    def killed_on_second_ack(*args: object) -> None:
        acks.append(args)
        if len(acks) == 2:  # batch 2 is committed in PostgreSQL, never acknowledged
            raise KeyboardInterrupt
        real_ack(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(feedback_sink, "acknowledge", killed_on_second_ack)
    with pytest.raises(KeyboardInterrupt):
        drain(client, layout, postgres_url, TABLE, batch_size=10)
    monkeypatch.setattr(feedback_sink, "acknowledge", real_ack)
    assert _table(postgres_url)[0] == 20 and _pending(client, layout) == 10

    # Redis dies too (SIGKILL; its append-only file has the stream, the group, the pending
    # list), more feedback arrives after its restart, and the sink is started again.
    client.close()
    own_redis.kill()
    own_redis.start()
    client = redis.Redis.from_url(own_redis.url)
    _add(client, layout, 5, start=25)
    resumed = drain(client, layout, postgres_url, TABLE, batch_size=10)
    assert resumed.read == 10 + 5 + 5 and resumed.inserted == 10
    rows, distinct, ids = _table(postgres_url)
    assert rows == distinct == 30
    assert ids == _stream_ids(client, layout)
    assert _pending(client, layout) == 0
    client.close()


def test_sink_command(
    redis_url: str,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = make_settings(redis_url)
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    with redis.Redis.from_url(redis_url) as client:
        _add(client, RedisLayout(settings.redis.key_prefix), 4)
    assert cli.main(["feedback-sink", "--database", postgres_url, "--table", "fb"]) == 0
    assert "4 inserted" in capsys.readouterr().out
    assert cli.main(["feedback-sink"]) == 2
    assert "needs --database" in capsys.readouterr().err
    dead = "postgresql://shop:secret@127.0.0.1:1/shop"
    assert cli.main(["feedback-sink", "--database", dead]) == 2
    err = capsys.readouterr().err.strip()
    assert "cannot connect to PostgreSQL" in err and "secret" not in err
    assert len(err.splitlines()) == 1


def test_a_pending_entry_trimmed_from_the_stream_does_not_stall_the_sink(
    redis_client: redis.Redis, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = RedisLayout(make_settings("redis://unused").redis.key_prefix)
    _add(redis_client, layout, 6)

    def killed(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(feedback_sink, "acknowledge", killed)
    with pytest.raises(KeyboardInterrupt):
        drain(redis_client, layout, postgres_url, TABLE, batch_size=3)
    monkeypatch.undo()
    redis_client.xdel(layout.feedback_stream, _stream_ids(redis_client, layout)[0])
    resumed = drain(redis_client, layout, postgres_url, TABLE, batch_size=3)
    assert resumed.unreadable == 1 and _pending(redis_client, layout) == 0
    assert _table(postgres_url)[0] == 6  # the trimmed one was committed before the kill


def test_metrics_report_the_sink_backlog(
    small_built: tuple[Settings, redis.Redis], postgres_url: str
) -> None:
    settings, client = small_built
    layout = RedisLayout(settings.redis.key_prefix)
    with TestClient(create_app(settings)) as api:
        _add(client, layout, 5)
        drain(client, layout, postgres_url, TABLE, batch_size=10)
        _add(client, layout, 3, start=5)
        text = api.get("/metrics").text
        assert sample(text, "shoprec_feedback_sink_backlog") == 3
        drain(client, layout, postgres_url, TABLE, batch_size=10)
        assert sample(api.get("/metrics").text, "shoprec_feedback_sink_backlog") == 0
