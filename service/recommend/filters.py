"""What a request's filters mean, in one place: the filter inside the KNN query."""

from __future__ import annotations

from service.recommend.base import RecommendRequest
from service.store.vector_search import SearchFilter


def search_filter(request: RecommendRequest) -> SearchFilter:
    return SearchFilter(request.category, request.price_min, request.price_max)
