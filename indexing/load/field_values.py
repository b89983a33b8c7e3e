"""Field values as shops export them: prices with currency signs or decimal commas, several
categories in one cell, times as ISO-8601 or epoch numbers. Each parser reads what is
unambiguous and leaves the rest as NaN (or a reason) for the loader to drop and count.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from indexing.contract.index_schema import CATEGORY_SEPARATOR

UNPARSABLE_PRICE = "unparsable price"
AMBIGUOUS_PRICE = "ambiguous price (a comma could be a decimal or a thousands separator)"
NEGATIVE_PRICE = "negative price"

# Currency signs and ISO codes at either end of a price ("$12.50", "12,50 €", "EUR 9.99").
_CURRENCY = re.compile(r"^(?:[$€£¥₹]|[A-Za-z]{3})?\s*(.*?)\s*(?:[$€£¥₹]|[A-Za-z]{3})?$")
# 1.299,00 (dots group thousands, the comma is the decimal point) and 1,299.00 (the reverse).
_DOT_GROUPS_COMMA_DECIMAL = re.compile(r"^\d{1,3}(?:\.\d{3})+,\d+$")
_COMMA_GROUPS_DOT_DECIMAL = re.compile(r"^\d{1,3}(?:,\d{3})+\.\d+$")
_COMMA_DECIMAL = re.compile(r"^\d+,\d{1,2}$")  # 12,5 or 12,50: never a thousands group
_COMMA_GROUPS = re.compile(r"^\d{1,3}(?:,\d{3}){2,}$")  # 1,299,000: two groups, no decimal
_AMBIGUOUS = re.compile(r"^\d{1,3},\d{3}$")  # 1,299: 1299 or 1.299?
_SPACES = re.compile(r"[\s\u00a0\u202f']")  # 1 299,00 and 1'299.00 group with spaces/quotes


def parse_price(text: str) -> tuple[float | None, str | None]:
    """(price, None) for a readable price, (None, None) for an empty one (no price), and
    (None, reason) for one to drop."""
    if not text:
        return None, None
    match = _CURRENCY.match(text.strip())
    body = _SPACES.sub("", match.group(1) if match else text)
    negative = body.startswith("-")
    body = body.removeprefix("-")
    if _DOT_GROUPS_COMMA_DECIMAL.match(body):
        body = body.replace(".", "").replace(",", ".")
    elif _COMMA_GROUPS_DOT_DECIMAL.match(body) or _COMMA_GROUPS.match(body):
        body = body.replace(",", "")
    elif _COMMA_DECIMAL.match(body):
        body = body.replace(",", ".")
    elif _AMBIGUOUS.match(body):
        return None, AMBIGUOUS_PRICE
    try:
        value = float(body)
    except ValueError:
        return None, UNPARSABLE_PRICE
    if not math.isfinite(value):
        return None, UNPARSABLE_PRICE
    if negative and value > 0:
        return None, NEGATIVE_PRICE
    return value, None


def split_categories(text: str, separator: str) -> str:
    """A cell of one or more categories as stored: stripped, empties and repeats dropped,
    joined by the index's tag separator. `separator` empty: the cell is one category."""
    parts = text.split(separator) if separator else [text]
    kept = dict.fromkeys(p.strip() for p in parts if p.strip())
    return CATEGORY_SEPARATOR.join(kept)


# Epoch numbers are told apart by size: seconds up to 1e11 (year 5138), milliseconds up to
# 1e14 (year 5138 again), microseconds above; every real event log fits one of the three.
_MS_FROM = 1e11
_US_FROM = 1e14
_TS_MAX = pd.Timestamp.max.tz_localize("UTC")
_TS_MIN = pd.Timestamp.min.tz_localize("UTC")


def parse_timestamps(raw: pd.Series) -> pd.Series:
    """ISO-8601 strings or epoch seconds, milliseconds or microseconds (mixed freely) to epoch
    seconds (float); zone-less times are taken as UTC; NaN where unreadable."""
    number = pd.to_numeric(raw, errors="coerce").astype(float)
    scale = number.abs().map(lambda x: 1e-6 if x >= _US_FROM else 1e-3 if x >= _MS_FROM else 1.0)
    seconds = number * scale
    text = raw[number.isna()]
    if len(text):
        parsed = pd.to_datetime(text, errors="coerce", utc=True, format="ISO8601")
        # pandas 3 keeps times outside the nanosecond range (years 1677..2262) at a coarser
        # unit, and the subtraction below would overflow on them; no real event is there.
        parsed = parsed.where((parsed >= _TS_MIN) & (parsed <= _TS_MAX))
        seconds.loc[text.index] = (parsed - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return seconds.where(seconds.abs() < 1e13)  # inf and absurd numbers are no times
