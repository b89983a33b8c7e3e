"""README's Redis key tables and its RedisInsight guide name the keys, fields and commands the
code really writes and prints."""

from __future__ import annotations

import re

import yaml

from indexing.contract.index_schema import CF_QUERY_FIELD, CONTENT_FIELD, SCHEMA_FILE
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import PROJECT_ROOT
from service.cli.knn_command_cmd import knn_command_line

README = PROJECT_ROOT / "README.md"
KEYS_HEADING = "## Layout and Redis keys"
GUIDE_HEADING = "### Inspecting the index in RedisInsight"


def _section(heading: str) -> str:
    """README from `heading` up to the next heading of the same or a higher level."""
    text = README.read_text()
    assert heading in text, f"no '{heading}' in README.md"
    start = text.index(heading) + len(heading)
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
        layout.history(n, "{user_id}"),  # type: ignore[arg-type]
        layout.bought(n, "{user_id}"),  # type: ignore[arg-type]
        layout.popular(n),  # type: ignore[arg-type]
        layout.cache_prefix(n),  # type: ignore[arg-type]
        layout.user_cache(n, "{user_id}"),  # type: ignore[arg-type]
        layout.models(n),  # type: ignore[arg-type]
        layout.dismissed("{user_id}"),
        layout.ab_counters("{experiment}"),
        layout.ab_user_variant("{experiment}"),
    ]
    keys = _section(KEYS_HEADING)
    missing = [name for name in names if f"`{name}" not in keys]
    assert not missing, missing


def test_key_table_describes_every_product_field() -> None:
    fields = [f["name"] for f in yaml.safe_load(SCHEMA_FILE.read_text())["fields"]]
    fields += [CF_QUERY_FIELD, "description", "img_url", "content_hash"]
    keys = _section(KEYS_HEADING)
    missing = [field for field in fields if f"`{field}`" not in keys]
    assert not missing, missing


def test_guide_queries_the_alias_and_shows_the_knn_line_the_command_prints() -> None:
    layout = RedisLayout("shoprec")
    guide = _section(GUIDE_HEADING)
    assert f"FT.INFO {layout.alias}" in guide
    assert "#layout-and-redis-keys" in guide  # points at the key tables instead of repeating them
    line = knn_command_line(layout.alias, CONTENT_FIELD, b"\x84\x74", 11)
    head, _, tail = line.partition(' "\\x84\\x74"')
    assert head in guide, head
    assert tail.strip() in guide, tail
