"""What a request's filters mean, in one place: inside the KNN query (`search_filter`) and on
lists that do not come from a KNN (the popular products, `admits`)."""

from __future__ import annotations

from service.recommend.base import RecommendRequest
from service.store.catalog_reader import ProductCard
from service.store.vector_search import SearchFilter


def search_filter(request: RecommendRequest) -> SearchFilter:
    return SearchFilter(
        request.category, request.price_min, request.price_max, request.without_categories
    )


def admits(search: SearchFilter, card: ProductCard) -> bool:
    """Whether a product passes the filter as the KNN's TAG and NUMERIC filters pass it: any of
    its categories matches, case-folded (a TAG field without CASESENSITIVE lowercases values
    and queries); a product without a price fails every price filter."""
    categories = card.category_keys
    if search.category and search.category.lower() not in categories:
        return False
    if search.without and not categories.isdisjoint(c.lower() for c in search.without):
        return False
    if card.price is None:
        return search.price_min is None and search.price_max is None
    if search.price_min is not None and card.price < search.price_min:
        return False
    return search.price_max is None or card.price <= search.price_max
