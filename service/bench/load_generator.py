"""A closed-loop HTTP/1.1 load generator on raw asyncio streams, bounded in time.

`concurrency` connections (keep-alive) each send one GET, wait for the whole answer, record
the latency and send the next, until the duration is over. Raw streams rather than an HTTP
client library, because on a 2-core machine the client shares the CPU with the server: a
client costing ~300 µs per request (httpx) would measure itself more than the service.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


class LoadError(RuntimeError):
    """The server answered something other than 200, or closed the connection."""


@dataclass
class LoadResult:
    concurrency: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        return float(np.percentile(np.asarray(self.latencies_ms), q))

    def summary(self) -> dict[str, float | int]:
        return {
            "concurrency": self.concurrency,
            "requests": self.requests,
            "errors": self.errors,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.percentile(50), 3),
            "p95_ms": round(self.percentile(95), 3),
            "p99_ms": round(self.percentile(99), 3),
        }


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
            break
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _connection(
    host: str,
    port: int,
    paths: itertools.cycle,
    deadline: float,
    result: LoadResult,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    prefix, suffix = b"GET ", f" HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    latencies = result.latencies_ms
    try:
        while time.perf_counter() < deadline:
            request = prefix + next(paths) + suffix
            started = time.perf_counter()
            writer.write(request)
            status, body = await _read_response(reader)
            elapsed = (time.perf_counter() - started) * 1000.0
            if status != 200:
                result.errors += 1
                if not result.first_error:
                    result.first_error = f"{status} {body[:200]!r}"
                continue
            latencies.append(elapsed)
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        result.errors += 1
        result.first_error = result.first_error or f"connection closed: {exc!r}"
    finally:
        writer.close()


async def run_load(
    host: str, port: int, paths: Sequence[str], concurrency: int, duration_s: float
) -> LoadResult:
    """Hammer `paths` (cycled, each connection starting at a different offset) for
    `duration_s` seconds with `concurrency` keep-alive connections."""
    if not paths:
        raise ValueError("no request paths to send")
    encoded = [p.encode() for p in paths]
    result = LoadResult(concurrency, duration_s)
    started = time.perf_counter()
    deadline = started + duration_s
    step = max(1, len(encoded) // concurrency)
    tasks = [
        _connection(
            host,
            port,
            itertools.cycle(
                encoded[(i * step) % len(encoded) :] + encoded[: (i * step) % len(encoded)]
            ),
            deadline,
            result,
        )
        for i in range(concurrency)
    ]
    await asyncio.gather(*tasks)
    result.seconds = time.perf_counter() - started
    return result


def load(
    host: str, port: int, paths: Sequence[str], concurrency: int, duration_s: float
) -> LoadResult:
    return asyncio.run(run_load(host, port, paths, concurrency, duration_s))
