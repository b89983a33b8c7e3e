"""`shoprec redis start|stop|status|cli`: the Redis shoprec uses.

`status` and `cli` act on the Redis the other commands use: `--port` (a server on this
machine), else REDIS_URL, else the embedded one. `start` and `stop` manage only an embedded
Redis (one shoprec started, found by its pid file); a Redis named by REDIS_URL that shoprec did
not start is refused with a line saying so.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlsplit

import redis

from indexing.connection.embedded_redis import EmbeddedRedis
from indexing.connection.redis_connection import (
    display_url,
    embedded_data_dir,
    resolve_redis_url,
    sync_client,
)
from indexing.contract.settings import Settings
from service.cli.errors import CommandError
from service.cli.redis_reply import print_reply

NOT_RUNNING = 3


def register(sub: argparse._SubParsersAction, settings: Settings) -> None:
    redis_p = sub.add_parser(
        "redis",
        help="start, stop, check or query Redis",
        description="start/stop: the embedded Redis (Redis 8.2 + RediSearch + RedisJSON from "
        "wheels). status/cli: the Redis in use: --port, else REDIS_URL, else the embedded one. "
        f"status exits 0 when it answers, {NOT_RUNNING} when not.",
    )
    redis_p.add_argument("action", choices=["start", "stop", "status", "cli"])
    redis_p.add_argument("words", nargs="*", help="with 'cli': the Redis command to send")
    redis_p.add_argument(
        "--port",
        type=int,
        help="a Redis on this machine at this port "
        f"(default: REDIS_URL, else the embedded one on {settings.redis.embedded_port})",
    )
    redis_p.add_argument(
        "--dir",
        help="the embedded Redis's data folder (default SHOPREC_EMBEDDED_REDIS_DIR, else "
        "var/redis/<port>)",
    )
    redis_p.set_defaults(handler=cmd_redis)


def cmd_redis(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "cli":
        return _redis_cli(args, settings)
    if args.action == "status":
        return _status(args, settings)
    server = _embedded(args, settings)
    if args.action == "start":
        already = server.is_running()
        server.start()
        state = "already running" if already else "started"
        print(f"embedded Redis {state} at {server.url} (data, log and pid in {server.data_dir})")
        return 0
    stopped = server.stop()
    print(f"embedded Redis on port {server.port} {'stopped' if stopped else 'was not running'}")
    return 0


def _embedded(args: argparse.Namespace, settings: Settings) -> EmbeddedRedis:
    """The embedded Redis that start/stop act on; refuses a REDIS_URL shoprec did not start."""
    port = args.port
    if port is None and settings.redis.url:
        port = _own_port(settings.redis.url, settings, args.dir)
    port = port or settings.redis.embedded_port
    data_dir = Path(args.dir) if args.dir else embedded_data_dir(settings, port)
    return EmbeddedRedis(
        port=port, data_dir=data_dir, maxmemory=settings.resources.embedded_redis_maxmemory
    )


def _own_port(url: str, settings: Settings, folder: str | None) -> int:
    """The port of REDIS_URL when it names an embedded Redis of ours on this machine."""
    parts = urlsplit(url)
    port = parts.port or 6379
    data_dir = Path(folder) if folder else embedded_data_dir(settings, port)
    if parts.hostname in ("127.0.0.1", "localhost", "::1") and (data_dir / "redis.pid").exists():
        return port
    raise CommandError(
        f"REDIS_URL names {display_url(url)}, a Redis shoprec did not start; start and stop it "
        "with its own tools (or unset REDIS_URL to use the embedded one)",
        code=2,
    )


def _target_url(args: argparse.Namespace, settings: Settings, start: bool) -> str:
    if args.port is not None:
        return f"redis://127.0.0.1:{args.port}/0"
    return resolve_redis_url(settings, start_embedded=start)


def _status(args: argparse.Namespace, settings: Settings) -> int:
    url = _target_url(args, settings, start=False)
    try:
        info = sync_client(url, timeout_s=2.0).info("server")
        modules = sync_client(url, timeout_s=2.0).module_list()
    except redis.RedisError as exc:
        print(f"Redis at {display_url(url)}: not running ({type(exc).__name__})")
        return NOT_RUNNING
    names = {str(m.get(b"name", m.get("name", b"")), "utf-8", "replace") for m in modules}
    engine = "yes" if names & {"search", "ft"} else "no (vector search needs it)"
    version = info.get("redis_version", "?")
    print(f"Redis at {display_url(url)}: running (Redis {version}, query engine: {engine})")
    return 0


def _redis_cli(args: argparse.Namespace, settings: Settings) -> int:
    """A small redis-cli (the wheels ship none that runs here): one command, printed as
    redis-cli prints it."""
    if not args.words:
        raise CommandError("usage: shoprec redis cli COMMAND [ARG ...]", code=2)
    client = sync_client(_target_url(args, settings, start=True))
    client.response_callbacks.clear()  # the replies as Redis sent them (PONG, not True)
    try:
        reply: object = client.execute_command(*args.words)
    except redis.ResponseError as exc:
        reply = exc
    print_reply(reply, sys.stdout, raw=not sys.stdout.isatty())
    return 1 if isinstance(reply, redis.ResponseError) else 0
