"""Content vectors from product text: TF-IDF over title, category and description -> SVD.

The fitted model is serialised to plain arrays (no pickle) so it can be kept in Redis beside
the version it built, and `reindex` can embed new products into the same space later.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

# Title words say most about what a product is, so the title is given twice.
TITLE_REPEAT = 2


class ContentEmbedder(Protocol):
    """What the index build and `reindex` need from a content model (see embedder_registry).

    `fit_transform` embeds a whole catalog (fitting where the model learns from it);
    `transform` embeds more products into the same space later. `to_bytes` is what is kept in
    Redis beside the version, and `embedder_registry.load_embedder(name, blob)` reverses it.
    Output rows are unit length (float32), so cosine distance and inner product agree.
    """

    name: str

    @property
    def model_name(self) -> str:
        """Which model exactly, for the index metadata (e.g. "all-MiniLM-L6-v2")."""
        ...

    @property
    def output_dims(self) -> int: ...

    def fit_transform(self, texts: list[str]) -> np.ndarray: ...

    def transform(self, texts: list[str]) -> np.ndarray: ...

    def to_bytes(self) -> bytes: ...


def product_texts(products: pd.DataFrame) -> list[str]:
    """The text the content model reads for each product."""
    title = products["title"].fillna("")
    parts = [title] * TITLE_REPEAT + [
        products["category"].fillna(""),
        products["description"].fillna(""),
    ]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + " . " + part
    return joined.tolist()


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32)


@dataclass
class TfidfSvdEmbedder:
    """TF-IDF (unigrams + bigrams, sublinear tf) reduced by truncated SVD, unit-length output."""

    dims: int = 256
    name: str = "tfidf"
    _vectorizer: TfidfVectorizer | None = None
    _components: np.ndarray | None = None  # (dims, n_features)

    @property
    def model_name(self) -> str:
        dims = self.dims if self._components is None else self.output_dims
        return f"tfidf-svd{dims}"

    @property
    def output_dims(self) -> int:
        if self._components is None:
            raise RuntimeError("embedder is not fitted")
        return int(self._components.shape[0])

    def fit_transform(self, texts: list[str]) -> np.ndarray:
        vectorizer = _new_vectorizer()
        tfidf = vectorizer.fit_transform(texts)
        # SVD needs fewer components than both the vocabulary and the documents.
        dims = max(1, min(self.dims, tfidf.shape[1] - 1, tfidf.shape[0] - 1))
        svd = TruncatedSVD(n_components=dims, algorithm="randomized", n_iter=5, random_state=0)
        reduced = svd.fit_transform(tfidf)
        self._vectorizer, self._components = vectorizer, svd.components_.astype(np.float32)
        return self._unit_rows(reduced)

    def transform(self, texts: list[str]) -> np.ndarray:
        if self._vectorizer is None or self._components is None:
            raise RuntimeError("embedder is not fitted")
        tfidf = self._vectorizer.transform(texts)
        return self._unit_rows(np.asarray(tfidf @ self._components.T))

    def _unit_rows(self, reduced: np.ndarray) -> np.ndarray:
        """L2-normalised rows; a text with no known word (e.g. the title "X") gets a unit vector.

        A zero vector has no cosine: RediSearch answers NaN distances for it and NaN sorts
        first, so such a product would top every content KNN answer. TF-IDF is non-negative, so
        the first SVD axis has one sign for every text; the opposite direction of that axis has
        cosine <= 0 with every product: as far from all of them as a unit vector can be.
        """
        assert self._components is not None
        vectors = l2_normalise(reduced)
        empty = ~vectors.any(axis=1)
        if empty.any():
            vectors[empty] = 0.0
            vectors[empty, 0] = -1.0 if self._components[0].sum() >= 0 else 1.0
        return vectors

    def to_bytes(self) -> bytes:
        if self._vectorizer is None or self._components is None:
            raise RuntimeError("embedder is not fitted")
        vocabulary = sorted(self._vectorizer.vocabulary_.items(), key=lambda kv: kv[1])
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            kind=np.array(self.name),
            terms=np.array(json.dumps([term for term, _ in vocabulary])),
            idf=self._vectorizer.idf_.astype(np.float64),
            components=self._components,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> TfidfSvdEmbedder:
        with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
            terms = json.loads(str(arrays["terms"]))
            vectorizer = _new_vectorizer(vocabulary={term: i for i, term in enumerate(terms)})
            vectorizer.idf_ = arrays["idf"]
            components = arrays["components"]
        return cls(dims=int(components.shape[0]), _vectorizer=vectorizer, _components=components)


def _new_vectorizer(vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(
        lowercase=True,
        ngram_range=(1, 2),
        min_df=1,
        max_features=200_000,
        sublinear_tf=True,
        dtype=np.float32,
        vocabulary=vocabulary,
    )
