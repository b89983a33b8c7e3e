"""What a RediSearch TAG value from a user may hold: any text but control characters.

redisvl's Tag filter escapes every query-syntax character, and a value with other text around
a control character parses; but the tag tokenizer trims control characters away, so a value
made only of them leaves an empty `{}` and the query fails to parse, and NUL fails anywhere.
Refusing control characters (U+0000..U+001F, U+007F) outright is one rule that is easy to
state and to check, and no catalog category needs them.
"""

from __future__ import annotations

import re

# For OpenAPI schemas (`schema_extra={"pattern": TAG_PATTERN}`): what check_tag_value admits.
TAG_PATTERN = "^[^\\x00-\\x1f\\x7f]*$"
TAG_RULE = "must not contain control characters (U+0000..U+001F, U+007F)"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_tag_value(name: str, value: str | None) -> None:
    """ValueError (a 422 at the HTTP edge) naming the parameter and the rule."""
    if value and _CONTROL.search(value):
        raise ValueError(f"{name} {TAG_RULE}")
