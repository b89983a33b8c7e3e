"""The test run's PostgreSQL answers queries (the fixture the source, ingest and sink tests use)."""

from __future__ import annotations

import psycopg


def test_server_answers_in_a_database_of_its_own(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        conn.execute("create table t (x int)")
        conn.execute("insert into t values (1), (2)")
        assert conn.execute("select sum(x) from t").fetchone() == (3,)
