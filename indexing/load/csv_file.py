"""Open a CSV the way shops export them: plain or gzipped, UTF-8 (with or without a byte order
mark) or UTF-16, separated by commas, semicolons (Excel in much of Europe) or tabs.

The encoding and the delimiter are decided from the first bytes and the header line, so the
caller gets rows plus the line number each came from (for the examples in the summary).
Anything we cannot read is a `CsvFormatError` with one line saying what to do.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, cast

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_GZIP_MAGIC = b"\x1f\x8b"


class CsvFormatError(ValueError):
    """The file cannot be used at all; the message names the file and the problem."""


def delimiter_name(delimiter: str) -> str:
    return _DELIMITER_NAMES.get(delimiter, repr(delimiter))


@dataclass(frozen=True)
class CsvRows:
    header: list[str]  # lower-cased, stripped
    delimiter: str
    rows: Iterator[tuple[int, list[str]]]  # (line number in the file, fields); [] = malformed
    row_word: str = "line"  # what the positions count ("row" for a PostgreSQL source)


def _encoding(head: bytes) -> str:
    """UTF-16 by its byte order mark or by NUL bytes in every other position (an ASCII header
    written as UTF-16 without a mark); else UTF-8, whose optional mark utf-8-sig drops."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] and head[2]:
        return "utf-16-le"
    if len(head) >= 4 and head[0] == 0 and head[2] == 0 and head[1] and head[3]:
        return "utf-16-be"
    return "utf-8-sig"


def _open_binary(path: Path) -> BinaryIO:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == _GZIP_MAGIC
    return cast(BinaryIO, gzip.open(path, "rb")) if gzipped else path.open("rb")


def _open_text(path: Path) -> IO[str]:
    try:
        with _open_binary(path) as probe:
            head = probe.read(4)
    except (OSError, EOFError) as exc:  # a truncated or corrupt .gz
        raise CsvFormatError(f"{path}: cannot read the file: {exc}") from None
    return io.TextIOWrapper(
        _open_binary(path), encoding=_encoding(head), errors="strict", newline=""
    )


def _sniff(header_line: str, required: Iterable[str]) -> str:
    """The delimiter whose split of the header has the required columns; failing that, the
    one that occurs most (the missing-column message then shows the header as split)."""
    wanted = list(required)
    for delimiter in DELIMITERS:
        names = [h.strip().strip('"').lower() for h in header_line.split(delimiter)]
        if all(c in names for c in wanted):
            return delimiter
    return max(DELIMITERS, key=header_line.count)


def open_csv(path: Path, required: Iterable[str], delimiter: str | None = None) -> CsvRows:
    """Rows of `path` with its header checked for `required` columns. `delimiter` None: sniff."""
    if not path.exists():
        raise CsvFormatError(f"{path}: file not found")
    handle = _open_text(path)
    try:
        first = handle.readline()
    except UnicodeDecodeError as exc:
        handle.close()
        raise _not_text(path, exc) from None
    except (OSError, EOFError) as exc:
        handle.close()
        raise CsvFormatError(f"{path}: cannot read the file: {exc}") from None
    if not first.strip():
        handle.close()
        raise CsvFormatError(f"{path}: file is empty (expected a header row)")
    first = first.lstrip("\ufeff")  # a second byte order mark (one is the codec's)
    required = tuple(required)
    used = delimiter if delimiter is not None else _sniff(first, required)
    try:
        header = [h.strip().lower() for h in next(csv.reader([first], delimiter=used))]
    except csv.Error as exc:
        handle.close()
        raise CsvFormatError(f"{path}: cannot read the header row: {exc}") from None
    for column in required:
        if column not in header:
            handle.close()
            raise CsvFormatError(
                f"{path}: missing required column '{column}' (header read with the "
                f"{delimiter_name(used)} delimiter: {' | '.join(header)}); if the file uses "
                "another delimiter, pass --delimiter"
            )
    return CsvRows(header, used, _rows(path, handle, used))


def _rows(path: Path, handle: IO[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(handle, delimiter=delimiter)
    with handle:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error:
                yield reader.line_num + 1, []  # counted as malformed by the caller
                continue
            except UnicodeDecodeError as exc:
                raise _not_text(path, exc) from None
            except (OSError, EOFError) as exc:  # a truncated .gz
                raise CsvFormatError(f"{path}: cannot read the file: {exc}") from None
            if row:  # blank lines are not rows
                yield reader.line_num + 1, row  # +1: the header line was read before


def _not_text(path: Path, exc: UnicodeDecodeError) -> CsvFormatError:
    return CsvFormatError(
        f"{path}: not UTF-8 or UTF-16 text (byte 0x{exc.object[exc.start]:02x} cannot be "
        "decoded); save the file as UTF-8 (CSV UTF-8 in Excel) and try again"
    )
