"""The `shoprec` command: one subcommand per job, each a thin call into the packages."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import redis

from indexing.csv_loader import CsvFormatError
from indexing.embedded_redis import EmbeddedRedis, EmbeddedRedisError
from indexing.redis_connection import embedded_server, resolve_redis_url, sync_client
from indexing.settings import Settings, get_settings

log = logging.getLogger("shoprec")


class CommandError(Exception):
    """A failure the user can fix; printed as one line, exit code `code`."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


# --- redis ----------------------------------------------------------------------------
def _embedded_from_args(args: argparse.Namespace, settings: Settings) -> EmbeddedRedis:
    server = embedded_server(settings)
    return EmbeddedRedis(
        port=args.port or server.port, data_dir=Path(args.dir) if args.dir else server.data_dir
    )


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


# --- index ----------------------------------------------------------------------------
def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from indexing.index_builder import build_index
    from indexing.index_writer import live_version
    from indexing.redis_layout import RedisLayout

    client = sync_client(resolve_redis_url(settings))
    if args.if_missing:
        version = live_version(client, RedisLayout(settings.key_prefix))
        if version is not None:
            print(f"live index version {version} present; not rebuilding (drop --if-missing to)")
            return 0
    summary = build_index(
        client, settings, Path(args.products), Path(args.interactions), quiet=args.quiet
    )
    print("\n".join(summary.lines()))
    return 0


# --- serve ----------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import os

    import uvicorn

    from indexing.index_writer import live_version
    from indexing.redis_layout import RedisLayout

    url = resolve_redis_url(settings)
    if live_version(sync_client(url), RedisLayout(settings.key_prefix)) is None:
        raise CommandError(
            "no live catalog index in Redis; build one first with "
            "`shoprec index --products data/products.csv --interactions data/interactions.csv`"
        )
    # Workers are separate processes: hand them the resolved Redis through the environment.
    os.environ["REDIS_URL"] = url
    print(
        f"serving on http://{args.host}:{args.port} (Redis {url}, {args.workers} worker(s)); "
        f"API docs at http://{args.host}:{args.port}/schema/swagger",
        flush=True,
    )
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=args.access_log,
        log_level="info",
    )
    return 0


# --- parser ---------------------------------------------------------------------------
def build_parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shoprec",
        description="Hybrid product recommendations on Redis vector search. "
        "Redis: REDIS_URL (or REDIS_HOST/REDIS_PORT/REDIS_DB); with none set, an embedded "
        "Redis is started on demand on port SHOPREC_EMBEDDED_REDIS_PORT.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    redis_p = sub.add_parser(
        "redis",
        help="start, stop or query the embedded Redis server",
        description="Manage the embedded Redis (Redis 8.2 + RediSearch + RedisJSON from wheels).",
    )
    redis_p.add_argument("action", choices=["start", "stop", "status", "cli"])
    redis_p.add_argument("words", nargs="*", help="with 'cli': the Redis command to send")
    redis_p.add_argument("--port", type=int, help=f"default {settings.embedded_redis_port}")
    redis_p.add_argument("--dir", help=f"data folder (default {settings.embedded_redis_dir})")
    redis_p.set_defaults(handler=cmd_redis)

    index_p = sub.add_parser(
        "index",
        help="full build of a new catalog version from CSVs, then make it live",
        description="Load and validate the CSVs, compute content and CF vectors, write a new "
        "version into Redis, switch the alias to it and drop older versions.",
    )
    index_p.add_argument("--products", default=str(settings.products_csv), help="products.csv")
    index_p.add_argument(
        "--interactions", default=str(settings.interactions_csv), help="interactions.csv"
    )
    index_p.add_argument(
        "--if-missing", action="store_true", help="build only when no version is live"
    )
    index_p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    index_p.set_defaults(handler=cmd_index)

    serve_p = sub.add_parser(
        "serve",
        help="serve the REST API (uvicorn + Litestar)",
        description="Serve recommendations over HTTP. Refuses to start without a live index.",
    )
    serve_p.add_argument("--host", default="127.0.0.1")
    serve_p.add_argument("--port", type=int, default=8000)
    serve_p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    serve_p.add_argument("--access-log", action="store_true", help="log every request")
    serve_p.set_defaults(handler=cmd_serve)
    return parser


def _run(
    handler: Callable[[argparse.Namespace, Settings], int],
    args: argparse.Namespace,
    settings: Settings,
) -> int:
    try:
        return handler(args, settings)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except CsvFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except EmbeddedRedisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except redis.ConnectionError as exc:
        print(f"error: cannot reach Redis ({exc})", file=sys.stderr)
        return 1
    except redis.ResponseError as exc:
        print(f"error: Redis answered: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = get_settings()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args = build_parser(settings).parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return _run(args.handler, args, settings)


if __name__ == "__main__":
    sys.exit(main())
