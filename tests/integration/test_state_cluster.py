"""User state on a real 3-node Redis Cluster (REDIS_STATE_URL, issue 20): the same redis-server
binary as the embedded Redis, `--cluster-enabled yes`, slots assigned and nodes joined by the
fixture. The catalog stays on the test Redis; histories, sets, windows, personal cache, A/B
marks, rate windows and the feedback stream go to the cluster, spread over its nodes by user."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import redis
from litestar.testing import TestClient
from redis.cluster import RedisCluster

from indexing.build.catalog_versions import live_version
from indexing.build.index_builder import build_index
from indexing.connection.embedded_cluster import EmbeddedCluster
from indexing.connection.redis_connection import is_cluster, sync_state_client
from indexing.contract.history_update import QueryRule
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.update.catalog_update import reindex
from service.api.app import create_app
from service.bench.served_metrics import sample
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def state_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    cluster = EmbeddedCluster.on_free_ports(tmp_path_factory.mktemp("cluster"))
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def on_cluster(
    redis_url: str, state_cluster: EmbeddedCluster, small_csvs: tuple[Path, Path]
) -> Iterator[tuple[Settings, redis.Redis, RedisCluster]]:
    """The small catalog on the test Redis, its user state on the cluster; no answer cache,
    so every answer is computed from the state as it is."""
    settings = make_settings(
        redis_url,
        catalog={"content_dims": 32},
        cf={"dims": 32},
        serving={"cache_ttl_s": 0},
    ).replace(redis={"state_url": state_cluster.url})
    catalog = redis.Redis.from_url(redis_url)
    build_index(catalog, settings, *small_csvs, quiet=True)
    state = RedisCluster.from_url(state_cluster.url)
    yield settings, catalog, state
    for key in state.scan_iter(match=f"{settings.redis.key_prefix}:*", count=1000):
        state.delete(key)
    catalog.close()
    state.close()


def _keys_per_node(state: RedisCluster, prefix: str) -> list[int]:
    return [
        sum(1 for _ in node.redis_connection.scan_iter(match=f"{prefix}:*", count=1000))
        for node in state.get_primaries()
    ]


def _ids(answer: dict) -> list[str]:
    return [item["product_id"] for item in answer["results"]]


def test_the_cluster_is_found_by_info_cluster(state_cluster: EmbeddedCluster, redis_url: str):
    assert is_cluster(state_cluster.url)
    assert not is_cluster(redis_url)


def test_a_build_writes_user_state_over_every_node_and_none_beside_the_catalog(on_cluster):
    settings, catalog, state = on_cluster
    prefix = settings.redis.key_prefix
    per_node = _keys_per_node(state, prefix)
    assert len(per_node) == 3 and all(n > 0 for n in per_node), per_node
    layout = RedisLayout(prefix)
    version = live_version(catalog, layout)
    assert version is not None
    history_pattern = layout.user_key(layout.history_scope(version), "*")
    assert not list(catalog.scan_iter(match=history_pattern, count=1000))
    assert list(state.scan_iter(match=history_pattern, count=1000))
    # The catalog stays where it was: the products and the index are not on the cluster.
    assert catalog.exists(layout.meta) and not state.exists(layout.meta)


def test_feedback_personalises_the_next_answer_and_a_dismissal_holds_at_once(on_cluster):
    settings, catalog, state = on_cluster
    layout = RedisLayout(settings.redis.key_prefix)
    user = f"new-{uuid.uuid4().hex[:8]}"
    with TestClient(app=create_app(settings)) as api:
        before = api.get(f"/recommend/user/{user}?top_k=10").json()
        liked = _ids(before)[3]
        for action in ("view", "add_to_cart", "purchase"):
            posted = api.post(
                "/feedback", json={"user_id": user, "product_id": liked, "action": action}
            )
            assert posted.status_code == 200, posted.text
            assert posted.json()["durable"] is True  # WAITAOF on the stream's node
        after = api.get(f"/recommend/user/{user}?top_k=10").json()
        assert liked not in _ids(after)  # bought: left out
        assert _ids(after) != _ids(before)  # CF around the purchase, not the popular list
        dismissed = _ids(after)[0]
        refused = api.post(
            "/feedback", json={"user_id": user, "product_id": dismissed, "action": "dismiss"}
        )
        assert refused.status_code == 200
        assert dismissed not in _ids(api.get(f"/recommend/user/{user}?top_k=10").json())
        hybrid = api.get(f"/recommend/hybrid?user_id={user}&top_k=10").json()
        assert dismissed not in _ids(hybrid) and liked not in _ids(hybrid)
    # Every key of the user shares the user's slot, on one node.
    version = live_version(catalog, layout)
    assert version is not None
    keys = [
        layout.history(version, user),
        layout.bought(version, user),
        layout.carted(version, user),
        layout.dismissed(user),
        layout.feedback_rate_user(user),
    ]
    assert all(state.exists(key) for key in keys)
    assert len({state.keyslot(key) for key in keys}) == 1
    assert state.xlen(layout.feedback_stream) == 4


def test_ab_marks_and_rate_windows_on_the_cluster(on_cluster):
    settings, _, state = on_cluster
    settings = settings.replace(abuse={"feedback_per_user": 2})
    layout = RedisLayout(settings.redis.key_prefix)
    experiment = settings.ab.experiment
    users = [f"ab-{i}-{uuid.uuid4().hex[:6]}" for i in range(12)]
    with TestClient(app=create_app(settings)) as api:
        for user in users:
            assert api.get(f"/recommend/ab?user_id={user}&top_k=3").status_code == 200
            api.get(f"/recommend/ab?user_id={user}&top_k=3")  # the same day: counted once
        product = api.get("/recommend/ab?user_id=" + users[0]).json()["results"][0]["product_id"]
        body = {"user_id": users[0], "product_id": product, "action": "click"}
        assert api.post("/feedback", json=body).status_code == 200
        assert api.post("/feedback", json=body).status_code == 200
        limited = api.post("/feedback", json=body)
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        report = api.get("/ab/report").json()
    counts = {v["variant"]: v for v in report["variants"]}
    assert sum(v["impressions"] for v in counts.values()) == len(users)
    assert sum(v["clicks"] for v in counts.values()) == 2
    marks = [layout.ab_user_variant(experiment, user) for user in users]
    assert all(state.exists(mark) for mark in marks)
    assert len({state.keyslot(mark) for mark in marks}) > 1  # not one hash in one slot
    assert state.zcard(layout.feedback_rate_user(users[0])) == 2


def test_metrics_move_with_traffic_on_the_cluster(on_cluster):
    settings, _, _ = on_cluster
    user = f"m-{uuid.uuid4().hex[:8]}"
    with TestClient(app=create_app(settings)) as api:
        first = api.get("/metrics").text
        product = api.get(f"/recommend/user/{user}?top_k=3").json()["results"][0]["product_id"]
        api.post("/feedback", json={"user_id": user, "product_id": product, "action": "click"})
        api.get(f"/recommend/user/{user}?top_k=3")
        second = api.get("/metrics").text
    feedback = "shoprec_feedback_events_total"
    assert sample(second, feedback, action="click") == sample(first, feedback, action="click") + 1
    requests = "shoprec_http_requests_total"
    assert sample(second, requests) >= sample(first, requests) + 3


def test_a_rebuild_folds_feedback_and_drops_the_old_state(on_cluster, small_csvs):
    settings, catalog, state = on_cluster
    layout = RedisLayout(settings.redis.key_prefix)
    old = live_version(catalog, layout)
    assert old is not None
    user = f"rb-{uuid.uuid4().hex[:8]}"
    with TestClient(app=create_app(settings)) as api:
        product = api.get(f"/recommend/user/{user}?top_k=3").json()["results"][0]["product_id"]
        api.post("/feedback", json={"user_id": user, "product_id": product, "action": "purchase"})
    summary = build_index(catalog, settings, *small_csvs, quiet=True)
    new = summary.meta.version
    assert new == old + 1
    # Folded into the build: the new version's history and bought set of the user hold it.
    assert state.zscore(layout.history(new, user), product) is not None
    assert state.sismember(layout.bought(new, user), product)
    # The old version's user state is gone from every node (grace 0 in tests).
    old_keys = list(state.scan_iter(match=f"{layout.version_prefix(old)}:*", count=1000))
    assert old_keys == []
    assert all(n > 0 for n in _keys_per_node(state, settings.redis.key_prefix))


def test_a_reindex_takes_removed_products_out_of_histories_on_the_cluster(
    on_cluster, small_csvs, tmp_path
):
    settings, catalog, state = on_cluster
    layout = RedisLayout(settings.redis.key_prefix)
    version = live_version(catalog, layout)
    assert version is not None
    # The product most often in histories, removed from the catalog.
    pattern = layout.user_key(layout.history_scope(version), "*")
    counts: dict[str, int] = {}
    for key in state.scan_iter(match=pattern, count=1000):
        for member in state.zrange(key, 0, -1):
            counts[member.decode()] = counts.get(member.decode(), 0) + 1
    removed = max(counts, key=lambda p: counts[p])
    products = pd.read_csv(small_csvs[0], dtype=str, keep_default_na=False)
    changed = tmp_path / "products.csv"
    products[products["product_id"] != removed].to_csv(changed, index=False)
    summary = reindex(catalog, settings, changed, quiet=True)
    assert summary.diff.removed == [removed]
    still = [k for k in state.scan_iter(match=pattern, count=1000) if state.zscore(k, removed)]
    assert still == []
    assert sync_state_client(settings, catalog) is not catalog


def test_health_asks_the_streams_node_for_durability(on_cluster):
    settings, _, _ = on_cluster
    with TestClient(app=create_app(settings)) as api:
        health = api.get("/health")
    assert health.status_code == 200
    assert health.json()["feedback_durability"] == "always"


def test_the_insight_reads_list_users_and_count_feedback_from_the_cluster(on_cluster):
    settings, _, state = on_cluster
    with TestClient(app=create_app(settings)) as api:
        users = api.get("/catalog/users?limit=5").json()["users"]
        assert len(users) == 5 and all("{" not in user for user in users)
        product = api.get(f"/recommend/user/{users[0]}?top_k=1").json()["results"][0]
        body = {"user_id": users[0], "product_id": product["product_id"], "action": "view"}
        assert api.post("/feedback", json=body).status_code == 200
        meta = api.get("/catalog/meta").json()
    layout = RedisLayout(settings.redis.key_prefix)
    assert meta["feedback_events"] == state.xlen(layout.feedback_stream) >= 1


def test_ingest_writes_histories_on_the_cluster_and_applies_each_event_once(
    on_cluster, postgres_url, small_csvs
):
    import psycopg

    from indexing.contract.catalog_meta import CatalogMeta
    from indexing.feedback.event_ingest import ingest_once
    from indexing.sources.postgres_url import parse_postgres_url

    settings, catalog, state = on_cluster
    layout = RedisLayout(settings.redis.key_prefix)
    meta = CatalogMeta.from_redis(catalog.hgetall(layout.meta))
    assert meta is not None
    products = pd.read_csv(small_csvs[0], dtype=str)["product_id"].tolist()[:2]
    with psycopg.connect(postgres_url) as conn:
        conn.execute("create table events (user_id text, product_id text, type text, ts float8)")
        for i, product in enumerate(products):
            conn.execute(
                "insert into events values (%s, %s, %s, %s)",
                ("db-user", product, "purchase", meta.history_epoch + 60.0 * (i + 1)),
            )
    source = parse_postgres_url(
        f"{postgres_url}?query=select user_id, product_id, type as interaction_type, "
        "to_timestamp(ts) as ts from events"
    )
    first = ingest_once(catalog, settings, source)
    again = ingest_once(catalog, settings, source)
    assert (first.applied, again.applied) == (2, 0)
    history = state.zrange(layout.history(meta.version, "db-user"), 0, -1)
    assert sorted(p.decode() for p in history) == sorted(products)
    assert not catalog.exists(layout.history(meta.version, "db-user"))
    assert catalog.exists(layout.ingest_applied(meta.version))  # the record stays beside it


def test_the_replay_after_a_switch_applies_the_streams_entries_on_the_cluster(
    on_cluster, small_csvs
):
    from indexing.contract.catalog_meta import CatalogMeta
    from indexing.feedback.feedback_replay import replay_feedback

    settings, catalog, state = on_cluster
    layout = RedisLayout(settings.redis.key_prefix)
    meta = CatalogMeta.from_redis(catalog.hgetall(layout.meta))
    assert meta is not None
    products = pd.read_csv(small_csvs[0], dtype=str)["product_id"].tolist()[:3]
    users = [f"rp-{i}-{uuid.uuid4().hex[:6]}" for i in range(3)]
    for user, product in zip(users, products, strict=True):
        # What a worker still on the replaced version wrote during the build.
        entry = {"user_id": user, "product_id": product, "action": "add_to_cart"}
        state.xadd(
            layout.feedback_stream, {**entry, "ts": f"{meta.history_epoch:.3f}", "version": "0"}
        )
    cf, abuse = settings.cf, settings.abuse
    replay = (cf.event_weights, QueryRule.of(settings), abuse.max_user_product_interest)
    applied, _ = replay_feedback(catalog, layout, meta, "0-0", *replay, state=state)
    assert applied == 3
    for user, product in zip(users, products, strict=True):
        assert state.zscore(layout.history(meta.version, user), product) is not None
        assert state.sismember(layout.carted(meta.version, user), product)
        # The stored query vector is rewritten beside them, from the catalog's vectors.
        assert state.get(layout.query_vector(meta.version, user)) is not None


def test_feedback_sink_and_export_read_the_stream_on_the_cluster(
    on_cluster, postgres_url, tmp_path
):
    from indexing.feedback.feedback_export import export_feedback
    from indexing.feedback.feedback_sink import drain

    settings, _, state = on_cluster
    layout = RedisLayout(settings.redis.key_prefix)
    user = f"sink-{uuid.uuid4().hex[:6]}"
    with TestClient(app=create_app(settings)) as api:
        product = api.get(f"/recommend/user/{user}?top_k=1").json()["results"][0]["product_id"]
        for action in ("view", "click"):
            body = {"user_id": user, "product_id": product, "action": action}
            assert api.post("/feedback", json=body).status_code == 200
    summary = drain(state, layout, postgres_url, "cluster_feedback", 100)
    assert (summary.read, summary.inserted) == (2, 2)
    assert drain(state, layout, postgres_url, "cluster_feedback", 100).read == 0
    exported = export_feedback(state, layout, tmp_path / "feedback.csv", False)
    assert exported.written == 2


SPLIT = 3  # SHOPREC_FEEDBACK_STREAMS in the test below


def test_a_split_feedback_stream_spreads_over_the_nodes_and_every_reader_reads_it_all(
    on_cluster, small_csvs, postgres_url, tmp_path
):
    """SHOPREC_FEEDBACK_STREAMS=3: each user's events go to one of three streams, the
    streams sit on more than one node, and the build's fold, the replay after a switch, the
    sink and the export each read all three."""
    from indexing.feedback.feedback_export import export_feedback
    from indexing.feedback.feedback_replay import replay_feedback
    from indexing.feedback.feedback_sink import drain

    base, catalog, state = on_cluster
    settings = base.replace(redis={"feedback_streams": SPLIT})
    layout = RedisLayout(settings.redis.key_prefix)
    streams = layout.feedback_streams(SPLIT)
    users = [f"split-{i}-{uuid.uuid4().hex[:6]}" for i in range(12)]
    with TestClient(app=create_app(settings)) as api:
        product = api.get(f"/recommend/user/{users[0]}?top_k=1").json()["results"][0]
        for user in users:
            body = {"user_id": user, "product_id": product["product_id"], "action": "purchase"}
            assert api.post("/feedback", json=body).status_code == 200
    for user in users:  # each user's event is in the user's own stream
        own = layout.feedback_stream_of(user, SPLIT)
        assert any(f[b"user_id"] == user.encode() for _, f in state.xrange(own))
    lengths = [state.xlen(name) for name in streams]
    assert sum(lengths) == len(users) and all(n > 0 for n in lengths)
    nodes = {state.get_node_from_key(name).name for name in streams}
    assert len(nodes) > 1

    summary = build_index(catalog, settings, *small_csvs, quiet=True)
    positions = summary.meta.feedback_stream_id.split(",")
    assert len(positions) == SPLIT and "0-0" not in positions
    for user in users:  # folded from every stream
        assert state.sismember(layout.bought(summary.meta.version, user), product["product_id"])

    # Written meanwhile by a worker still on the replaced version, into each user's stream.
    meta = summary.meta
    other = pd.read_csv(small_csvs[0], dtype=str)["product_id"].tolist()[1]
    for user in users:
        entry = {"user_id": user, "product_id": other, "action": "add_to_cart", "version": "0"}
        stream = layout.feedback_stream_of(user, SPLIT)
        state.xadd(stream, {**entry, "ts": f"{meta.history_epoch:.3f}"})
    cf, abuse = settings.cf, settings.abuse
    replay = (cf.event_weights, QueryRule.of(settings), abuse.max_user_product_interest)
    applied, reached = replay_feedback(
        catalog, layout, meta, meta.feedback_stream_id, *replay, state=state, streams=SPLIT
    )
    assert applied == len(users)
    assert all(state.sismember(layout.carted(meta.version, user), other) for user in users)
    assert reached.split(",") == [state.xrevrange(name, count=1)[0][0].decode() for name in streams]

    sunk = drain(state, layout, postgres_url, "split_feedback", 100, streams=SPLIT)
    assert (sunk.read, sunk.inserted) == (2 * len(users), 2 * len(users))
    exported = export_feedback(state, layout, tmp_path / "split.csv", False, SPLIT)
    assert exported.written == 2 * len(users)
