"""When replaced catalog versions leave Redis.

A full build publishes its version and marks the one it replaced as retired (in the same
MULTI as the alias swap, see catalog_versions.publish). Service workers re-read the live version
every second, so a retired version is kept for a grace period (settings.index.retire_grace_s) and
dropped after it, by the build that retired it (which waits) or by the next build or reindex.

A version that is neither live nor retired, seen while we hold the build lock, is what a killed
build left behind: nothing can be writing it, so it goes at once.
"""

from __future__ import annotations

import time

import redis

from indexing.build.catalog_versions import drop_version, live_version, versions_present
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.redis_text import as_text


def retired_versions(client: redis.Redis, layout: RedisLayout) -> dict[int, float]:
    """Version -> epoch seconds at which it stopped being live."""
    raw = client.hgetall(layout.retired_versions)
    return {int(k): float(v) for k, v in raw.items()}


def drop_expired(
    client: redis.Redis,
    layout: RedisLayout,
    grace_s: float,
    now: float | None = None,
    state: redis.Redis | None = None,
) -> list[int]:
    """Drop retired versions whose grace period is over; never the live one."""
    now = time.time() if now is None else now
    live = live_version(client, layout)
    dropped = []
    for version, retired_at in sorted(retired_versions(client, layout).items()):
        if version == live:  # re-published meanwhile (cannot happen today; be safe)
            client.hdel(layout.retired_versions, version)
        elif now - retired_at >= grace_s:
            drop_version(client, layout, version, state)
            client.hdel(layout.retired_versions, version)
            dropped.append(version)
    return dropped


def drop_leftovers(
    client: redis.Redis, layout: RedisLayout, state: redis.Redis | None = None
) -> list[int]:
    """Drop versions neither live nor retired (a killed build's), their user state too. Call
    only under the lock."""
    live = live_version(client, layout)
    keep = set(retired_versions(client, layout)) | ({live} if live is not None else set())
    found = set(versions_present(client, layout)) | versions_with_keys(client, layout)
    if state is not None and state is not client:
        found |= versions_with_keys(state, layout)
    dropped = sorted(found - keep)
    for version in dropped:
        drop_version(client, layout, version, state)
    return dropped


def versions_with_keys(client: redis.Redis, layout: RedisLayout) -> set[int]:
    """Versions that still own keys (an index can be gone while its keys are not)."""
    found: set[int] = set()
    for raw in client.scan_iter(match=layout.versioned_pattern, count=5000):
        version = layout.version_of(as_text(raw))
        if version is not None:
            found.add(version)
    return found


def seconds_until_expired(client: redis.Redis, layout: RedisLayout, grace_s: float) -> float:
    """How long until every retired version may be dropped (0 when none is waiting)."""
    now = time.time()
    waits = [retired_at + grace_s - now for retired_at in retired_versions(client, layout).values()]
    return max([0.0, *waits])
