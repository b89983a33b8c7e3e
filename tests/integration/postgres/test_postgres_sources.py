"""`shoprec index` and `reindex` read PostgreSQL tables and queries (issue 21): the rows pass
through the CSV loader's validation (same reasons, same counts, same refusal), and a source
that cannot be read is one line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import psycopg
import pytest
import redis

from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.load.csv_loader import load_interactions, load_products
from service.cli import main as cli
from tests.conftest import make_settings
from tests.support.postgres_tables import table_from_csv

PRODUCT_HEADER = "product_id,title,category,description,price,img_url"
BAD_PRODUCTS = [
    "P1,Red cotton shirt,Apparel,A soft shirt,19.90,",
    "P2,Blue shirt,Apparel,,$12.50,",
    ",No id,Apparel,,1.00,",
    "P3,,Apparel,,1.00,",
    "P4,Widget,Apparel,,abc,",
    "P5,Widget,Apparel,,-0.01,",
    'P6,Widget,Apparel,,"1,299",',
    "P1,Red shirt again,Apparel,,19.90,",
]
INTERACTION_HEADER = "user_id,product_id,interaction_type,ts,rating"
BAD_EVENTS = [
    "U1,P1,view,2024-03-01T12:00:00,",
    "U1,P2,Add to cart,1709294400,",
    "U2,P2,rating,2024-03-01T12:00:00Z,4",
    ",P1,view,2024-03-01T12:00:00,",
    "U3,,view,2024-03-01T12:00:00,",
    "U3,P1,wishlist,2024-03-01T12:00:00,",
    "U3,P1,view,yesterday,",
    "U3,P9,view,2024-03-01T12:00:00,",
    "U3,P1,rating,2024-03-01T12:00:00,lots",
]


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def cli_settings(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    settings = make_settings(redis_url)
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    return settings


def test_bad_rows_from_a_table_are_dropped_like_the_same_csvs(
    postgres_url: str, tmp_path: Path
) -> None:
    products_csv = _csv(tmp_path / "products.csv", PRODUCT_HEADER, BAD_PRODUCTS)
    events_csv = _csv(tmp_path / "interactions.csv", INTERACTION_HEADER, BAD_EVENTS)
    table_from_csv(postgres_url, "products", products_csv)
    table_from_csv(postgres_url, "events", events_csv)

    from_csv = load_products(products_csv)
    from_table = load_products(f"{postgres_url}?table=products")
    assert dict(from_table.report.dropped) == dict(from_csv.report.dropped)
    assert len(from_csv.report.dropped) == 6  # every product reason above
    assert (from_table.report.rows_read, from_table.report.rows_kept) == (8, 2)
    pd.testing.assert_frame_equal(from_table.products, from_csv.products)

    weights = make_settings("redis://unused").cf.event_weights
    csv_events = load_interactions(events_csv, from_csv.product_ids, weights)
    table_events = load_interactions(f"{postgres_url}?table=events", from_csv.product_ids, weights)
    assert dict(table_events.report.dropped) == dict(csv_events.report.dropped)
    assert len(csv_events.report.dropped) == 6  # every event reason above
    assert (table_events.report.rows_read, table_events.report.rows_kept) == (9, 3)
    pd.testing.assert_frame_equal(table_events.events, csv_events.events)
    # Positions are the query's rows, the password never shows.
    assert all(e.startswith("row ") for e in table_events.report.examples.values())


def test_typed_columns_and_a_query_read_like_their_csv_text(
    postgres_url: str, small_csvs: tuple[Path, Path]
) -> None:
    products_csv, events_csv = small_csvs
    table_from_csv(postgres_url, "products", products_csv, {"price": "numeric(10,2)"})
    table_from_csv(postgres_url, "events", events_csv, {"ts": "timestamptz"})
    with psycopg.connect(postgres_url) as conn:
        conn.execute("alter table events rename column interaction_type to type")

    catalog = load_products(f"{postgres_url}?table=products")
    assert catalog.products.equals(load_products(products_csv).products)
    query = "select user_id, product_id, type as interaction_type, ts from events"
    weights = make_settings("redis://unused").cf.event_weights
    from_query = load_interactions(f"{postgres_url}?query={query}", catalog.product_ids, weights)
    from_csv = load_interactions(events_csv, catalog.product_ids, weights)
    assert len(from_query.events) == len(from_csv.events) > 1000
    pd.testing.assert_frame_equal(from_query.events, from_csv.events)


def test_index_and_reindex_from_tables(
    postgres_url: str,
    small_csvs: tuple[Path, Path],
    cli_settings: Settings,
    redis_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    table_from_csv(postgres_url, "products", small_csvs[0])
    table_from_csv(postgres_url, "events", small_csvs[1], {"ts": "timestamptz"})
    products, events = f"{postgres_url}?table=products", f"{postgres_url}?table=events"

    assert cli.main(["index", "--no-wait", "--products", products, "--interactions", events]) == 0
    captured = capsys.readouterr()
    assert "rows read from" in captured.err  # progress while the rows stream in
    layout = RedisLayout(cli_settings.redis.key_prefix)
    with redis.Redis.from_url(redis_url) as rc:
        assert rc.hget(layout.meta, "products") == b"300"
        with psycopg.connect(postgres_url) as conn:
            conn.execute("update products set title = 'Renamed lamp' where product_id = 'P000001'")
        changed = f"{postgres_url}?query=select * from products where product_id = 'P000001'"
        assert cli.main(["reindex", "-q", "--upsert", "--products", changed]) == 0
        assert "changed 1, removed 0" in capsys.readouterr().out
        assert rc.hget(layout.product(1, "P000001"), "title") == b"Renamed lamp"


def test_too_many_bad_rows_in_a_table_are_refused_like_a_csv(
    postgres_url: str, tmp_path: Path, cli_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = ["P1,Shirt,Apparel,,1.00,", *(f"P{i},Widget,Apparel,,abc," for i in range(2, 5))]
    table_from_csv(postgres_url, "products", _csv(tmp_path / "p.csv", PRODUCT_HEADER, rows))
    events = _csv(tmp_path / "e.csv", INTERACTION_HEADER, ["U1,P1,view,2024-03-01T12:00:00,"])

    code = cli.main(["index", "-q", "--products", f"{postgres_url}?table=products",
                     "--interactions", str(events)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert "3 of 4 rows dropped (75%, over the 50% limit)" in err and "First bad row" in err


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{url}?table=nosuch", "table 'nosuch' does not exist"),
        ("{url}?table=products_without_title", "missing required column 'title'"),
        ("{url}?query=select product_id, nosuch from products", 'column "nosuch" does not exist'),
        ("{url}", "needs exactly one of ?table=NAME or ?query="),
        ("{dead}?table=products", "cannot connect to PostgreSQL"),
    ],
)
def test_an_unreadable_source_is_one_line_and_exit_2(
    postgres_url: str,
    cli_settings: Settings,
    capsys: pytest.CaptureFixture[str],
    source: str,
    message: str,
) -> None:
    with psycopg.connect(postgres_url) as conn:
        conn.execute("create table products (product_id text, title text)")
        conn.execute("create table products_without_title (product_id text)")
    dead = "postgresql://shop:secret@127.0.0.1:1/shop"
    code = cli.main(["index", "-q", "--products", source.format(url=postgres_url, dead=dead)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert message in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err and "secret" not in err
