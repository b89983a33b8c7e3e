"""The content-embedder contract, held by every embedder in the registry (tfidf and sbert).

Written once and run for each implementation: unit-length float32 rows, the same answer twice,
a serialised form that `load_embedder` turns back into the same vector space, and text
similarity that a shopper would agree with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indexing.contract.settings import PROJECT_ROOT, get_settings
from indexing.models.content_embedder import ContentEmbedder, product_texts
from indexing.models.embedder_registry import EMBEDDERS, load_embedder, make_embedder

PROBES = [
    "Trailblaze Waterproof Hiking Boots, Brown, Size 42",
    "Trailblaze waterproof hiking boot, brown, size 43",
    "Mira Foods Cold-pressed Italian Peanut Butter, Pack of 6",
]


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    products = pd.read_csv(PROJECT_ROOT / "data" / "products.csv", dtype=str).head(200)
    return product_texts(products) + PROBES


@pytest.fixture(scope="module", params=EMBEDDERS)
def fitted(request: pytest.FixtureRequest, corpus: list[str]) -> tuple[ContentEmbedder, np.ndarray]:
    """An embedder fitted on the corpus, with the corpus vectors (sbert's model loads once)."""
    settings = get_settings().replace(catalog={"content_dims": 64})
    embedder = make_embedder(request.param, settings, quiet=True)
    return embedder, embedder.fit_transform(corpus)


def test_rows_are_unit_float32_of_the_stated_size(fitted, corpus):
    embedder, vectors = fitted
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(corpus), embedder.output_dims)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_transform_is_deterministic_and_matches_the_fit(fitted, corpus):
    embedder, vectors = fitted
    again = embedder.transform(PROBES)
    np.testing.assert_allclose(again, embedder.transform(PROBES), atol=1e-6)
    np.testing.assert_allclose(again, vectors[-len(PROBES) :], atol=1e-5)


def test_serialised_embedder_gives_the_same_vectors(fitted):
    embedder, _ = fitted
    restored = load_embedder(embedder.name, embedder.to_bytes(), quiet=True)
    assert (restored.name, restored.model_name) == (embedder.name, embedder.model_name)
    np.testing.assert_allclose(restored.transform(PROBES), embedder.transform(PROBES), atol=1e-5)


def test_near_duplicates_are_closer_than_unrelated_products(fitted):
    embedder, _ = fitted
    boots, boots_again, peanut_butter = embedder.transform(PROBES)
    assert boots @ boots_again > boots @ peanut_butter + 0.2
