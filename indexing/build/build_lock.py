"""One writer at a time: the build lock that `shoprec index` and `shoprec reindex` hold.

A Redis key set with SET NX EX. The holder refreshes the expiry from a background thread while
it works and deletes the key when done (only if it still holds it, checked atomically in Lua),
so a killed build blocks the next one for at most `ttl_s` seconds.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis

from indexing.contract.redis_layout import RedisLayout

# Extend / delete the lock only while its value is still ours. A lock that is gone without
# being taken by another job was evicted (a Redis at its maxmemory evicts keys with a TTL,
# volatile-lru; see docs/security.md): the refresh takes it back.
_REFRESH = """
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then
  return redis.call('EXPIRE', KEYS[1], ARGV[2])
end
if not held then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class BuildInProgress(RuntimeError):
    """Another build or reindex holds the lock; the message says who and for how long."""


def _holder_text(job: str) -> str:
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return f"{job} pid {os.getpid()} on {socket.gethostname()} since {started} [{uuid.uuid4().hex}]"


@contextmanager
def build_lock(client: redis.Redis, layout: RedisLayout, job: str, ttl_s: int) -> Iterator[None]:
    """Hold the build lock for the duration of the block, or raise BuildInProgress."""
    key, value = layout.build_lock, _holder_text(job)
    ttl_s = max(1, int(ttl_s))
    if not client.set(key, value, nx=True, ex=ttl_s):
        holder: Any = client.get(key)
        left = client.ttl(key)
        who = holder.decode(errors="replace").split(" [")[0] if holder else "another job"
        raise BuildInProgress(
            f"another build is running ({who}); refusing to start a second one. "
            f"The lock {key} expires in {max(int(left), 0)} s if its holder died."
        )
    stop = threading.Event()
    refresher = threading.Thread(
        target=_keep_alive, args=(client, key, value, ttl_s, stop), daemon=True
    )
    refresher.start()
    try:
        yield
    finally:
        stop.set()
        refresher.join(timeout=5)
        client.eval(_RELEASE, 1, key, value)


def _keep_alive(
    client: redis.Redis, key: str, value: str, ttl_s: int, stop: threading.Event
) -> None:
    while not stop.wait(ttl_s / 3):
        try:
            client.eval(_REFRESH, 1, key, value, ttl_s)
        except redis.RedisError:
            pass  # try again next round; the lock outlives a few failed refreshes
