"""The event words both sides accept: the CSV's interaction types and POST /feedback's actions.

One table of synonyms serves the CSV loader and the feedback endpoint, so a word a shop's
tracking code sends means the same thing in a file and in a live event.
"""

from __future__ import annotations

# What the CF model learns from; `rating` only comes from a CSV with a rating column.
INTERACTION_TYPES = ("view", "click", "add_to_cart", "purchase", "rating")
# A user's "no": never show that product to that user again (feedback only).
DISMISS = "dismiss"
# Words a shop's tracking code sends for the same event.
SYNONYMS = {"clicked": "click", "cart": "add_to_cart", "addtocart": "add_to_cart"}


def canonical(word: str) -> str:
    """The canonical name of an event word (lower-cased, spaces as underscores, synonyms
    resolved); unknown words come back normalised, for the caller to refuse."""
    normalised = word.lower().replace(" ", "_")
    return SYNONYMS.get(normalised, normalised)
