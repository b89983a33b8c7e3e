"""The RedisInsight guide names the keys and fields the code really writes."""

from __future__ import annotations

import yaml

from indexing.index_schema import CF_QUERY_FIELD, SCHEMA_FILE
from indexing.redis_layout import RedisLayout
from indexing.settings import PROJECT_ROOT

SECTION = PROJECT_ROOT / "docs" / "readme-sections" / "issue-8.md"
HEADING = "## Inspecting the index in RedisInsight"


def _guide() -> str:
    # The lead copies the section into README.md; whichever holds it is checked.
    for path in (SECTION, PROJECT_ROOT / "README.md"):
        if path.exists() and HEADING in path.read_text():
            text = path.read_text()
            return text[text.index(HEADING) :]
    raise AssertionError(f"no '{HEADING}' in {SECTION} or README.md")


def test_guide_names_every_key_as_the_layout_writes_it() -> None:
    layout = RedisLayout("shoprec")
    n = "{n}"
    names = [
        layout.alias,
        layout.meta,
        layout.version_counter,
        layout.feedback_stream,
        layout.index_name(n),  # type: ignore[arg-type]
        layout.product(n, "{product_id}"),  # type: ignore[arg-type]
        layout.history(n, "{user_id}"),  # type: ignore[arg-type]
        layout.bought(n, "{user_id}"),  # type: ignore[arg-type]
        layout.popular(n),  # type: ignore[arg-type]
        layout.cache_prefix(n),  # type: ignore[arg-type]
        layout.dismissed("{user_id}"),
        layout.ab_counters("{experiment}"),
        layout.ab_user_variant("{experiment}"),
    ]
    guide = _guide()
    missing = [name for name in names if f"`{name}" not in guide]
    assert not missing, missing


def test_guide_describes_every_product_field() -> None:
    fields = [f["name"] for f in yaml.safe_load(SCHEMA_FILE.read_text())["fields"]]
    fields += [CF_QUERY_FIELD, "description", "img_url", "content_hash"]
    guide = _guide()
    assert all(f"`{field}`" in guide for field in fields), fields
