"""Opening a PostgreSQL connection with psycopg 3, failures told in one line (SourceError).

psycopg is imported on first use (here and in the other indexing.sources modules), so commands
that read no database do not pay for loading it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from indexing.sources.postgres_url import SourceError, redacted

if TYPE_CHECKING:
    import psycopg


def first_line(exc: BaseException) -> str:
    """A database error's message without libpq's hints and context lines."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def connect(conninfo: str, autocommit: bool = False) -> psycopg.Connection:
    import psycopg

    try:
        return psycopg.connect(conninfo, autocommit=autocommit, connect_timeout=10)
    except psycopg.Error as exc:
        raise SourceError(
            f"{redacted(conninfo)}: cannot connect to PostgreSQL: {first_line(exc)}"
        ) from None
