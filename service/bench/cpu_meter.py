"""CPU time spent per request by the server, Redis and the load generator.

On a shared machine wall-clock latency says as much about the neighbours as about the
service; CPU seconds per request do not, and `cores / total CPU per request` bounds the
throughput the same code can reach on an idle machine.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import redis


def process_tree(pid: int) -> list[int]:
    """The pid and all its descendants (`shoprec serve` runs its workers as children)."""
    pids = [pid]
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            children = (task / "children").read_text().split()
            for child in children:
                pids += process_tree(int(child))
    except OSError:
        pass
    return pids


def _tree_cpu_s(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited
        ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _redis_cpu_s(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


@dataclass
class CpuSample:
    server_s: float
    redis_s: float
    client_s: float


class CpuMeter:
    """Samples before and after a cell; `per_request` turns the difference into ms/request.
    Server CPU is read from /proc (Linux); elsewhere it reads as 0."""

    def __init__(self, server_pid: int, client: redis.Redis):
        self._server_pid, self._client = server_pid, client
        self._pids: list[int] = []

    def sample(self) -> CpuSample:
        self._pids = self._pids or process_tree(self._server_pid)
        return CpuSample(_tree_cpu_s(self._pids), _redis_cpu_s(self._client), time.process_time())

    @staticmethod
    def per_request(before: CpuSample, after: CpuSample, requests: int) -> dict[str, float]:
        n = max(requests, 1)
        server = (after.server_s - before.server_s) * 1000 / n
        redis_ms = (after.redis_s - before.redis_s) * 1000 / n
        client = (after.client_s - before.client_s) * 1000 / n
        return {
            "server_cpu_ms_per_req": round(server, 3),
            "redis_cpu_ms_per_req": round(redis_ms, 3),
            "client_cpu_ms_per_req": round(client, 3),
        }
