"""The `shoprec` command: one subcommand per job (see service/cli/)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

import redis

from indexing.connection.embedded_redis import EmbeddedRedisError
from indexing.contract.settings import Settings, get_settings
from indexing.load.csv_file import CsvFormatError
from indexing.models.embedder_registry import EmbedderError
from indexing.sources.postgres_url import SourceError
from service.cli import (
    bench_cmd,
    evaluate_cmd,
    export_feedback_cmd,
    feedback_sink_cmd,
    index_cmd,
    ingest_cmd,
    knn_command_cmd,
    redis_cmd,
    reindex_cmd,
    rules_cmd,
    serve_cmd,
    token_cmd,
)
from service.cli.errors import CommandError

COMMANDS = [
    redis_cmd,
    index_cmd,
    serve_cmd,
    reindex_cmd,
    evaluate_cmd,
    bench_cmd,
    export_feedback_cmd,
    ingest_cmd,
    feedback_sink_cmd,
    knn_command_cmd,
    token_cmd,
    rules_cmd,
]


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shoprec",
        description="Hybrid product recommendations on Redis vector search. "
        "Redis: REDIS_URL (or REDIS_HOST/REDIS_PORT/REDIS_DB); with none set, an embedded "
        "Redis is started on demand on port SHOPREC_EMBEDDED_REDIS_PORT.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub, settings)
    return parser


def _run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        return int(args.handler(args, settings))
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except (CsvFormatError, SourceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except EmbedderError as exc:
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
    except BrokenPipeError:
        # The reader went away (`shoprec redis cli KEYS '*' | head`): stop quietly, and point
        # stdout at nothing so the interpreter's final flush cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


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
    return _run(args, settings)


if __name__ == "__main__":
    sys.exit(main())
