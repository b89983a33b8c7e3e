"""CSV loading and validation: bad rows are dropped and counted by reason, unusable files raise."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexing.contract.settings import EventWeights, Settings, get_settings
from indexing.load.csv_file import CsvFormatError
from indexing.load.csv_loader import (
    Interactions,
    load_interactions,
    load_products,
)

PRODUCT_HEADER = "product_id,title,category,description,price,img_url"
INTERACTION_HEADER = "user_id,product_id,interaction_type,ts"
TS = "2024-03-01T12:00:00"
WEIGHTS = EventWeights(view=1.0, click=2.0, add_to_cart=4.0, purchase=8.0, rating=6.0)


def write(tmp_path: Path, name: str, *lines: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def products_csv(tmp_path: Path, *rows: str) -> Path:
    return write(tmp_path, "products.csv", PRODUCT_HEADER, *rows)


def interactions_csv(tmp_path: Path, *rows: str, header: str = INTERACTION_HEADER) -> Path:
    return write(tmp_path, "interactions.csv", header, *rows)


GOOD_PRODUCT = "P1,Red cotton shirt,Apparel,A soft shirt,19.90,https://img.example.com/P1.jpg"


# --- products ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        (",No id,Apparel,,1.00,", "empty product_id"),
        ("P2,,Apparel,,1.00,", "empty title"),
        ("P2,Widget,Apparel,,abc,", "unparsable price"),
        ("P2,Widget,Apparel,,inf,", "unparsable price"),
        ("P2,Widget,Apparel,,-0.01,", "negative price"),
        ("P2,Widget,Apparel", "malformed row (wrong number of fields)"),
        ("P2,Widget,Apparel,,1.00,,surplus", "malformed row (wrong number of fields)"),
    ],
)
def test_bad_product_row_is_dropped_and_counted(tmp_path: Path, bad_row: str, reason: str) -> None:
    catalog = load_products(products_csv(tmp_path, GOOD_PRODUCT, bad_row))

    assert catalog.product_ids == ["P1"]
    assert dict(catalog.report.dropped) == {reason: 1}
    assert catalog.report.rows_read == 2
    assert catalog.report.rows_kept == 1
    assert any(reason in line for line in catalog.report.lines())


def test_duplicate_product_id_last_row_wins(tmp_path: Path) -> None:
    catalog = load_products(
        products_csv(
            tmp_path,
            "P1,First title,Apparel,,1.00,",
            "P2,Other,Apparel,,2.00,",
            "P1,Second title,Shoes,,3.00,",
        )
    )

    assert sorted(catalog.product_ids) == ["P1", "P2"]
    p1 = catalog.products.set_index("product_id").loc["P1"]
    assert p1["title"] == "Second title"
    assert p1["category"] == "Shoes"
    assert p1["price"] == pytest.approx(3.0)
    assert dict(catalog.report.dropped) == {"duplicate product_id (the last row kept)": 1}


def test_every_product_reason_counted_in_one_file(tmp_path: Path) -> None:
    catalog = load_products(
        products_csv(
            tmp_path,
            GOOD_PRODUCT,
            ",No id,Apparel,,1,",
            "P3,,Apparel,,1,",
            "P4,Bad price,Apparel,,twelve,",
            "P5,Negative,Apparel,,-3,",
            "P6,Too short",
            "P7,Dup one,Apparel,,1,",
            "P7,Dup two,Apparel,,2,",
        )
    )

    assert catalog.product_ids == ["P1", "P7"]
    assert catalog.report.rows_read == 8
    assert catalog.report.rows_kept == 2
    assert sum(catalog.report.dropped.values()) == 6
    assert len(catalog.report.dropped) == 6


def test_empty_category_and_description_are_fine(tmp_path: Path) -> None:
    catalog = load_products(products_csv(tmp_path, "P1,Plain mug,,,4.50,", "P2,Free gift,,,0,"))

    assert catalog.product_ids == ["P1", "P2"]
    assert not catalog.report.dropped
    assert catalog.products["category"].tolist() == ["", ""]
    assert catalog.products["price"].tolist() == [4.5, 0.0]


def test_optional_columns_may_be_absent_and_extra_columns_are_ignored(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "products.csv",
        "SKU_COLOUR,price,title,product_id,stock",
        "blue,12.5,Blue vase,V1,3",
        "red,7,Red vase,V2,0",
    )
    catalog = load_products(path)

    assert catalog.product_ids == ["V1", "V2"]
    assert "stock" not in catalog.products.columns
    assert "sku_colour" not in catalog.products.columns
    assert catalog.products["category"].tolist() == ["", ""]
    assert catalog.products["description"].tolist() == ["", ""]
    assert catalog.products["img_url"].tolist() == ["", ""]
    assert catalog.products["price"].tolist() == [12.5, 7.0]


def test_header_is_case_and_space_insensitive_and_bom_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_text("\ufeffProduct_ID, Title ,Price\nP1,Mug,3\n", encoding="utf-8")

    assert load_products(path).product_ids == ["P1"]


def test_quoted_fields_with_commas_and_newlines(tmp_path: Path) -> None:
    catalog = load_products(
        products_csv(tmp_path, 'P1,"Mug, large",Kitchen,"Line one\nline two",3.00,')
    )

    assert catalog.products.loc[0, "title"] == "Mug, large"
    assert catalog.products.loc[0, "description"] == "Line one\nline two"


@pytest.mark.parametrize("missing", ["product_id", "title"])
def test_missing_required_product_column_names_file_and_column(
    tmp_path: Path, missing: str
) -> None:
    columns = [c for c in PRODUCT_HEADER.split(",") if c != missing]
    path = write(tmp_path, "products.csv", ",".join(columns), ",".join(["x"] * len(columns)))

    with pytest.raises(CsvFormatError) as info:
        load_products(path)

    message = str(info.value)
    assert str(path) in message
    assert f"'{missing}'" in message
    assert "\n" not in message


def test_missing_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    with pytest.raises(CsvFormatError, match="not found") as info:
        load_products(path)
    assert str(path) in str(info.value)


def test_empty_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_text("")
    with pytest.raises(CsvFormatError, match="empty") as info:
        load_products(path)
    assert str(path) in str(info.value)


def test_header_only_file_gives_empty_catalog(tmp_path: Path) -> None:
    catalog = load_products(products_csv(tmp_path))

    assert catalog.product_ids == []
    assert catalog.report.rows_read == 0


# --- interactions -----------------------------------------------------------------------
KNOWN = ["P1", "P2"]


def load(tmp_path: Path, *rows: str, header: str = INTERACTION_HEADER) -> Interactions:
    return load_interactions(interactions_csv(tmp_path, *rows, header=header), KNOWN, WEIGHTS)


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        (f",P1,view,{TS}", "empty user_id"),
        (f"u1,,view,{TS}", "empty product_id"),
        (f"u1,P1,wishlist,{TS}", "unknown interaction_type"),
        (f"u1,P1,,{TS}", "unknown interaction_type"),
        ("u1,P1,view,yesterday", "unparsable ts"),
        ("u1,P1,view,", "unparsable ts"),
        ("u1,P1,view,2024-13-45T99:00:00", "unparsable ts"),
        (f"u1,P99,view,{TS}", "unknown product_id (not in the catalog)"),
        ("u1,P1,view", "malformed row (wrong number of fields)"),
    ],
)
def test_bad_interaction_row_is_dropped_and_counted(
    tmp_path: Path, bad_row: str, reason: str
) -> None:
    result = load(tmp_path, f"u1,P1,purchase,{TS}", bad_row)

    assert len(result.events) == 1
    assert result.events.loc[0, "interaction_type"] == "purchase"
    assert dict(result.report.dropped) == {reason: 1}
    assert result.report.rows_read == 2
    assert result.report.rows_kept == 1


def test_event_types_and_weights(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        f"u1,P1,view,{TS}",
        f"u1,P1,click,{TS}",
        f"u1,P1,clicked,{TS}",
        f"u1,P1,add_to_cart,{TS}",
        f"u1,P2,purchase,{TS}",
        f"u1,P2,PURCHASE,{TS}",
    )

    assert not result.report.dropped
    assert result.events["interaction_type"].tolist() == [
        "view",
        "click",
        "click",
        "add_to_cart",
        "purchase",
        "purchase",
    ]
    assert result.events["weight"].tolist() == [1.0, 2.0, 2.0, 4.0, 8.0, 8.0]


def test_default_weights_are_ordered() -> None:
    weights = get_settings().cf.event_weights
    assert weights.view < weights.click < weights.add_to_cart < weights.purchase


def test_rating_is_scaled_by_rating_over_five(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        f"u1,P1,rating,{TS},5",
        f"u1,P2,rating,{TS},2",
        f"u2,P1,view,{TS},",
        f"u2,P2,rating,{TS},great",
        f"u3,P2,rating,{TS},",
        header=INTERACTION_HEADER + ",rating",
    )

    assert result.events["weight"].tolist() == pytest.approx([6.0, 6.0 * 2 / 5, 1.0])
    assert dict(result.report.dropped) == {"unparsable rating": 2}


def test_timestamps_become_utc_epoch_seconds(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        "u1,P1,view,2024-01-01T00:00:00",
        "u1,P1,view,2024-01-01T00:00:00Z",
        "u1,P1,view,2024-01-01T02:00:00+02:00",
        "u1,P1,view,2024-01-01 00:00:00",
    )

    assert not result.report.dropped
    assert result.events["ts"].tolist() == [1704067200.0] * 4


def test_every_interaction_reason_counted_in_one_file(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        f"u1,P1,view,{TS}",
        f",P1,view,{TS}",
        f"u1,P1,like,{TS}",
        "u1,P1,view,not-a-time",
        f"u1,NOPE,view,{TS}",
        "u1,P1",
    )

    assert result.report.rows_read == 6
    assert result.report.rows_kept == 1
    assert dict(result.report.dropped) == {
        "empty user_id": 1,
        "unknown interaction_type": 1,
        "unparsable ts": 1,
        "unknown product_id (not in the catalog)": 1,
        "malformed row (wrong number of fields)": 1,
    }


@pytest.mark.parametrize("missing", ["user_id", "product_id", "interaction_type", "ts"])
def test_missing_required_interaction_column_names_file_and_column(
    tmp_path: Path, missing: str
) -> None:
    columns = [c for c in INTERACTION_HEADER.split(",") if c != missing]
    path = interactions_csv(tmp_path, header=",".join(columns))

    with pytest.raises(CsvFormatError) as info:
        load_interactions(path, KNOWN, WEIGHTS)

    assert str(path) in str(info.value)
    assert f"'{missing}'" in str(info.value)


def test_missing_and_empty_interaction_files_raise(tmp_path: Path) -> None:
    with pytest.raises(CsvFormatError, match="not found"):
        load_interactions(tmp_path / "none.csv", KNOWN, WEIGHTS)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CsvFormatError, match="empty"):
        load_interactions(empty, KNOWN, WEIGHTS)


def test_extra_interaction_columns_ignored(tmp_path: Path) -> None:
    result = load(
        tmp_path,
        f"s1,u1,P1,view,{TS}",
        header="session," + INTERACTION_HEADER,
    )

    assert list(result.events.columns) == [
        "user_id",
        "product_id",
        "interaction_type",
        "ts",
        "weight",
    ]
    assert result.events.loc[0, "user_id"] == "u1"


# --- the command line -------------------------------------------------------------------
def test_cli_index_with_missing_column_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from service.cli import main as cli

    # Nothing listens on port 1: the CSV check must not need Redis to report a bad file.
    offline: Settings = get_settings().replace(redis={"url": "redis://127.0.0.1:1/0"})
    monkeypatch.setattr(cli, "get_settings", lambda: offline)
    bad = write(tmp_path, "products.csv", "product_id,name,category", "P1,Mug,Kitchen")
    interactions = interactions_csv(tmp_path, f"u1,P1,view,{TS}")

    code = cli.main(["index", "-q", "--products", str(bad), "--interactions", str(interactions)])

    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2
    assert len(lines) == 1, captured.err
    assert str(bad) in lines[0]
    assert "'title'" in lines[0]
    assert "Traceback" not in captured.err + captured.out


def test_cli_index_with_no_valid_product_exits_2_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from service.cli import main as cli

    offline: Settings = get_settings().replace(redis={"url": "redis://127.0.0.1:1/0"})
    monkeypatch.setattr(cli, "get_settings", lambda: offline)
    bad = products_csv(tmp_path, ",No id,Apparel,,1,", "P2,,Apparel,,1,")
    interactions = interactions_csv(tmp_path)

    code = cli.main(["index", "-q", "--products", str(bad), "--interactions", str(interactions)])

    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert str(bad) in err and "no valid product" in err
