"""postgresql:// source URLs: which rows they name, what libpq gets, what messages show."""

from __future__ import annotations

import pytest

from indexing.sources.postgres_url import SourceError, is_postgres_url, parse_postgres_url


def test_table_and_connection_parameters_are_told_apart() -> None:
    source = parse_postgres_url("postgresql://shop:pw@db:5433/shop?sslmode=require&table=s.p")
    assert source.table == "s.p" and source.table_parts == ("s", "p") and source.query is None
    assert source.conninfo == "postgresql://shop:pw@db:5433/shop?sslmode=require"
    assert source.shown == "postgresql://shop:***@db:5433/shop?sslmode=require&table=s.p"


def test_query_runs_to_the_end_of_the_url_as_written() -> None:
    sql = "select a+b as x, c from t where d = 'x&y' and e like '%ab%'"
    source = parse_postgres_url(f"postgres:///shop?host=/run/postgresql&query={sql}")
    assert source.query == sql and source.table is None
    assert source.conninfo == "postgres:///shop?host=/run/postgresql"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:secret@h/db",
        "postgresql://u:secret@h/db?table=",
        "postgresql://u:secret@h/db?table=a&query=select 1",
    ],
)
def test_a_url_must_name_one_kind_of_rows(url: str) -> None:
    with pytest.raises(SourceError, match="exactly one of") as caught:
        parse_postgres_url(url)
    assert "secret" not in str(caught.value)


def test_only_postgresql_schemes_are_sources() -> None:
    assert is_postgres_url("postgresql://h/db?table=t") and is_postgres_url("postgres://h/db")
    assert not is_postgres_url("data/products.csv") and not is_postgres_url("mysql://h/db")
