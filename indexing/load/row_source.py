"""Where a loader's rows come from: a CSV file, or a PostgreSQL table or query named by a
`postgresql://` URL (indexing.sources); both give `CsvRows`, validated by one loader."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from indexing.contract.settings import get_settings
from indexing.load.csv_file import CsvRows, open_csv
from indexing.sources.postgres_url import is_postgres_url, parse_postgres_url


def source_label(source: str | Path) -> str:
    """How reports and messages name the source (a URL without its password)."""
    text = str(source)
    return parse_postgres_url(text).shown if is_postgres_url(text) else text


def open_rows(
    source: str | Path, required: Iterable[str], delimiter: str | None, quiet: bool = True
) -> CsvRows:
    text = str(source)
    if not is_postgres_url(text):
        return open_csv(Path(source), required, delimiter)
    from indexing.sources.postgres_rows import open_postgres_rows

    batch_size = get_settings().postgres.batch_size
    return open_postgres_rows(parse_postgres_url(text), required, batch_size, quiet=quiet)
