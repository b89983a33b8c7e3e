"""Filling the test PostgreSQL with the CSVs the other tests read."""

from __future__ import annotations

import csv
from pathlib import Path

import psycopg
from psycopg import sql


def table_from_csv(
    url: str, table: str, csv_path: Path, types: dict[str, str] | None = None
) -> list[str]:
    """Table `table` holding the rows of `csv_path` (every column text unless `types` names
    another type, e.g. {"ts": "timestamptz"}; a typed column gets NULL for an empty cell).
    Returns the columns."""
    with csv_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = list(reader)
    types = types or {}
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(types.get(c, "text"))) for c in header
    )
    with psycopg.connect(url) as conn:
        conn.execute(sql.SQL("create table {} ({})").format(sql.Identifier(table), columns))
        copy = sql.SQL("copy {} from stdin").format(sql.Identifier(table))
        with conn.cursor().copy(copy) as writer:
            for row in rows:
                cells = [
                    None if c in types and cell == "" else cell
                    for c, cell in zip(header, row, strict=True)
                ]
                writer.write_row(cells)
    return header
