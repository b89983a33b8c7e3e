"""Files and values as shops export them (issue 13): prices, categories, times, encodings,
delimiters, gzip, the rating column's other names, examples of dropped rows and the refusal."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import pandas as pd
import pytest

from indexing.contract.settings import EventWeights
from indexing.load.csv_file import CsvFormatError
from indexing.load.csv_loader import (
    CsvOptions,
    TooManyDroppedRows,
    check_dropped_share,
    load_interactions,
    load_products,
)
from indexing.load.field_values import (
    AMBIGUOUS_PRICE,
    NEGATIVE_PRICE,
    UNPARSABLE_PRICE,
    parse_price,
    parse_timestamps,
    split_categories,
)

HEADER = ["product_id", "title", "category", "description", "price", "img_url"]
ROWS = [["P1", "Mug", "Kitchen|Garden", "", "$12.50", ""], ["P2", "Lamp", "", "", "", ""]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.50", (12.5, None)),
        ("$12.50", (12.5, None)),
        ("12,50 €", (12.5, None)),
        ("EUR 9.99", (9.99, None)),
        ("1.299,00", (1299.0, None)),
        ("1,299.00", (1299.0, None)),
        ("1 299,00 €", (1299.0, None)),
        ("1,299,000", (1299000.0, None)),
        ("", (None, None)),
        ("1,299", (None, AMBIGUOUS_PRICE)),
        ("abc", (None, UNPARSABLE_PRICE)),
        ("inf", (None, UNPARSABLE_PRICE)),
        ("-3.00", (None, NEGATIVE_PRICE)),
    ],
)
def test_prices_are_read_where_unambiguous(text: str, expected: tuple) -> None:
    assert parse_price(text) == expected


def test_categories_are_split_stripped_and_deduplicated() -> None:
    assert split_categories(" Books | Music||Books ", "|") == "Books|Music"
    assert split_categories("Books>Music", ">") == "Books|Music"
    assert split_categories("Books|Music", "") == "Books|Music"  # one category, kept whole


def test_iso_epoch_seconds_and_milliseconds_mix_in_one_column() -> None:
    seconds = 1_785_715_459.0
    raw = pd.Series(
        ["2026-08-03T00:04:19", str(int(seconds)), str(int(seconds * 1000)), "soon", "inf"]
    )
    parsed = parse_timestamps(raw).tolist()
    assert parsed[:3] == [seconds, seconds, seconds]
    assert math.isnan(parsed[3]) and math.isnan(parsed[4])


def _write(path: Path, delimiter: str, encoding: str) -> Path:
    text = "\n".join(delimiter.join(r) for r in [HEADER, *ROWS]) + "\n"
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode(encoding)))
    else:
        path.write_text(text, encoding=encoding)
    return path


@pytest.mark.parametrize(
    ("name", "delimiter", "encoding"),
    [
        ("p.csv", ";", "utf-8"),
        ("p.csv", "\t", "utf-8-sig"),
        ("p.csv", ",", "utf-16"),
        ("p.csv", ";", "utf-16-le"),  # no byte order mark
        ("p.csv.gz", ";", "utf-8"),
    ],
)
def test_delimiters_encodings_and_gzip_are_read(
    tmp_path: Path, name: str, delimiter: str, encoding: str
) -> None:
    catalog = load_products(_write(tmp_path / name, delimiter, encoding))
    assert catalog.product_ids == ["P1", "P2"]
    assert catalog.products["category"].tolist() == ["Kitchen|Garden", ""]
    assert catalog.products["price"].iloc[0] == 12.5 and math.isnan(catalog.products["price"][1])


def test_a_given_delimiter_wins_and_a_wrong_one_says_so(tmp_path: Path) -> None:
    path = _write(tmp_path / "p.csv", ";", "utf-8")
    assert load_products(path, CsvOptions(delimiter=";")).product_ids == ["P1", "P2"]
    with pytest.raises(CsvFormatError, match=r"comma delimiter.*--delimiter"):
        load_products(path, CsvOptions(delimiter=","))


def test_latin1_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes("product_id,title\nP1,Caf\u00e9\n".encode("latin-1"))
    with pytest.raises(CsvFormatError, match=r"not UTF-8 or UTF-16 text.*save the file as UTF-8"):
        load_products(path)


def test_value_and_score_columns_are_read_as_rating(tmp_path: Path) -> None:
    for column in ("value", "score"):
        path = tmp_path / f"{column}.csv"
        path.write_text(f"user_id,product_id,interaction_type,ts,{column}\nu,P1,rating,0,5\n")
        events = load_interactions(path, ["P1"], EventWeights()).events
        assert events["weight"].tolist() == [EventWeights().rating]


def test_summary_shows_reasons_with_an_example_and_the_refusal_names_the_fix(
    tmp_path: Path,
) -> None:
    path = tmp_path / "i.csv"
    rows = ["u,P1,rating,2026-01-01,"] * 3 + ["u,P1,view,yesterday,"]
    path.write_text("user_id,product_id,interaction_type,ts,rating\n" + "\n".join(rows) + "\n")
    report = load_interactions(path, ["P1"], EventWeights()).report
    assert report.lines()[1:] == [
        "  dropped 3: unparsable rating (e.g. line 2: rating='')",
        "  dropped 1: unparsable ts (e.g. line 5: ts='yesterday')",
    ]
    with pytest.raises(TooManyDroppedRows) as info:
        check_dropped_share(report, 0.5)
    message = str(info.value)
    assert "4 of 4 rows dropped (100%, over the 50% limit)" in message
    assert "First bad line: 2" in message and "numeric `rating` column" in message
    check_dropped_share(report, 1.0)  # --allow-drops
