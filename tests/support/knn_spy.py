"""A record of the KNN searches the service sends (each batch's `k` per query), for tests
that check how wide a request searches."""

from __future__ import annotations

from typing import Any

import pytest

from service.store.catalog_reader import CatalogView
from service.store.vector_search import KnnQuery, VectorSearch


def spy_knn_sizes(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """From now on (for the test), every `VectorSearch.knn_batch` call appends its queries'
    `k`s to the list returned, then searches as before."""
    searched: list[list[int]] = []
    original = VectorSearch.knn_batch

    async def spied(self: VectorSearch, view: CatalogView, queries: list[KnnQuery]) -> Any:
        searched.append([q.k for q in queries])
        return await original(self, view, queries)

    monkeypatch.setattr(VectorSearch, "knn_batch", spied)
    return searched


def spy_single_knn_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """As `spy_knn_sizes`, for the single searches (`VectorSearch.knn`: the content and
    together endpoints): each one's `k`."""
    searched: list[int] = []
    original = VectorSearch.knn

    async def spied(
        self: VectorSearch,
        view: CatalogView,
        field: str,
        vector: Any,
        k: int,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        searched.append(k)
        return await original(self, view, field, vector, k, *args, **kwargs)

    monkeypatch.setattr(VectorSearch, "knn", spied)
    return searched
