"""The saved content model of a version, loaded back by the embedder name in its meta.

`shoprec reindex` embeds new and changed products with the model the live version was built
with, so their vectors sit in the same space as everyone else's. Each embedder registers how to
rebuild itself from the bytes `store_content_model` kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from indexing.content_embedder import TfidfSvdEmbedder


class TextEmbedder(Protocol):
    name: str

    def transform(self, texts: list[str]) -> np.ndarray: ...


# Embedder name (CatalogMeta.embedder) -> loader of its saved model.
LOADERS: dict[str, Callable[[bytes], TextEmbedder]] = {
    "tfidf": TfidfSvdEmbedder.from_bytes,
}


class UnknownEmbedder(ValueError):
    pass


def load_embedder(name: str, blob: bytes) -> TextEmbedder:
    loader = LOADERS.get(name)
    if loader is None:
        known = ", ".join(sorted(LOADERS))
        raise UnknownEmbedder(f"no loader for the content embedder {name!r} (known: {known})")
    return loader(blob)
