"""`shoprec export-feedback`: the feedback stream as an interactions CSV.

Columns `user_id,product_id,interaction_type,ts` with ts in ISO-8601 UTC (milliseconds), which
`shoprec index --interactions` reads back unchanged. Dismissals are not interactions (the CSV
format has no such type, and they already persist in Redis across rebuilds), so they are left
out unless asked for; written, they carry interaction_type `dismiss`, which the loader counts
as an unknown type and drops.

Ids come from `POST /feedback`, so from anyone: a cell that a spreadsheet would run as a
formula (one that starts with = + - @, a tab or a carriage return) is written with a leading
`'`, which shows the text as it is (OWASP's CSV injection advice). Such an id reads back with
the quote; ordinary ids are unchanged.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import redis

from indexing.contract.event_types import DISMISS
from indexing.contract.redis_layout import RedisLayout
from indexing.feedback.feedback_log import read_entries

COLUMNS = ("user_id", "product_id", "interaction_type", "ts")
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class ExportSummary:
    written: int = 0
    dismissals_skipped: int = 0


def spreadsheet_safe(cell: str) -> str:
    """The cell, quoted with a leading `'` if a spreadsheet would take it for a formula."""
    return f"'{cell}" if cell.startswith(FORMULA_LEADS) else cell


def iso_utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="milliseconds")


def export_feedback(
    client: redis.Redis, layout: RedisLayout, out: Path, include_dismiss: bool = False,
    streams: int = 1,
) -> ExportSummary:  # fmt: skip
    summary = ExportSummary()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for entry in read_entries(client, layout, count=streams):
            if entry.action == DISMISS and not include_dismiss:
                summary.dismissals_skipped += 1
                continue
            cells = (entry.user_id, entry.product_id, entry.action)
            writer.writerow((*map(spreadsheet_safe, cells), iso_utc(entry.ts)))
            summary.written += 1
    return summary
