"""KNN over the live index through its alias, with filters applied inside the query.

Filters are redisvl value objects (Tag, Num: the filter language escapes user text, so a
crafted category cannot widen or break the filter); the query itself is the FT.SEARCH that
redisvl's VectorQuery would send, built and parsed here, which keeps redisvl's and redis-py's
object layers off the hot path.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass

import numpy as np
import redis.asyncio as aioredis
from redisvl.query.filter import FilterExpression, Num, Tag

from indexing.contract.index_schema import CARD_FIELDS, RETURN_FIELDS
from service.recommend.base import Scored
from service.store.catalog_reader import CatalogView, ProductCard, as_vector
from service.store.read_routing import ReadRouting
from service.store.tag_value import check_tag_value

# Excluded ids are never put into the query as a negated tag list: RediSearch 2.10 plans a
# KNN under such a filter as a brute-force scan (measured at 50K products: 12-46 ms instead of
# well under 1 ms). Instead the query asks for k + len(exclude) neighbours and the excluded
# ones are dropped here, which gives the same answer.
MAX_KNN = 1000
DISTANCE = "vector_distance"
DISTANCE_KEY = DISTANCE.encode()


@dataclass(frozen=True)
class SearchFilter:
    category: str | None = None
    price_min: float | None = None
    price_max: float | None = None
    # Categories none of whose products may come back (the category cap's full ones, see
    # service/recommend/diversify.py); never from a request's text.
    without: frozenset[str] = frozenset()

    @property
    def broad(self) -> bool:
        """Only categories left out, so nearly the whole catalog passes. RediSearch plans
        every filtered KNN as a brute-force scan of what passes: right for a category (a few
        % of the catalog, 0.9 ms at 50K products), but over nearly all of it for this filter
        (10-11 ms at 50K); searching the HNSW graph in batches and filtering those takes
        0.35-0.6 ms (HYBRID_POLICY BATCHES)."""
        unpriced = self.price_min is None and self.price_max is None
        return bool(self.without) and not self.category and unpriced

    def expression(self) -> FilterExpression | None:
        """The filter inside the KNN query; None without one. Excluded ids are no part of it
        (see MAX_KNN)."""
        # The routes refuse such a category first; this keeps every other caller's query
        # parseable too.
        check_tag_value("category", self.category)
        parts: list[FilterExpression] = []
        if self.category:
            parts.append(Tag("category") == self.category)
        if self.price_min is not None:
            parts.append(Num("price") >= self.price_min)
        if self.price_max is not None:
            parts.append(Num("price") <= self.price_max)
        if self.without:
            parts.append(Tag("category") != sorted(self.without))
        if not parts:
            return None
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part
        return combined


class VectorSearch:
    def __init__(self, routing: ReadRouting, ef_runtime: int | None = None):
        self._routing = routing  # the read replica, where there is one
        self._ef_runtime = ef_runtime

    async def knn(
        self,
        view: CatalogView,
        field: str,
        vector: np.ndarray,
        k: int,
        search_filter: SearchFilter | None = None,
        exclude: Collection[str] = (),
        cards: bool = True,
        vector_field: str | None = None,
    ) -> list[Scored]:
        """The k nearest products on `field`, best first, scored 1 - distance: the cosine
        similarity on a cosine field, the dot product on an inner-product one (RediSearch's IP
        distance is 1 - dot). Each hit carries its card (title, category, price, image), read
        by the search itself. With `cards=False` it carries none: loading any field of a hit
        costs RediSearch more than the search itself (at k=40 on 50K products: 346 µs with id
        and title, 193 µs without), so a caller that keeps only a few of many candidates
        reads their cards after. `vector_field`: a vector field each hit also carries
        (`Scored.vector`; MMR's, see RecommendRequest.mmr_field), which costs the search less
        than a read after it."""
        flt = search_filter or SearchFilter()
        query = KnnQuery(field, vector, k, flt, exclude, cards, vector_field)
        arguments = self._arguments(view, query)
        reply = await self._routing.search(lambda client: client.execute_command(*arguments))
        return _scored(reply, view, query)

    async def knn_batch(self, view: CatalogView, queries: list[KnnQuery]) -> list[list[Scored]]:
        """Several KNN queries in one round trip (one pipeline), answers in query order."""
        if not queries:
            return []
        arguments = [self._arguments(view, query) for query in queries]

        async def run(client: aioredis.Redis) -> list[object]:
            pipe = client.pipeline(transaction=False)
            for command in arguments:
                pipe.execute_command(*command)
            return await pipe.execute()  # type: ignore[no-any-return]

        replies = await self._routing.search(run)
        return [_scored(r, view, q) for r, q in zip(replies, queries, strict=True)]

    def _arguments(self, view: CatalogView, query: KnnQuery) -> list[object]:
        expression = query.search_filter.expression()
        hnsw = view.meta.params.get("vector_algorithm", "hnsw") == "hnsw"
        # The versioned index, not the alias: the whole request sees one version.
        return knn_arguments(
            view.layout.index_name(view.version),
            query.field,
            query.vector.astype(np.float32, copy=False).tobytes(),
            min(query.k + len(query.exclude), MAX_KNN),
            str(expression) if expression is not None else "*",
            # EF_RUNTIME is an HNSW parameter; a FLAT index rejects it.
            self._ef_runtime if hnsw else None,
            (RETURN_FIELDS if query.cards else ())
            + ((query.vector_field,) if query.vector_field else ()),
            batches=hnsw and query.search_filter.broad,
        )


@dataclass(frozen=True)
class KnnQuery:
    """One KNN of `VectorSearch.knn_batch`; the fields mean what `VectorSearch.knn`'s do."""

    field: str
    vector: np.ndarray
    k: int
    search_filter: SearchFilter = SearchFilter()
    exclude: Collection[str] = ()
    cards: bool = True
    vector_field: str | None = None


def _scored(reply: object, view: CatalogView, query: KnnQuery) -> list[Scored]:
    out: list[Scored] = []
    if not query.cards and not query.vector_field:
        for product_id, distance in knn_distances(reply, view.product_key("")):
            if product_id not in query.exclude:
                out.append(Scored(product_id, 1.0 - distance))
                if len(out) >= query.k:
                    break
        return out
    cut = len(view.product_key(""))
    vector_field = query.vector_field.encode() if query.vector_field else None
    for key, fields in _hits(reply):
        product_id, card, distance = _row(key, fields, cut)
        if product_id in query.exclude:
            continue
        vector = as_vector(fields.get(vector_field)) if vector_field else None
        out.append(Scored(product_id, 1.0 - distance, card, vector=vector))
        if len(out) >= query.k:
            break
    return out


def knn_arguments(
    index: str,
    field: str,
    vector: bytes,
    k: int,
    filter_text: str,
    ef_runtime: int | None,
    return_fields: tuple[str, ...] = RETURN_FIELDS,
    batches: bool = False,
) -> list[object]:
    """FT.SEARCH arguments of a KNN query, the same ones redisvl's VectorQuery sends; built
    directly because the query object and redis-py's result objects cost more per request
    than the search itself. `filter_text` comes from redisvl's escaping filter language;
    `batches`: search the graph in batches under the filter (see SearchFilter.broad).
    Without fields to return, each hit's distance comes as its sort key (NOCONTENT
    WITHSORTKEYS: "#0.25"), not as a returned field: a reply of a key and a string a hit
    instead of a key, a list and two strings (at k=64: 150 -> 120 us in Redis, and a
    third of the client's parsing)."""
    ef = f" EF_RUNTIME {ef_runtime}" if ef_runtime else ""
    policy = " HYBRID_POLICY BATCHES" if batches else ""
    returned: list[object] = ["NOCONTENT", "WITHSORTKEYS"]
    if return_fields:
        returned = ["RETURN", len(return_fields) + 1, *return_fields, DISTANCE]
    return [
        "FT.SEARCH",
        index,
        f"({filter_text})=>[KNN {k} @{field} $vector{ef}{policy} AS {DISTANCE}]",
        "PARAMS",
        2,
        "vector",
        vector,
        *returned,
        "SORTBY",
        DISTANCE,
        "ASC",
        "DIALECT",
        2,
        "LIMIT",
        0,
        k,
    ]


def knn_rows(reply: object, key_prefix: str) -> Iterator[tuple[str, ProductCard | None, float]]:
    """(product_id, card, distance) per hit of an FT.SEARCH reply, best first. The reply is a
    map under RESP3 and a flat list under RESP2; without returned fields the product id is
    taken from the key and the card is None."""
    cut = len(key_prefix)
    for key, fields in _hits(reply):
        yield _row(key, fields, cut)


def knn_distances(reply: object, key_prefix: str) -> Iterator[tuple[str, float]]:
    """(product_id, distance) per hit of a reply without fields (see knn_arguments), best
    first; a map under RESP3, a flat list under RESP2; a numeric sort key is the number after
    a '#'."""
    cut = len(key_prefix)
    if isinstance(reply, dict):
        for hit in reply[b"results"]:
            yield hit[b"id"][cut:].decode(), float(hit[b"sortkey"][1:])
        return
    items = reply[1:]  # type: ignore[index]
    for key, sort_key in zip(items[::2], items[1::2], strict=True):
        yield key[cut:].decode(), float(sort_key[1:])


def _hits(reply: object) -> Iterator[tuple[bytes, dict[bytes, bytes]]]:
    """(key, returned fields) per hit of an FT.SEARCH reply, RESP3 or RESP2."""
    if isinstance(reply, dict):
        for hit in reply[b"results"]:
            yield hit[b"id"], hit[b"extra_attributes"]
        return
    items = reply[1:]  # type: ignore[index]
    for key, raw in zip(items[::2], items[1::2], strict=True):
        yield key, dict(zip(raw[::2], raw[1::2], strict=True))


_CARD_KEYS = tuple(name.encode() for name in CARD_FIELDS)


def _row(key: bytes, fields: dict[bytes, bytes], cut: int) -> tuple[str, ProductCard | None, float]:
    product_id = fields.get(b"product_id")
    # A hit read with a vector field but not its card has no card to parse.
    card = ProductCard.parse(*(fields.get(k) for k in _CARD_KEYS)) if b"title" in fields else None
    return (
        product_id.decode() if product_id is not None else key[cut:].decode(),
        card,
        float(fields[DISTANCE_KEY]),
    )
