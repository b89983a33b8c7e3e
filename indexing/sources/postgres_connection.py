"""Opening a PostgreSQL connection with psycopg 3, failures told in one line (SourceError).

psycopg is the optional `postgres` extra, imported here on first use, so the rest of shoprec
runs without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from indexing.sources.postgres_url import SourceError, redacted

if TYPE_CHECKING:
    import psycopg


def require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise SourceError(
            "PostgreSQL sources need psycopg: pip install 'shoprec[postgres]'"
        ) from None


def first_line(exc: BaseException) -> str:
    """A database error's message without libpq's hints and context lines."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def connect(conninfo: str, autocommit: bool = False) -> psycopg.Connection:
    require_psycopg()
    import psycopg

    try:
        return psycopg.connect(conninfo, autocommit=autocommit, connect_timeout=10)
    except psycopg.Error as exc:
        raise SourceError(
            f"{redacted(conninfo)}: cannot connect to PostgreSQL: {first_line(exc)}"
        ) from None
