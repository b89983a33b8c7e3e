"""`shoprec knn-command`: the printed line, parsed the way RedisInsight's Workbench and
redis-cli parse it, runs against the live index and finds the product's neighbours."""

from __future__ import annotations

import argparse

import pytest
import redis

from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.cli.errors import CommandError
from service.cli.knn_command_cmd import cmd_knn_command, workbench_escape


def split_cli_args(line: str) -> list[bytes]:
    """sdssplitargs (redis-cli; ported as-is by RedisInsight): words, and "..." with \\xNN."""
    args: list[bytes] = []
    i = 0
    while i < len(line):
        while i < len(line) and line[i] == " ":
            i += 1
        if i >= len(line):
            break
        if line[i] == '"':
            i += 1
            out = bytearray()
            while line[i] != '"':
                if line[i] == "\\" and line[i + 1] == "x":
                    out.append(int(line[i + 2 : i + 4], 16))
                    i += 4
                else:
                    out += line[i].encode()
                    i += 1
            args.append(bytes(out))
            i += 1
        else:
            end = line.find(" ", i)
            end = len(line) if end < 0 else end
            args.append(line[i:end].encode())
            i = end
    return args


def _run(settings: Settings, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    args = argparse.Namespace(product_id=argv[0], vector=argv[1], top_k=int(argv[2]))
    assert cmd_knn_command(args, settings) == 0
    return capsys.readouterr().out.strip()


def test_escape_round_trips_every_byte() -> None:
    blob = bytes(range(256))
    assert split_cli_args(f"X {workbench_escape(blob)}") == [b"X", blob]


@pytest.mark.parametrize("vector", ["content", "cf"])
def test_printed_command_finds_the_product_first(
    demo_index: Settings,
    redis_client: redis.Redis,
    capsys: pytest.CaptureFixture[str],
    vector: str,
) -> None:
    layout = RedisLayout(demo_index.redis.key_prefix)
    version = int(redis_client.hget(layout.meta, "version"))  # type: ignore[arg-type]
    top = redis_client.zrevrange(layout.popular(version), 0, 0)
    product_id = bytes(top[0]).decode()  # type: ignore[arg-type]
    line = _run(demo_index, capsys, product_id, vector, "5")
    assert line.startswith(f"FT.SEARCH {layout.alias} ")
    reply = redis_client.execute_command(*split_cli_args(line))  # RESP3: a map
    hits = [(hit[b"id"].decode(), hit[b"extra_attributes"]) for hit in reply[b"results"]]
    ids = [fields[b"product_id"] for _, fields in hits]
    assert len(ids) == 6 and len(set(ids)) == 6
    if vector == "content":  # cosine: the product is its own nearest neighbour
        assert hits[0][0] == layout.product(version, product_id)
        assert float(hits[0][1][b"distance"]) == pytest.approx(0.0, abs=1e-4)


def test_unknown_product_is_one_clear_error(
    demo_index: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(CommandError, match="unknown product 'NOPE'"):
        _run(demo_index, capsys, "NOPE", "content", "3")
