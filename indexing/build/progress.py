"""Progress lines for long jobs: at most one per second (and the last), to stderr."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class Progress:
    """`total` None: a stream of unknown length (rows of a query), counted without a percent."""

    def __init__(
        self, label: str, total: int | None, stream: TextIO | None = None, quiet: bool = False
    ):
        self.label, self.total, self.done = label, total, 0
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self._started = self._last = time.monotonic()

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if (self.total is not None and self.done >= self.total) or now - self._last >= 1.0:
            self._last = now
            self._print(now)

    def finish(self) -> None:
        """The last line of a stream of unknown length (a known total prints it by itself)."""
        if self.total is None:
            self._print(time.monotonic())

    def _print(self, now: float) -> None:
        if self.quiet:
            return
        rate = self.done / max(now - self._started, 1e-9)
        if self.total is None:
            print(f"  {self.label}: {self.done:,} ({rate:,.0f}/s)", file=self.stream, flush=True)
            return
        percent = 100.0 * self.done / self.total if self.total else 100.0
        print(
            f"  {self.label}: {self.done:,}/{self.total:,} ({percent:.0f}%, {rate:,.0f}/s)",
            file=self.stream,
            flush=True,
        )


class StageTimer:
    """Seconds per named stage of a job (`with timer.stage("cf vectors"): ...`), announced as
    `- name ...` lines unless quiet; `seconds` keeps them in order for the summary."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str, announce: bool = True) -> Iterator[None]:
        if announce and not self.quiet:
            print(f"- {name} ...", flush=True)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = time.perf_counter() - started
