"""Replies printed as redis-cli prints them, on a terminal and piped."""

from __future__ import annotations

from redis.exceptions import ResponseError

from service.cli.redis_reply import format_reply


def test_terminal_form() -> None:
    assert format_reply(b"PONG", raw=False) == ["PONG"]
    assert format_reply(b'a "b"', raw=False) == ['"a \\"b\\""']
    assert format_reply(7, raw=False) == ["(integer) 7"]
    assert format_reply(None, raw=False) == ["(nil)"]
    assert format_reply([], raw=False) == ["(empty array)"]
    assert format_reply(ResponseError("ERR x"), raw=False) == ["(error) ERR x"]


def test_nested_arrays_are_numbered_and_indented() -> None:
    lines = format_reply([b"a", [b"b", 2], None], raw=False)
    assert lines == ['1) "a"', '2) 1) "b"', "   2) (integer) 2", "3) (nil)"]


def test_piped_form_is_one_raw_value_per_line() -> None:
    assert format_reply([b"a", [b"b", 2], None], raw=True) == ["a", "b", "2", ""]
    assert format_reply({b"k": b"v"}, raw=True) == ["k", "v"]
