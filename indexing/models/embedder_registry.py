"""The content embedders by name: a new one for a build, or the one a live version was built with.

`make_embedder(name, settings)` is what `shoprec index` uses; `load_embedder(meta.embedder,
blob)` (blob = `content_model_store.load_content_model(...)`) gives `reindex` the
embedder of the live version, so new products land in the same vector space. Only the
sbert path imports torch (inside indexing.models.sentence_embedder, on first use).
"""

from __future__ import annotations

from indexing.contract.settings import Settings
from indexing.models.content_embedder import ContentEmbedder, TfidfSvdEmbedder
from indexing.models.sentence_embedder import (
    SemanticExtraMissing,
    SentenceEmbedder,
    require_semantic_extra,
)

EMBEDDERS = ("tfidf", "sbert")


class EmbedderError(Exception):
    """An embedder that cannot be had: unknown name, or its optional extra is not installed.

    The message is one line for the user; commands print it and exit with code 2.
    """


def require_embedder(name: str) -> None:
    """Raise EmbedderError now if `name` cannot run here (unknown, or its extra is missing)."""
    if name == "sbert":
        _sentence_embedder_class()
    elif name not in EMBEDDERS:
        raise EmbedderError(_unknown(name))


def make_embedder(name: str, settings: Settings, quiet: bool = False) -> ContentEmbedder:
    """A fresh (unfitted) embedder; fails early, before any work, when it cannot run."""
    if name == "tfidf":
        return TfidfSvdEmbedder(dims=settings.catalog.content_dims)
    if name == "sbert":
        return _sentence_embedder_class()(batch_size=settings.catalog.sbert_batch_size, quiet=quiet)
    raise EmbedderError(_unknown(name))


def load_embedder(name: str, blob: bytes, quiet: bool = False) -> ContentEmbedder:
    """The embedder a version was built with, from its name (meta.embedder) and stored blob."""
    if name == "tfidf":
        return TfidfSvdEmbedder.from_bytes(blob)
    if name == "sbert":
        embedder = _sentence_embedder_class().from_bytes(blob)
        embedder.quiet = quiet
        return embedder
    raise EmbedderError(_unknown(name))


def _sentence_embedder_class() -> type[SentenceEmbedder]:
    try:
        require_semantic_extra()
    except SemanticExtraMissing as exc:
        raise EmbedderError(str(exc)) from exc
    return SentenceEmbedder


def _unknown(name: str) -> str:
    return f"unknown content embedder {name!r} (SHOPREC_EMBEDDER / --embedder): use one of " + (
        ", ".join(EMBEDDERS)
    )
