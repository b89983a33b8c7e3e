"""The stored CF query vector (RedisLayout.query_vector) is what a request would compute from
the user's history and dismissals: the build writes it, every history update rewrites it (the
shared rule of indexing/contract/history_update.py), and answering from it gives the same
lists as computing it per request."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
import redis
from litestar.testing import TestClient

import service.store.user_state as user_state
from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.history_update import (
    WINDOW_HALF_LIVES,
    QueryRefresh,
    QueryRule,
    execute_with_refresh,
    queue_history_update,
)
from indexing.contract.index_schema import CF_FIELD, CF_QUERY_FIELD
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.contract.tuned_params import served_settings
from service.recommend.base import RecommendRequest
from tests.integration.api.conftest import (  # noqa: F401  (fixtures)
    api,
    api_settings,
    cache_prefix,
    fresh_user,
    ids,
    live_version,
)
from tests.integration.api.test_feedback import GARDEN, _send
from tests.support.recommenders import recommend

PRODUCT = "P000001"
SAMPLE_USERS = 40


@dataclasses.dataclass(frozen=True)
class Event:
    user_id: str
    product_id: str
    action: str
    ts: float


def _live(settings: Settings, client: redis.Redis) -> tuple[RedisLayout, CatalogMeta, QueryRule]:
    layout = RedisLayout(settings.redis.key_prefix)
    meta = CatalogMeta.from_redis(client.hgetall(layout.meta))  # type: ignore[arg-type]
    assert meta is not None
    return layout, meta, QueryRule.of(served_settings(settings, meta.params))


def _computed(
    client: redis.Redis, layout: RedisLayout, version: int, user: str, rule: QueryRule
) -> np.ndarray | None:
    """The query as a request computes it, from what Redis holds now."""
    history = [
        (p.decode(), float(s))
        for p, s in client.zrevrange(
            layout.history(version, user), 0, rule.history_items - 1, withscores=True
        )
    ]
    dismissed = {p.decode() for p in client.smembers(layout.dismissed(user))}  # type: ignore[union-attr]
    vectors = {}
    for pid in [p for p, _ in history] + sorted(dismissed):
        raw = client.hget(layout.product(version, pid), CF_QUERY_FIELD)
        if raw:
            vectors[pid] = np.frombuffer(raw, dtype=np.float32)  # type: ignore[arg-type]
    return rule.query(history, vectors, dismissed)


def _stored(
    client: redis.Redis, layout: RedisLayout, version: int, user: str, rule: QueryRule
) -> Any:
    raw = client.get(layout.query_vector(version, user))
    if raw:
        assert rule.decode(raw) is not None, "the vector was made under another rule"  # type: ignore[arg-type]
    return rule.decode(raw)  # type: ignore[arg-type]


def _sample_users(client: redis.Redis, layout: RedisLayout, version: int) -> list[str]:
    scope = layout.history_scope(version)
    found = client.scan_iter(match=layout.user_key(scope, "U*"), count=1000)
    users = sorted(layout.user_of(k.decode(), scope) or "" for k in found)
    return users[:: max(1, len(users) // SAMPLE_USERS)][:SAMPLE_USERS]


def test_the_build_stores_what_a_request_computes(
    demo_index: Settings, redis_client: redis.Redis
) -> None:
    layout, meta, rule = _live(demo_index, redis_client)
    users = _sample_users(redis_client, layout, meta.version)
    assert len(users) == SAMPLE_USERS
    for user in users:
        stored = _stored(redis_client, layout, meta.version, user, rule)
        computed = _computed(redis_client, layout, meta.version, user, rule)
        assert stored is not None and computed is not None, user
        np.testing.assert_array_equal(stored, computed)  # the same arithmetic, bit for bit
    # A service under another rule (here another dismissal weight) ignores it: it computes.
    other = dataclasses.replace(rule, dismiss_weight=rule.dismiss_weight + 1)
    raw = redis_client.get(layout.query_vector(meta.version, users[0]))
    assert other.decode(raw) is None  # type: ignore[arg-type]


def test_answers_from_the_stored_vector_equal_the_computed_ones(
    demo_index: Settings, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout, meta, _ = _live(demo_index, redis_client)
    users = _sample_users(redis_client, layout, meta.version)
    cases = [
        ("cf", [RecommendRequest(20, user) for user in users]),
        ("hybrid", [RecommendRequest(20, user) for user in users]),
        ("hybrid", [RecommendRequest(20, user, PRODUCT) for user in users]),
    ]
    stored = [recommend(demo_index, name, *requests) for name, requests in cases]
    # Without the stored vector (an old version, a user whose vector was never written):
    # the service computes the query from the history's vectors.
    parse = user_state._state
    monkeypatch.setattr(user_state, "_state", lambda *r: dataclasses.replace(parse(*r), query=None))
    computed = [recommend(demo_index, name, *requests) for name, requests in cases]
    for (name, _), ours, theirs in zip(cases, stored, computed, strict=True):
        for user, a, b in zip(users, ours, theirs, strict=True):
            assert [s.product_id for s in a] == [s.product_id for s in b], (name, user)
            assert a, (name, user)


def test_every_history_update_rewrites_it(
    demo_index: Settings,
    redis_client: redis.Redis,
    fresh_user: str,  # noqa: F811
) -> None:
    """Events through the shared rule (as replay and ingest apply them), in later decay
    windows (which rescale the history) and with a dismissal, under the log1p weighting that
    a rescale does change: after each, the stored vector is the computed one."""
    layout, meta, served = _live(demo_index, redis_client)
    rule = dataclasses.replace(served, weighting="log1p", history_items=3)
    weights = demo_index.cf.event_weights.as_dict()
    span = WINDOW_HALF_LIVES * meta.half_life_days * 86400.0
    events = [
        Event(fresh_user, "P000001", "view", meta.history_epoch),
        Event(fresh_user, "P000002", "purchase", meta.history_epoch + 10.0),
        Event(fresh_user, "P000003", "click", meta.history_epoch + span + 1.0),
        Event(fresh_user, "P000125", "add_to_cart", meta.history_epoch + 3 * span),
        Event(fresh_user, "P004389", "view", meta.history_epoch + 3 * span + 5.0),
        Event(fresh_user, "P000003", "dismiss", meta.history_epoch + 3 * span + 9.0),
    ]
    for event in events:
        pipe = redis_client.pipeline(transaction=True)
        queue_history_update(pipe, layout, meta, event, weights, rule.history_items, 0.0)
        refresh = QueryRefresh(layout, meta.version, rule)
        execute_with_refresh(redis_client, redis_client, pipe, refresh, [fresh_user])
        stored = _stored(redis_client, layout, meta.version, fresh_user, rule)
        computed = _computed(redis_client, layout, meta.version, fresh_user, rule)
        assert stored is not None and computed is not None, event
        np.testing.assert_allclose(stored, computed, rtol=1e-6, atol=1e-7)
    assert redis_client.get(layout.history_window(meta.version, fresh_user)) == b"3"


def test_a_stale_refresh_writes_nothing(
    demo_index: Settings,
    redis_client: redis.Redis,
    fresh_user: str,  # noqa: F811
) -> None:
    """Two events of one user: the refresh that read the state before the later event must
    not overwrite the vector of the state after it."""
    layout, meta, rule = _live(demo_index, redis_client)
    weights = demo_index.cf.event_weights.as_dict()
    first = Event(fresh_user, "P000001", "view", meta.history_epoch)
    pipe = redis_client.pipeline(transaction=True)
    queue_history_update(pipe, layout, meta, first, weights, rule.history_items, 0.0)
    slow = QueryRefresh(layout, meta.version, rule)
    slow.queue_reads(pipe, [fresh_user])
    reads = redis_client.pipeline(transaction=False)
    slow.queue_vector_reads(pipe.execute(), reads)
    stale_vectors = reads.execute()
    second = Event(fresh_user, "P000002", "purchase", meta.history_epoch + 1.0)
    pipe = redis_client.pipeline(transaction=True)
    queue_history_update(pipe, layout, meta, second, weights, rule.history_items, 0.0)
    refresh = QueryRefresh(layout, meta.version, rule)
    execute_with_refresh(redis_client, redis_client, pipe, refresh, [fresh_user])
    fresh = _stored(redis_client, layout, meta.version, fresh_user, rule)
    assert fresh is not None
    writes = redis_client.pipeline(transaction=False)
    slow.queue_writes(stale_vectors, writes)
    assert writes.execute() == [0]
    np.testing.assert_array_equal(
        _stored(redis_client, layout, meta.version, fresh_user, rule), fresh
    )


def test_a_dismissal_pushes_its_cf_neighbours_down(
    api: TestClient,  # noqa: F811
    fresh_user: str,  # noqa: F811
    demo_index: Settings,
    redis_client: redis.Redis,
) -> None:
    """Over HTTP (the live feedback path): after a dismissal of X the next answer leaves X
    out and ranks the products most like X (in CF space) lower than before. Without the push
    they would each move up one place, into X's."""
    layout, meta, rule = _live(demo_index, redis_client)
    for product in GARDEN:
        _send(api, fresh_user, product, "click")
    url = f"/recommend/user/{fresh_user}?top_k=50"
    before = ids(api.get(url).json())
    dismissed = before[0]
    x = np.frombuffer(
        redis_client.hget(layout.product(meta.version, dismissed), CF_QUERY_FIELD),  # type: ignore[arg-type]
        dtype=np.float32,
    )

    def likeness(pid: str) -> float:
        raw = redis_client.hget(layout.product(meta.version, pid), CF_FIELD)
        return float(x @ np.frombuffer(raw, dtype=np.float32))  # type: ignore[arg-type]

    similar = sorted(before[1:], key=likeness, reverse=True)[:5]
    _send(api, fresh_user, dismissed, "dismiss")
    stored = _stored(redis_client, layout, meta.version, fresh_user, rule)
    computed = _computed(redis_client, layout, meta.version, fresh_user, rule)
    assert stored is not None and computed is not None
    np.testing.assert_allclose(stored, computed, rtol=1e-6, atol=1e-7)
    after = ids(api.get(url).json())
    assert dismissed not in after

    def rank(listed: list[str], pid: str) -> int:
        return listed.index(pid) if pid in listed else len(listed)

    moved = [rank(after, p) - rank(before, p) for p in similar]
    assert sum(moved) > 0, (similar, moved)
