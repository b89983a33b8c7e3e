"""A closed-loop HTTP/1.1 load generator on raw asyncio streams, bounded in time.

`concurrency` connections (keep-alive) each send one request (a GET, or a POST with a JSON
body), wait for the whole answer, record the latency and send the next, until the duration is
over. `shoprec bench` sends GETs of one endpoint; `make soak` a mix of endpoints and feedback.
Raw streams rather than an HTTP client library, because on a 2-core machine the client
shares the CPU with the server: a client costing ~300 µs per request (httpx) would
measure itself more than the service.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Request:
    path: str
    kind: str = ""  # what the latencies are grouped by (`LoadResult.by_kind`)
    body: bytes | None = None  # a JSON body makes it a POST

    def encode(self, host: str, port: int) -> bytes:
        head = f"{'POST' if self.body is not None else 'GET'} {self.path} HTTP/1.1\r\n"
        head += f"Host: {host}:{port}\r\n"
        if self.body is None:
            return (head + "\r\n").encode()
        head += f"Content-Type: application/json\r\nContent-Length: {len(self.body)}\r\n\r\n"
        return head.encode() + self.body


@dataclass
class LoadResult:
    concurrency: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)  # of the 200 answers
    errors: int = 0  # answers other than 200, and closed connections
    first_error: str = ""
    statuses: Counter[int | str] = field(default_factory=Counter)
    by_kind: dict[str, list[float]] = field(default_factory=dict)  # 200 latencies by kind

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, q: float, kind: str | None = None) -> float:
        """The q-th percentile (0..100) of the 200 answers' latencies, of one kind or all."""
        values = self.latencies_ms if kind is None else self.by_kind.get(kind, [])
        if not values:
            return float("nan")
        return float(np.percentile(np.asarray(values), q))

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
    requests: itertools.cycle[tuple[str, bytes]],
    deadline: float,
    result: LoadResult,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    latencies = result.latencies_ms
    try:
        while time.perf_counter() < deadline:
            kind, request = next(requests)
            started = time.perf_counter()
            writer.write(request)
            status, body = await _read_response(reader)
            elapsed = (time.perf_counter() - started) * 1000.0
            result.statuses[status] += 1
            if status != 200:
                result.errors += 1
                if not result.first_error:
                    result.first_error = f"{status} {body[:200]!r}"
                continue
            latencies.append(elapsed)
            if kind:
                result.by_kind.setdefault(kind, []).append(elapsed)
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        result.errors += 1
        result.statuses["connection closed"] += 1
        result.first_error = result.first_error or f"connection closed: {exc!r}"
    finally:
        writer.close()


async def run_load(
    host: str, port: int, requests: Sequence[str | Request], concurrency: int, duration_s: float
) -> LoadResult:
    """Hammer `requests` (cycled, each connection starting at a different offset; a plain
    string is a GET of that path) for `duration_s` seconds with `concurrency` keep-alive
    connections."""
    if not requests:
        raise ValueError("no requests to send")
    encoded = [
        (r.kind, r.encode(host, port)) if isinstance(r, Request) else ("", _get(r, host, port))
        for r in requests
    ]
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


def _get(path: str, host: str, port: int) -> bytes:
    return Request(path).encode(host, port)


def load(
    host: str, port: int, requests: Sequence[str | Request], concurrency: int, duration_s: float
) -> LoadResult:
    return asyncio.run(run_load(host, port, requests, concurrency, duration_s))
