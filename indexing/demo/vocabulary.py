"""The demo shop's vocabulary and price model per category, read from vocabulary.json.

The words are data, not code: vocabulary.json sits next to this module and ships as package
data (pyproject.toml), so a plain `pip install .` can generate catalogues too. Order counts:
the generator draws indices into these lists and walks the categories in file order, so
reordering, adding or removing a word changes every generated file (data/ is committed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

VOCABULARY_FILE = "vocabulary.json"


@dataclass(frozen=True)
class CategorySpec:
    """Vocabulary and price model of one category."""

    brands: tuple[str, ...]
    adjectives: tuple[str, ...]
    materials: tuple[str, ...]  # or whatever qualifies the noun: "Bluetooth", "Italian"
    nouns: tuple[str, ...]
    variants: tuple[str, ...]  # colours, flavours, formats ... (the near-duplicate axis)
    sizes: tuple[str, ...]  # ascending, so that price can grow with the size rank
    features: tuple[str, ...]  # phrases that follow a noun: "with ...", "designed to ..."
    benefits: tuple[str, ...]  # full sentences
    price_median: float
    price_sigma: float
    related: tuple[str, ...]


def _spec(name: str, entry: dict[str, Any]) -> CategorySpec:
    expected = {f.name for f in fields(CategorySpec)}
    if set(entry) != expected:
        raise ValueError(
            f"{VOCABULARY_FILE}: category {name!r} has keys {sorted(entry)}, "
            f"expected {sorted(expected)}"
        )
    values: dict[str, Any] = {
        key: float(value) if key.startswith("price_") else tuple(str(v) for v in value)
        for key, value in entry.items()
    }
    return CategorySpec(**values)


def load_categories() -> dict[str, CategorySpec]:
    """Every category of vocabulary.json, in file order."""
    text = Path(__file__).with_name(VOCABULARY_FILE).read_text(encoding="utf-8")
    return {name: _spec(name, entry) for name, entry in json.loads(text)["categories"].items()}


CATEGORIES: dict[str, CategorySpec] = load_categories()
