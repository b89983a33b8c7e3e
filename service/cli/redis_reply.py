"""Redis replies printed the way redis-cli prints them, so its habits and scripts carry over.

On a terminal: `PONG`, `"text"`, `(integer) 3`, `(nil)`, `(error) ...` and numbered arrays.
Piped (not a terminal), like `redis-cli` there too: raw values, one per line.
"""

from __future__ import annotations

from typing import TextIO

from redis.exceptions import ResponseError

# Without callbacks redis-py hands status replies over as bytes, like bulk strings; redis-cli
# prints these few bare, every other string quoted.
STATUS_REPLIES = {b"OK", b"PONG", b"QUEUED"}


def format_reply(reply: object, raw: bool) -> list[str]:
    """The lines redis-cli prints for `reply` (raw: its piped, unquoted form)."""
    if isinstance(reply, list | tuple | set):
        return _array(list(reply), raw)
    if isinstance(reply, dict):
        flat: list[object] = []
        for key, value in reply.items():
            flat += [key, value]
        return _array(flat, raw)
    return [_scalar(reply, raw)]


def print_reply(reply: object, out: TextIO, raw: bool) -> None:
    for line in format_reply(reply, raw):
        print(line, file=out)


def _array(items: list[object], raw: bool) -> list[str]:
    if not items:
        return [] if raw else ["(empty array)"]
    if raw:
        return [line for item in items for line in format_reply(item, raw)]
    width = len(str(len(items)))
    lines: list[str] = []
    for n, item in enumerate(items, 1):
        label = f"{n:>{width}}) "
        inner = format_reply(item, raw)
        lines.append(label + inner[0])
        lines += [" " * len(label) + line for line in inner[1:]]
    return lines


def _scalar(value: object, raw: bool) -> str:
    if value is None:
        return "" if raw else "(nil)"
    if isinstance(value, ResponseError):
        return f"(error) {value}"
    if isinstance(value, bool):  # redis-py turns some status replies into booleans
        return "OK" if value else ("0" if raw else "(integer) 0")
    if isinstance(value, int):
        return str(value) if raw else f"(integer) {value}"
    if isinstance(value, float):
        return repr(value) if raw else f"(double) {value!r}"
    if isinstance(value, bytes):
        text = value.decode("utf-8", errors="backslashreplace")
    else:
        text = str(value)
    if raw or value in STATUS_REPLIES or not isinstance(value, bytes):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
