"""The Redis key tables (docs/architecture.md) and the RedisInsight guide (docs/operations.md)
name the keys, fields and commands the code really writes and prints."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from indexing.contract.index_schema import CF_QUERY_FIELD, CONTENT_FIELD, SCHEMA_FILE
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import PROJECT_ROOT
from service.cli.knn_command_cmd import knn_command_line

KEYS_DOC = PROJECT_ROOT / "docs" / "architecture.md"
KEYS_HEADING = "## Redis keys"
GUIDE_DOC = PROJECT_ROOT / "docs" / "operations.md"
GUIDE_HEADING = "## Inspecting the index in RedisInsight"


def _section(doc: Path, heading: str) -> str:
    """`doc` from `heading` up to the next heading of the same or a higher level."""
    text = doc.read_text()
    assert f"\n{heading}\n" in text, f"no '{heading}' in {doc.name}"
    start = text.index(f"\n{heading}\n") + len(heading) + 1
    level = len(heading.split(" ", 1)[0])
    following = re.compile(rf"^#{{1,{level}}} ", re.MULTILINE).search(text, start)
    return text[start : following.start() if following else len(text)]


def test_key_table_names_every_key_as_the_layout_writes_it() -> None:
    layout = RedisLayout("shoprec")
    n = "{n}"
    names = [
        layout.alias,
        layout.meta,
        layout.version_counter,
        layout.build_lock,
        layout.retired_versions,
        layout.feedback_stream,
        layout.index_name(n),  # type: ignore[arg-type]
        layout.product(n, "{product_id}"),  # type: ignore[arg-type]
        # A user's keys end in the hash tag `{user_id}` (RedisLayout.user_key).
        layout.history(n, "user_id"),  # type: ignore[arg-type]
        layout.history_window(n, "user_id"),  # type: ignore[arg-type]
        layout.bought(n, "user_id"),  # type: ignore[arg-type]
        layout.carted(n, "user_id"),  # type: ignore[arg-type]
        layout.popular(n),  # type: ignore[arg-type]
        layout.trending_hour(n, "{hour}"),  # type: ignore[arg-type]
        layout.cache_prefix(n),  # type: ignore[arg-type]
        layout.user_cache(n, "user_id"),  # type: ignore[arg-type]
        layout.models(n),  # type: ignore[arg-type]
        layout.dismissed("user_id"),
        layout.ab_counters("{experiment}"),
        layout.ab_user_variant("{experiment}", "user_id"),
        layout.feedback_rate_user("user_id"),
    ]
    keys = _section(KEYS_DOC, KEYS_HEADING)
    missing = [name for name in names if f"`{name}" not in keys]
    assert not missing, missing


def test_key_table_describes_every_product_field() -> None:
    fields = [f["name"] for f in yaml.safe_load(SCHEMA_FILE.read_text())["fields"]]
    fields += [CF_QUERY_FIELD, "description", "img_url", "content_hash"]
    keys = _section(KEYS_DOC, KEYS_HEADING)
    missing = [field for field in fields if f"`{field}`" not in keys]
    assert not missing, missing


def test_guide_queries_the_alias_and_shows_the_knn_line_the_command_prints() -> None:
    layout = RedisLayout("shoprec")
    guide = _section(GUIDE_DOC, GUIDE_HEADING)
    assert f"FT.INFO {layout.alias}" in guide
    # points at the key tables instead of repeating them
    assert "](architecture.md#redis-keys)" in guide
    line = knn_command_line(layout.alias, CONTENT_FIELD, b"\x84\x74", 11)
    head, _, tail = line.partition(' "\\x84\\x74"')
    assert head in guide, head
    assert tail.strip() in guide, tail
