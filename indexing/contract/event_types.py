"""The event words both sides accept: the CSV's interaction types and POST /feedback's actions.

One table of synonyms serves the CSV loader and the feedback endpoint, so a word a shop's
tracking code sends means the same thing in a file and in a live event.
"""

from __future__ import annotations

# What the CF model learns from; `rating` only comes from a CSV with a rating column.
INTERACTION_TYPES = ("view", "click", "add_to_cart", "purchase", "rating")
# A user's "no": never show that product to that user again (feedback only).
DISMISS = "dismiss"
# What POST /feedback accepts (after `canonical`).
FEEDBACK_ACTIONS = ("view", "click", "add_to_cart", "purchase", DISMISS)
# Words a shop's tracking code sends for the same event.
SYNONYMS = {
    "clicked": "click",
    "cart": "add_to_cart",
    "addtocart": "add_to_cart",
    "purchased": "purchase",
    "buy": "purchase",
    "viewed": "view",
}


def canonical(word: str) -> str:
    """The canonical name of an event word: case, surrounding space and the separators `-`,
    `_` and space do not matter (`Add-to-cart`, `add to cart`); synonyms resolved. Unknown
    words come back normalised, for the caller to refuse."""
    normalised = "_".join(word.strip().lower().replace("-", " ").replace("_", " ").split())
    return SYNONYMS.get(normalised, normalised)


def spelling_pattern(canonical_names: tuple[str, ...]) -> str:
    """A regular expression (JSON Schema dialect) of every spelling `canonical` maps onto one of
    the names: each letter in either case, `-`, `_` and white space between the parts, for the
    OpenAPI schema, so a schema-driven client sends only what is accepted."""
    words = list(canonical_names)
    words += [word for word, name in SYNONYMS.items() if name in canonical_names]
    sep = r"[-_\s]"

    def spelled(word: str) -> str:
        parts = ["".join(f"[{c.upper()}{c}]" for c in part) for part in word.split("_")]
        return f"{sep}+".join(parts)

    return f"^{sep}*(" + "|".join(spelled(w) for w in words) + f"){sep}*$"


def accepted_words(canonical_names: tuple[str, ...]) -> str:
    """The names and their synonyms, for an error message that says what to send."""
    synonyms = sorted(word for word, name in SYNONYMS.items() if name in canonical_names)
    return ", ".join(canonical_names) + f" (also: {', '.join(synonyms)})"
