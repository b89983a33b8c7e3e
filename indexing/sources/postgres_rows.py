"""A PostgreSQL table or query as the rows the CSV loader validates.

The rows come as `CsvRows` (a lower-cased header and (position, string fields) pairs), so
indexing.load.csv_loader applies exactly the checks, drop reasons and counts it applies to a
CSV file. Values are written as a CSV export would write them: NULL as an empty field, times
as ISO-8601 (with their zone when they have one), numbers as their text. They are fetched from
a server-side cursor `batch_size` rows at a time, so a large table is never held twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from indexing.build.progress import Progress
from indexing.load.csv_file import CsvRows
from indexing.sources.postgres_connection import connect, first_line
from indexing.sources.postgres_url import PostgresSource, SourceError

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql

CURSOR_NAME = "shoprec_source"


def rows_statement(source: PostgresSource) -> sql.Composed:
    """The SELECT that yields the source's rows: the table's, or the query's."""
    from psycopg import sql

    if source.table is not None:
        table = sql.Identifier(*source.table_parts)
        return sql.SQL("select * from {}").format(table)
    return sql.SQL("select * from ({}) as shoprec_source").format(sql.SQL(source.query or ""))


def as_field(value: Any) -> str:
    """One value as a CSV export writes it."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def execute_rows(
    conn: psycopg.Connection, source: PostgresSource, statement: sql.Composed, params: Any = None
) -> psycopg.ServerCursor:
    """A server-side cursor over `statement`; a missing table or a failing query is a
    SourceError saying so."""
    import psycopg

    cursor = conn.cursor(name=CURSOR_NAME)
    try:
        cursor.execute(statement, params)
    except psycopg.Error as exc:
        conn.close()
        raise query_error(source, exc) from None
    return cursor


def query_error(source: PostgresSource, exc: Exception) -> SourceError:
    """What to tell about a query of `source` that PostgreSQL refused."""
    import psycopg

    if isinstance(exc, psycopg.errors.UndefinedTable) and source.table is not None:
        return SourceError(
            f"{source.shown}: table {source.table!r} does not exist (check ?table=, or name "
            "the schema: ?table=schema.table)"
        )
    return SourceError(f"{source.shown}: the query failed: {first_line(exc)}")


def header_of(cursor: psycopg.Cursor | psycopg.ServerCursor) -> list[str]:
    return [column.name.strip().lower() for column in cursor.description or ()]


def check_columns(source: PostgresSource, header: list[str], required: Iterable[str]) -> None:
    for column in required:
        if column not in header:
            raise SourceError(
                f"{source.shown}: missing required column '{column}' (the rows have: "
                f"{' | '.join(header)}); rename it in a query (?query=select ... as {column})"
            )


def open_postgres_rows(
    source: PostgresSource, required: Iterable[str], batch_size: int, quiet: bool = True
) -> CsvRows:
    """The source's rows, checked for the `required` columns before any is fetched."""
    conn = connect(source.conninfo)
    cursor = execute_rows(conn, source, rows_statement(source))
    header = header_of(cursor)
    try:
        check_columns(source, header, required)
    except SourceError:
        conn.close()
        raise
    progress = Progress(f"rows read from {source.shown[:60]}", None, quiet=quiet)
    return CsvRows(header, "", _fetch(conn, cursor, batch_size, progress), row_word="row")


def _fetch(
    conn: psycopg.Connection, cursor: psycopg.ServerCursor, batch_size: int, progress: Progress
) -> Iterator[tuple[int, list[str]]]:
    with conn:
        position = 0
        while batch := cursor.fetchmany(batch_size):
            for row in batch:
                position += 1
                yield position, [as_field(value) for value in row]
            progress.advance(len(batch))
        progress.finish()
