"""Read products.csv and interactions.csv, keep the good rows, count the bad ones by reason.

Bad rows never stop a build: they are dropped and counted so the summary can say what was
wrong. Only a file we cannot use at all (missing, empty, a required column absent) raises
`CsvFormatError`, whose message is one line naming the file and the problem.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from indexing.contract.event_types import INTERACTION_TYPES, canonical
from indexing.contract.settings import EventWeights

PRODUCT_REQUIRED = ("product_id", "title", "price")
PRODUCT_COLUMNS = ("product_id", "title", "category", "description", "price", "img_url")
INTERACTION_REQUIRED = ("user_id", "product_id", "interaction_type", "ts")

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class CsvFormatError(ValueError):
    """The file cannot be used at all; the message names the file and the problem."""


@dataclass
class LoadReport:
    file: str
    rows_read: int = 0
    rows_kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)

    def drop(self, reason: str, count: int = 1) -> None:
        if count:
            self.dropped[reason] += count

    def lines(self) -> list[str]:
        out = [f"{self.file}: {self.rows_read} rows read, {self.rows_kept} kept"]
        out += [f"  dropped {n}: {reason}" for reason, n in sorted(self.dropped.items())]
        return out


@dataclass
class Catalog:
    """Valid products, one row per product_id, in file order (last duplicate wins)."""

    products: pd.DataFrame  # product_id, title, category, description, price, img_url
    report: LoadReport

    @property
    def product_ids(self) -> list[str]:
        return self.products["product_id"].tolist()


@dataclass
class Interactions:
    """Valid events naming known products; `ts` in epoch seconds, `weight` from the event type."""

    events: pd.DataFrame  # user_id, product_id, interaction_type, ts, weight
    report: LoadReport


def _read_rows(path: Path, required: Iterable[str]) -> tuple[list[str], Iterator[list[str]]]:
    if not path.exists():
        raise CsvFormatError(f"{path}: file not found")
    handle = path.open(newline="", encoding="utf-8-sig", errors="replace")
    reader = csv.reader(handle)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        handle.close()
        raise CsvFormatError(f"{path}: file is empty (expected a header row)") from None
    except csv.Error as exc:
        handle.close()
        raise CsvFormatError(f"{path}: cannot read the header row: {exc}") from None
    for column in required:
        if column not in header:
            handle.close()
            raise CsvFormatError(
                f"{path}: missing required column '{column}' (header: {','.join(header)})"
            )

    def rows() -> Iterator[list[str]]:
        with handle:
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error:
                    yield []  # counted as malformed by the caller
                    continue
                if row:  # blank lines are not rows
                    yield row

    return header, rows()


def _frame(
    path: Path, required: tuple[str, ...], wanted: tuple[str, ...], report: LoadReport
) -> pd.DataFrame:
    """Rows with the right field count as a string frame of the `wanted` columns."""
    header, rows = _read_rows(path, required)
    positions = [header.index(c) if c in header else None for c in wanted]
    width = len(header)
    records: list[list[str]] = []
    for row in rows:
        report.rows_read += 1
        if len(row) != width:
            report.drop("malformed row (wrong number of fields)")
            continue
        records.append([row[p].strip() if p is not None else "" for p in positions])
    return pd.DataFrame(records, columns=list(wanted), dtype=object)


def _drop(frame: pd.DataFrame, bad: pd.Series, reason: str, report: LoadReport) -> pd.DataFrame:
    report.drop(reason, int(bad.sum()))
    return frame[~bad]


def load_products(path: Path) -> Catalog:
    report = LoadReport(file=str(path))
    frame = _frame(path, PRODUCT_REQUIRED, PRODUCT_COLUMNS, report)
    frame = _drop(frame, frame["product_id"] == "", "empty product_id", report)
    frame = _drop(frame, frame["title"] == "", "empty title", report)
    price = pd.to_numeric(frame["price"], errors="coerce")
    unparsable = price.isna() | ~np.isfinite(price.astype(float))
    frame = _drop(frame, unparsable, "unparsable price", report)
    price = price[~unparsable].astype(float)
    frame = _drop(frame, price < 0, "negative price", report)
    frame = frame.assign(price=price[price >= 0])
    duplicated = frame.duplicated("product_id", keep="last")
    frame = _drop(frame, duplicated, "duplicate product_id (the last row kept)", report)
    frame = frame.reset_index(drop=True)
    report.rows_kept = len(frame)
    return Catalog(products=frame, report=report)


_TS_MAX = pd.Timestamp.max.tz_localize("UTC")


def parse_timestamps(raw: pd.Series) -> pd.Series:
    """ISO-8601 strings to epoch seconds (float); zone-less times are taken as UTC; NaN if bad."""
    parsed = pd.to_datetime(raw, errors="coerce", utc=True, format="ISO8601")
    # pandas 3 keeps times outside the nanosecond range (years 1677..2262) at a coarser unit,
    # and the subtraction below would overflow on them; they are no real event times anyway.
    parsed = parsed.where((parsed >= pd.Timestamp.min.tz_localize("UTC")) & (parsed <= _TS_MAX))
    seconds = (parsed - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return seconds.astype(float)


def load_interactions(
    path: Path, known_products: Iterable[str], weights: EventWeights
) -> Interactions:
    report = LoadReport(file=str(path))
    wanted = (*INTERACTION_REQUIRED, "rating")
    frame = _frame(path, INTERACTION_REQUIRED, wanted, report)
    frame = _drop(frame, frame["user_id"] == "", "empty user_id", report)
    frame = _drop(frame, frame["product_id"] == "", "empty product_id", report)
    words = frame["interaction_type"]
    frame = frame.assign(interaction_type=words.map({w: canonical(w) for w in words.unique()}))
    unknown_type = ~frame["interaction_type"].isin(INTERACTION_TYPES)
    frame = _drop(frame, unknown_type, "unknown interaction_type", report)
    ts = parse_timestamps(frame["ts"])
    frame = _drop(frame, ts.isna(), "unparsable ts", report)
    frame = frame.assign(ts=ts[ts.notna()])
    unknown_product = ~frame["product_id"].isin(set(known_products))
    frame = _drop(frame, unknown_product, "unknown product_id (not in the catalog)", report)
    weight, bad_rating = _event_weights(frame, weights)
    frame = _drop(frame.assign(weight=weight), bad_rating, "unparsable rating", report)
    frame = frame[["user_id", "product_id", "interaction_type", "ts", "weight"]]
    frame = frame.reset_index(drop=True)
    report.rows_kept = len(frame)
    return Interactions(events=frame, report=report)


def _event_weights(frame: pd.DataFrame, weights: EventWeights) -> tuple[pd.Series, pd.Series]:
    """Weight per event; a `rating` event scales its weight by rating/5 (1..5 scale)."""
    by_type = weights.as_dict()
    weight = frame["interaction_type"].map(by_type).astype(float)
    is_rating = frame["interaction_type"] == "rating"
    rating = pd.to_numeric(frame["rating"], errors="coerce")
    bad = is_rating & ~rating.between(0, 5)
    scaled = weight * rating.clip(0, 5) / 5.0
    return weight.where(~is_rating, scaled), bad
