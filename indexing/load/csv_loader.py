"""Read products.csv and interactions.csv, keep the good rows, count the bad ones by reason.

The rows may also come from a PostgreSQL table or query (a `postgresql://` URL in place of
the path, see indexing.load.row_source): they pass through the same checks, reasons and counts.

Bad rows are dropped and counted (with the first line of each reason as an example) so the
summary can say what was wrong; `check_dropped_share` then refuses a file that lost too much.
A file we cannot use at all (missing, empty, undecodable, a required column absent) raises
`CsvFormatError`, whose message is one line naming the file and the problem. Reading the file
itself (gzip, encodings, delimiters) is csv_file's job, reading values field_values'.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from indexing.contract.event_types import INTERACTION_TYPES, canonical
from indexing.contract.settings import EventWeights, get_settings
from indexing.load.csv_file import CsvFormatError
from indexing.load.field_values import parse_price, parse_timestamps, split_categories
from indexing.load.row_source import open_rows, source_label

PRODUCT_REQUIRED = ("product_id", "title")
PRODUCT_COLUMNS = ("product_id", "title", "category", "description", "price", "img_url")
INTERACTION_REQUIRED = ("user_id", "product_id", "interaction_type", "ts")
# Other names exports give the rating column, tried in this order when `rating` is absent.
COLUMN_ALIASES = {"rating": ("value", "score")}
_LINE = "_line"  # the file line of each row, for the examples of dropped rows
MALFORMED = "malformed row (wrong number of fields)"
UNKNOWN_TYPE = "unknown interaction_type"
UNKNOWN_PRODUCT = "unknown product_id (not in the catalog)"


@dataclass(frozen=True)
class CsvOptions:
    """How to read the files: `delimiter` None sniffs `,` `;` or tab from the header;
    `category_separator` splits a category cell into several ("" keeps it whole); `quiet`
    False prints progress while a PostgreSQL source streams in."""

    delimiter: str | None = None
    category_separator: str = field(
        default_factory=lambda: get_settings().catalog.category_separator
    )
    quiet: bool = True


@dataclass
class LoadReport:
    file: str
    rows_read: int = 0
    rows_kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)  # reason -> its first bad row
    first_bad_line: int | None = None
    row_word: str = "line"  # what positions count: a file's lines, a query's rows

    def drop(self, reason: str, count: int = 1, example: str | None = None) -> None:
        if count:
            self.dropped[reason] += count
            if example is not None:
                self.examples.setdefault(reason, example)

    @property
    def dropped_share(self) -> float:
        return (self.rows_read - self.rows_kept) / self.rows_read if self.rows_read else 0.0

    def top_reasons(self, count: int | None = None) -> list[str]:
        """ "N: reason (e.g. line L: field='value')", most frequent first."""
        return [
            f"{n:,}: {reason}"
            + (f" (e.g. {self.examples[reason]})" if reason in self.examples else "")
            for reason, n in self.dropped.most_common(count)
        ]

    def lines(self) -> list[str]:
        out = [f"{self.file}: {self.rows_read} rows read, {self.rows_kept} kept"]
        return out + [f"  dropped {reason}" for reason in self.top_reasons()]


@dataclass
class Catalog:
    """Valid products, one row per product_id, in file order (last duplicate wins); `price`
    is NaN for a product without one, `category` its categories joined by "|"."""

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


def _frame(
    source: Path | str,
    required: tuple[str, ...],
    wanted: tuple[str, ...],
    report: LoadReport,
    options: CsvOptions,
) -> pd.DataFrame:
    """Rows with the right field count as a string frame of the `wanted` columns (plus each
    row's line number); an absent optional column reads as empty."""
    csv_rows = open_rows(source, required, options.delimiter, options.quiet)
    header = csv_rows.header
    report.row_word = csv_rows.row_word
    positions = [_position(header, c) for c in wanted]
    width = len(header)
    records: list[list[object]] = []
    for line, row in csv_rows.rows:
        report.rows_read += 1
        if len(row) != width:
            example = f"{report.row_word} {line}: {len(row)} fields, header has {width}"
            report.drop(MALFORMED, example=example)
            _note_line(report, line)
            continue
        records.append([*(row[p].strip() if p is not None else "" for p in positions), line])
    return pd.DataFrame(records, columns=[*wanted, _LINE], dtype=object)


def _position(header: list[str], column: str) -> int | None:
    for name in (column, *COLUMN_ALIASES.get(column, ())):
        if name in header:
            return header.index(name)
    return None


def _note_line(report: LoadReport, line: int) -> None:
    if report.first_bad_line is None or line < report.first_bad_line:
        report.first_bad_line = line


def _drop(
    frame: pd.DataFrame, bad: pd.Series, reason: str, report: LoadReport, column: str
) -> pd.DataFrame:
    """`frame` without the `bad` rows, counted under `reason` with the first as example."""
    count = int(bad.sum())
    if count:
        first = frame[bad].iloc[0]
        line = int(first[_LINE])
        example = f"{report.row_word} {line}: {column}={str(first[column])[:60]!r}"
        report.drop(reason, count, example=example)
        _note_line(report, line)
    return frame[~bad]


def _finish(frame: pd.DataFrame, columns: list[str], report: LoadReport) -> pd.DataFrame:
    frame = frame[columns].reset_index(drop=True)
    report.rows_kept = len(frame)
    return frame


def load_products(source: Path | str, options: CsvOptions | None = None) -> Catalog:
    """Products from a CSV path or a PostgreSQL URL."""
    options = options or CsvOptions()
    report = LoadReport(file=source_label(source))
    frame = _frame(source, PRODUCT_REQUIRED, PRODUCT_COLUMNS, report, options)
    frame = _drop(frame, frame["product_id"] == "", "empty product_id", report, "product_id")
    frame = _drop(frame, frame["title"] == "", "empty title", report, "title")
    parsed = {text: parse_price(text) for text in frame["price"].unique()}
    problem = frame["price"].map(lambda text: parsed[text][1])
    for reason in problem.dropna().unique():
        frame = _drop(frame, problem.loc[frame.index] == reason, str(reason), report, "price")
    price = frame["price"].map(lambda text: parsed[text][0]).astype(float)
    separator = options.category_separator
    categories = {text: split_categories(text, separator) for text in frame["category"].unique()}
    frame = frame.assign(price=price, category=frame["category"].map(categories))
    duplicated = frame.duplicated("product_id", keep="last")
    reason = "duplicate product_id (the last row kept)"
    frame = _drop(frame, duplicated, reason, report, "product_id")
    return Catalog(products=_finish(frame, list(PRODUCT_COLUMNS), report), report=report)


def load_interactions(
    source: Path | str,
    known_products: Iterable[str],
    weights: EventWeights,
    options: CsvOptions | None = None,
) -> Interactions:
    """Events from a CSV path or a PostgreSQL URL."""
    report = LoadReport(file=source_label(source))
    wanted = (*INTERACTION_REQUIRED, "rating")
    frame = _frame(source, INTERACTION_REQUIRED, wanted, report, options or CsvOptions())
    frame = _drop(frame, frame["user_id"] == "", "empty user_id", report, "user_id")
    frame = _drop(frame, frame["product_id"] == "", "empty product_id", report, "product_id")
    words = frame["interaction_type"]
    canonical_words = words.map({w: canonical(w) for w in words.unique()})
    unknown_type = ~canonical_words.isin(INTERACTION_TYPES)
    frame = _drop(frame, unknown_type, UNKNOWN_TYPE, report, "interaction_type")
    frame = frame.assign(interaction_type=canonical_words[~unknown_type])
    ts = parse_timestamps(frame["ts"])
    frame = _drop(frame, ts.isna(), "unparsable ts", report, "ts")
    unknown_product = ~frame["product_id"].isin(set(known_products))
    frame = _drop(frame, unknown_product, UNKNOWN_PRODUCT, report, "product_id")
    weight, bad_rating = _event_weights(frame, weights)
    frame = frame.assign(weight=weight)
    frame = _drop(frame, bad_rating, "unparsable rating", report, "rating")
    frame = frame.assign(ts=ts.loc[frame.index])
    columns = ["user_id", "product_id", "interaction_type", "ts", "weight"]
    return Interactions(events=_finish(frame, columns, report), report=report)


def _event_weights(frame: pd.DataFrame, weights: EventWeights) -> tuple[pd.Series, pd.Series]:
    """Weight per event; a `rating` event scales its weight by rating/5 (1..5 scale)."""
    by_type = weights.as_dict()
    weight = frame["interaction_type"].map(by_type).astype(float)
    is_rating = frame["interaction_type"] == "rating"
    rating = pd.to_numeric(frame["rating"], errors="coerce")
    bad = is_rating & ~rating.between(0, 5)
    scaled = weight * rating.clip(0, 5) / 5.0
    return weight.where(~is_rating, scaled), bad


class TooManyDroppedRows(CsvFormatError):
    """A file lost more than the allowed share of its rows; raised before anything is
    written, so the live version stays as it was."""


# What to do about the most frequent reason, for the refusal's message.
_FIXES = {
    "unparsable rating": "rating events need a numeric `rating` column (0 to 5; a `value` or "
    "`score` column is read as one)",
    "unparsable ts": "`ts` must be an ISO-8601 time (2026-08-03T00:04:19) or epoch seconds or "
    "milliseconds",
    UNKNOWN_PRODUCT: "the interactions name products missing from products.csv; check that both "
    "files come from the same export",
    UNKNOWN_TYPE: "`interaction_type` must be view, click, add_to_cart, purchase or rating "
    "(docs/configuration.md lists the synonyms)",
    MALFORMED: "rows have another field count than the header; check the delimiter "
    "(--delimiter) and the quoting",
    "unparsable price": "a price must be a number such as 12.50, $12.50 or 12,50 €, or empty",
    "empty title": "every product needs a title",
}


def check_dropped_share(report: LoadReport, max_share: float) -> None:
    """Raise TooManyDroppedRows when `report` dropped more than `max_share` of its rows."""
    share = report.dropped_share
    if share <= max_share or not report.dropped:
        return
    top = report.dropped.most_common(1)[0][0]
    fix = _FIXES.get(top, f"fix the rows dropped as '{top}'")
    raise TooManyDroppedRows(
        f"{report.file}: {report.rows_read - report.rows_kept:,} of {report.rows_read:,} rows "
        f"dropped ({share:.0%}, over the {max_share:.0%} limit); nothing was written and the "
        f"live version is unchanged. Top reasons: {'; '.join(report.top_reasons(3))}. First bad "
        f"{report.row_word}: {report.first_bad_line}. Fix: {fix}. To build anyway, raise "
        "--max-dropped-share or pass --allow-drops."
    )
