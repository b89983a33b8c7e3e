"""Command-line values that name a PostgreSQL database or source (docs/postgres.md)."""

from __future__ import annotations

from pathlib import Path

from indexing.sources.postgres_url import is_postgres_url
from service.cli.errors import CommandError


def source_arg(text: str) -> Path | str:
    """A --products/--interactions value: a PostgreSQL URL as it is, anything else a path."""
    return text if is_postgres_url(text) else Path(text)


def required_postgres_url(value: str | None, command: str, form: str, variable: str) -> str:
    """`value` when it is a postgresql:// URL; else exit 2 saying what the command needs."""
    if not value or not is_postgres_url(value):
        raise CommandError(f"{command} needs {form}, or {variable} set to one", code=2)
    return value
