"""Redis replies as text: clients built with or without `decode_responses` hand back bytes or
str, and every reader of ids, keys and meta fields wants str."""

from __future__ import annotations


def as_text(value: bytes | str | int | float) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return str(value)
