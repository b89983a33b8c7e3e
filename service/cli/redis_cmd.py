"""`shoprec redis start|stop|status|cli`: the embedded Redis server."""

from __future__ import annotations

import argparse
from pathlib import Path

from indexing.connection.embedded_redis import EmbeddedRedis
from indexing.connection.redis_connection import embedded_data_dir, resolve_redis_url, sync_client
from indexing.contract.settings import Settings
from service.cli.errors import CommandError


def register(sub: argparse._SubParsersAction, settings: Settings) -> None:
    redis_p = sub.add_parser(
        "redis",
        help="start, stop or query the embedded Redis server",
        description="Manage the embedded Redis (Redis 8.2 + RediSearch + RedisJSON from wheels).",
    )
    redis_p.add_argument("action", choices=["start", "stop", "status", "cli"])
    redis_p.add_argument("words", nargs="*", help="with 'cli': the Redis command to send")
    redis_p.add_argument("--port", type=int, help=f"default {settings.redis.embedded_port}")
    redis_p.add_argument(
        "--dir",
        help="data folder (default SHOPREC_EMBEDDED_REDIS_DIR, else var/redis/<port>)",
    )
    redis_p.set_defaults(handler=cmd_redis)


def _embedded_from_args(args: argparse.Namespace, settings: Settings) -> EmbeddedRedis:
    port = args.port or settings.redis.embedded_port
    data_dir = Path(args.dir) if args.dir else embedded_data_dir(settings, port)
    return EmbeddedRedis(port=port, data_dir=data_dir)


def cmd_redis(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "cli":
        return _redis_cli(args.words, settings)
    server = _embedded_from_args(args, settings)
    if args.action == "start":
        already = server.is_running()
        server.start()
        state = "already running" if already else "started"
        print(f"embedded Redis {state} at {server.url} (data, log and pid in {server.data_dir})")
    elif args.action == "stop":
        stopped = server.stop()
        print(f"embedded Redis on port {server.port} {'stopped' if stopped else 'was not running'}")
    else:
        running = server.is_running()
        print(f"embedded Redis at {server.url}: {'running' if running else 'not running'}")
        return 0 if running else 3
    return 0


def _redis_cli(words: list[str], settings: Settings) -> int:
    """A tiny redis-cli (the wheels ship none that runs here): one command, printed plainly."""
    if not words:
        raise CommandError("usage: shoprec redis cli COMMAND [ARG ...]", code=2)
    client = sync_client(resolve_redis_url(settings))
    reply = client.execute_command(*words)
    _print_reply(reply)
    return 0


def _print_reply(reply: object, indent: int = 0) -> None:
    pad = "  " * indent
    if isinstance(reply, list | tuple):
        for item in reply:
            if isinstance(item, list | tuple):
                _print_reply(item, indent + 1)
            else:
                print(pad + _text(item))
    elif isinstance(reply, dict):
        for key, value in reply.items():
            print(f"{pad}{_text(key)}:")
            _print_reply(value, indent + 1)
    else:
        print(pad + _text(reply))


def _text(value: object) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            return f"<{len(value)} bytes>"
    return str(value)
