"""The CSV loader fed corrupt files (seeded, so a failure reproduces): it either loads with the
bad rows dropped and counted, or raises CsvFormatError with a one-line message. Never another
exception."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from indexing.contract.settings import EventWeights
from indexing.load.csv_file import CsvFormatError
from indexing.load.csv_loader import load_interactions, load_products

FILES_PER_KIND = 150
PRODUCT_HEADER = "product_id,title,category,description,price,img_url"
INTERACTION_HEADER = "user_id,product_id,interaction_type,ts"
NASTY_FIELDS = [
    "",
    '"',
    '""',
    '"unterminated',
    "a,b",
    "\x00",
    "nul\x00inside",
    "\ufeff",
    "\r",
    "\n",
    "\\",
    "1e400",
    "-1",
    "nan",
    "inf",
    "99999999999999999999999999",
    "0x10",
    "12,50",
    "€ 12",
    "2026-13-45T99:99:99",
    "9999-12-31T23:59:59",
    "0001-01-01",
    "1700000000",
    "purchase",
    "CLICKED",
    "Add To Cart",
    "rating",
    "ünïcödé ⚡ 厨房",
    "\udcff",
    "x" * 200_000,
]


def _field(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.5:
        return rng.choice(NASTY_FIELDS)
    if roll < 0.8:
        return "".join(chr(rng.randint(1, 0x2FF)) for _ in range(rng.randint(0, 12)))
    return f"P{rng.randint(0, 20):06d}"


def _text(rng: random.Random, header: str) -> bytes:
    """A file mixing a (sometimes broken) header, plausible rows and junk."""
    style = rng.randrange(8)
    if style == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 4000)))
    columns = header.split(",")
    if style == 1:
        header = header.replace(",", rng.choice([";", "\t", "|"]))
    elif style == 2:
        rng.shuffle(columns)
        header = ",".join(columns)
    elif style == 3:
        header = "\ufeff" + header
    elif style == 4:
        header = ",".join(c.upper() for c in columns) + ",extra"
    lines = [header]
    for _ in range(rng.randint(0, 60)):
        width = len(columns) + rng.choice([0, 0, 0, -1, 1, 5])
        delimiter = "," if rng.random() < 0.9 else rng.choice([";", "\t"])
        fields = []
        for _ in range(max(width, 0)):
            value = _field(rng)
            fields.append(value if rng.random() < 0.7 else '"' + value.replace('"', '""') + '"')
        lines.append(delimiter.join(fields))
    newline = rng.choice(["\n", "\r\n", "\r"])
    text = newline.join(lines)
    encoding = rng.choice(["utf-8", "utf-8", "latin-1", "utf-16"])
    data = text.encode(encoding, errors="surrogateescape" if encoding == "utf-8" else "replace")
    if style == 5:  # truncated mid-file, perhaps mid-character
        data = data[: rng.randint(0, len(data))]
    if style == 6:  # binary junk spliced in
        at = rng.randint(0, len(data))
        data = data[:at] + bytes(rng.randrange(256) for _ in range(200)) + data[at:]
    return data


def _load_or_format_error(load, path: Path):
    try:
        return load(path)
    except CsvFormatError as exc:
        message = str(exc)
        assert "\n" not in message and str(path) in message
        return None


@pytest.mark.parametrize("seed", range(FILES_PER_KIND))
def test_corrupt_products_files(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "products.csv"
    path.write_bytes(_text(rng, PRODUCT_HEADER))
    catalog = _load_or_format_error(load_products, path)
    if catalog is not None:
        report = catalog.report
        assert report.rows_kept == len(catalog.products)
        assert report.rows_read == report.rows_kept + sum(report.dropped.values())
        assert catalog.products["product_id"].is_unique
        price = catalog.products["price"]
        assert (price.isna() | (price >= 0)).all()  # NaN: a product without a price


@pytest.mark.parametrize("seed", range(FILES_PER_KIND))
def test_corrupt_interactions_files(tmp_path: Path, seed: int) -> None:
    rng = random.Random(10_000 + seed)
    path = tmp_path / "interactions.csv"
    path.write_bytes(_text(rng, INTERACTION_HEADER))
    known = [f"P{i:06d}" for i in range(21)]
    loaded = _load_or_format_error(lambda p: load_interactions(p, known, EventWeights()), path)
    if loaded is not None:
        report = loaded.report
        assert report.rows_kept == len(loaded.events)
        assert report.rows_read == report.rows_kept + sum(report.dropped.values())
        assert loaded.events["product_id"].isin(known).all()
        assert loaded.events["weight"].notna().all()


def test_the_fuzzer_makes_loadable_files_too(tmp_path: Path) -> None:
    """Guard against a fuzzer that only ever produces hopeless files: some must load."""
    loaded = 0
    for seed in range(FILES_PER_KIND):
        path = tmp_path / f"p{seed}.csv"
        path.write_bytes(_text(random.Random(seed), PRODUCT_HEADER))
        if _load_or_format_error(load_products, path) is not None:
            loaded += 1
    # Latin-1 and spliced binary junk are refused as "not UTF-8 or UTF-16 text" (most files).
    assert loaded >= FILES_PER_KIND // 8
