"""Read access to the live catalog version: which version is live, and product fields.

Every request works against one `CatalogView` (a version snapshot) so that its reads, its
cache key and its queries agree even if a rebuild switches versions meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import msgspec
import numpy as np
import redis.asyncio as aioredis

from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.index_schema import CARD_FIELDS, CATEGORY_SEPARATOR
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.redis_text import as_text
from service.errors import NoLiveIndex
from service.store.product_rows import ProductRow, ProductRows
from service.store.read_plan import Pending, ReadPlan
from service.store.read_routing import ReadRouting


@dataclass(frozen=True)
class CatalogView:
    meta: CatalogMeta
    layout: RedisLayout

    @property
    def version(self) -> int:
        return self.meta.version

    def product_key(self, product_id: str) -> str:
        return self.layout.product(self.meta.version, product_id)


class LiveCatalog:
    """The live version, re-read from Redis at most every `refresh_s` seconds.

    Saves a round trip per request; a rebuild is followed within `refresh_s`, and the old
    version is kept for a grace period longer than that.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        layout: RedisLayout,
        refresh_s: float = 1.0,
        routing: ReadRouting | None = None,
    ):
        self._client, self._layout, self._refresh_s = client, layout, refresh_s
        self._routing = routing  # told the live version, to judge the read replica by it
        self._view: CatalogView | None = None
        self._read_at = 0.0

    async def current(self) -> CatalogView:
        now = time.monotonic()
        if self._view is None or now - self._read_at > self._refresh_s:
            meta = CatalogMeta.from_redis(await self._client.hgetall(self._layout.meta))
            self._view = CatalogView(meta, self._layout) if meta is not None else None
            self._read_at = now
            if meta is not None and self._routing is not None:
                await self._routing.check(meta.version)
        if self._view is None:
            raise NoLiveIndex()
        return self._view

    def forget(self) -> None:
        """Drop the cached version so the next request re-reads it."""
        self._view = None


def as_vector(raw: Any) -> np.ndarray | None:
    """A stored float32 vector field, or None where the field is absent."""
    return np.frombuffer(raw, dtype=np.float32) if raw else None


# KEYS: a user's history; ARGV: how many, the product key prefix, a field. The field of the
# history's strongest products, as {product_id, value or nil}: a request that needs their
# vectors reads them with the user's state, before it knows their ids.
HISTORY_HEAD_FIELD = """
local out = {}
for i, pid in ipairs(redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)) do
    out[i] = {pid, redis.call('HGET', ARGV[2] .. pid, ARGV[3])}
end
return out
"""


Raw = bytes | str | None  # a field as a reply carries it; None where the hash has no such field

# Fields of many product hashes, as one command, in groups (product ids, fields). ARGV: the
# product key prefix, then the groups as one MessagePack array of [ids, fields]: two
# arguments however many products, where redis-py encodes each argument in Python (~2 us
# apiece: a key per product and a field per group cost 30 results' card read 80-120 us).
# A script, not a pipeline of HMGETs (~10 us of client CPU each), nor a pipeline of scripts
# (redis-py adds a SCRIPT EXISTS round trip to every pipeline that holds one). The keys are
# built in the script, as HISTORY_HEAD_FIELD builds them: the catalog is one Redis, not a
# cluster (docs/scaling.md).
HMGET_GROUPS = """
local prefix, groups, out = ARGV[1], cmsgpack.unpack(ARGV[2]), {}
for g = 1, #groups do
    local ids, fields = groups[g][1], groups[g][2]
    for i = 1, #ids do
        out[#out + 1] = redis.call('HMGET', prefix .. ids[i], unpack(fields))
    end
end
return out
"""
_MSGPACK = msgspec.msgpack.Encoder()


@dataclass(frozen=True)
class ProductCard:
    """What a shop shows of a product beside a recommendation, and what the filters of a list
    outside the KNN (the popular products) look at."""

    title: str
    categories: tuple[str, ...]  # several per product (the category TAG splits them the same)
    price: float | None  # None where the product has no price
    img_url: str | None  # None where the catalog has no image

    @cached_property
    def category_keys(self) -> frozenset[str]:
        """The categories case-folded, as the category TAG matches them (no CASESENSITIVE):
        what the filters, the rules and the category cap compare. Worked out once per card,
        and a worker keeps its cards (ProductRows)."""
        return frozenset(c.lower() for c in self.categories)

    @classmethod
    def parse(cls, title: Raw, category: Raw, price: Raw, img_url: Raw) -> ProductCard | None:
        """The card from the raw CARD_FIELDS of a hash or a search hit; None without a title
        (a product removed since the id was read)."""
        if title is None:
            return None
        return cls(
            as_text(title),
            categories_of(category),
            price_of(price),
            as_text(img_url) if img_url else None,
        )


def split_categories(stored: str) -> list[str]:
    """The categories of a hash's `category` field (several, joined as the TAG splits them)."""
    return [name.strip() for name in stored.split(CATEGORY_SEPARATOR) if name.strip()]


def categories_of(raw: Raw) -> tuple[str, ...]:
    """A product hash's `category` field as its categories."""
    return tuple(split_categories(as_text(raw))) if raw is not None else ()


def price_of(raw: Raw) -> float | None:
    """A product hash's `price` field; None where the product has none (or not a number)."""
    try:
        return float(raw) if raw not in (None, b"", "") else None  # type: ignore[arg-type]
    except ValueError:
        return None


class ProductReader:
    def __init__(
        self, client: aioredis.Redis, state: aioredis.Redis | None = None, cache_items: int = 0
    ):
        self._client = client
        self._state = state  # where users' keys are (REDIS_STATE_URL), for read plans
        self._hmget_groups = client.register_script(HMGET_GROUPS)
        # Cards and vectors read before (SHOPREC_PRODUCT_CACHE_ITEMS; 0: none kept).
        self._rows = ProductRows(cache_items)

    def plan(self) -> ReadPlan:
        """A read plan on this reader's client, for reads of several readers in one trip."""
        return ReadPlan(self._client, self._state)

    async def fields_each(
        self, view: CatalogView, wanted: Sequence[tuple[Sequence[str], Sequence[str]]]
    ) -> list[list[list[bytes | None]]]:
        """For each (product ids, fields) of `wanted`: per product, its values of those fields
        (None where absent), in order. One command for all of `wanted`."""
        groups = [(list(ids), list(fields)) for ids, fields in wanted if ids]
        if not groups:
            return [[] for _ in wanted]
        prefix = view.layout.product_prefix(view.version)
        replies = await self._hmget_groups(keys=[], args=[prefix, _MSGPACK.encode(groups)])
        out, start = [], 0
        for ids, _ in wanted:
            out.append(replies[start : start + len(ids)])
            start += len(ids)
        return out

    async def vector(self, view: CatalogView, product_id: str, field: str) -> np.ndarray | None:
        """The product's vector field; None if the product has no such vector.

        Raises nothing for a missing product: callers decide (see `exists`)."""
        return as_vector(await self._client.hget(view.product_key(product_id), field))

    @staticmethod
    def queue_vectors(
        plan: ReadPlan, view: CatalogView, product_id: str, fields: tuple[str, ...]
    ) -> Pending[dict[str, np.ndarray]]:
        """Queue a read of one product's vector fields (one HMGET); the answer maps each field
        the product has to its vector (an unknown product: empty)."""

        def parse(raws: list[Any]) -> dict[str, np.ndarray]:
            return present_vectors(fields, raws)

        return plan.add(lambda pipe: pipe.hmget(view.product_key(product_id), fields), parse)

    @staticmethod
    def queue_vectors_and_title(
        plan: ReadPlan, view: CatalogView, product_id: str, fields: tuple[str, ...]
    ) -> Pending[tuple[dict[str, np.ndarray], str | None]]:
        """`queue_vectors` and the product's title (what a reason names it by) in the same
        HMGET."""

        def parse(raws: list[Any]) -> tuple[dict[str, np.ndarray], str | None]:
            *vectors, title = raws
            return present_vectors(fields, vectors), as_text(title) if title else None

        key = view.product_key(product_id)
        return plan.add(lambda pipe: pipe.hmget(key, (*fields, "title")), parse)

    def queue_history_head(
        self, plan: ReadPlan, view: CatalogView, user_id: str, count: int, field: str
    ) -> Pending[dict[str, np.ndarray]] | None:
        """Queue a read of the vector `field` of the user's `count` strongest history products
        (one EVAL: raw, as a registered script would add a SCRIPT EXISTS round trip); the
        answer maps those that have it to it, strongest first. None (nothing queued) where
        the user's history is on another Redis (REDIS_STATE_URL): one script cannot read
        both, so the caller reads the vectors once it has the state."""
        if self._state is not None and self._state is not self._client:
            return None
        history = view.layout.history(view.version, user_id)
        prefix = view.layout.product_prefix(view.version)

        def parse(rows: list[list[Any]]) -> dict[str, np.ndarray]:
            return present_vectors([as_text(pid) for pid, _ in rows], [raw for _, raw in rows])

        return plan.add(
            lambda pipe: pipe.eval(HISTORY_HEAD_FIELD, 1, history, count, prefix, field), parse
        )

    async def vector_sets(
        self, view: CatalogView, wanted: Mapping[str, Sequence[str]]
    ) -> dict[str, dict[str, np.ndarray]]:
        """field -> the vectors of those listed products that have it, in list order: one
        command for every field (none where all are cached)."""
        rows = await self.rows(view, [(ids, (field,)) for field, ids in wanted.items()])
        return {
            field: _present(ids, [row.vectors[field] for row in part])
            for (field, ids), part in zip(wanted.items(), rows, strict=True)
        }

    async def vectors(
        self, view: CatalogView, product_ids: Iterable[str], field: str
    ) -> dict[str, np.ndarray]:
        """Vectors of those products that have the field (one round trip)."""
        return (await self.vector_sets(view, {field: list(product_ids)}))[field]

    async def exists(self, view: CatalogView, product_id: str) -> bool:
        return bool(await self._client.exists(view.product_key(product_id)))

    async def cards_and_vectors(
        self,
        view: CatalogView,
        product_ids: Sequence[str],
        fields: Sequence[str],
        sources: Sequence[tuple[Sequence[str], str]] = (),
    ) -> tuple[
        dict[str, ProductCard],
        dict[str, dict[str, np.ndarray]],
        list[tuple[dict[str, np.ndarray], dict[str, str]]],
    ]:
        """The card of each product still in the catalog and, per field of `fields`, the
        vectors of those that have it; and, for each (ids, vector field) of `sources` (what
        the results' reasons may name), those vectors and the titles. One command (none
        where all are cached)."""
        rows, *source_rows = await self.rows(
            view, [(product_ids, tuple(fields)), *((ids, (field,)) for ids, field in sources)]
        )
        cards: dict[str, ProductCard] = {}
        vectors: dict[str, dict[str, np.ndarray]] = {field: {} for field in fields}
        for pid, row in zip(product_ids, rows, strict=True):
            if row.card is None:
                continue
            cards[pid] = row.card
            for field in fields:
                vector = row.vectors[field]
                if vector is not None:
                    vectors[field][pid] = vector
        named = [
            (
                _present(ids, [row.vectors[field] for row in part]),
                {pid: row.card.title for pid, row in zip(ids, part, strict=True) if row.card},
            )
            for (ids, field), part in zip(sources, source_rows, strict=True)
        ]
        return cards, vectors, named

    async def cards(self, view: CatalogView, product_ids: Iterable[str]) -> dict[str, ProductCard]:
        """The card of each product that has a title: one command however many (the popular
        list reads hundreds, where a pipeline of one HMGET each would cost ~10 us apiece),
        none where all are cached."""
        ids = list(product_ids)
        (rows,) = await self.rows(view, [(ids, ())])
        return {pid: row.card for pid, row in zip(ids, rows, strict=True) if row.card}

    async def rows(
        self, view: CatalogView, wanted: Sequence[tuple[Sequence[str], tuple[str, ...]]]
    ) -> list[list[ProductRow]]:
        """For each (product ids, vector fields) of `wanted`: each product's row holding its
        card and at least those fields, in order. Rows this worker holds are not read again;
        the others are read in one command (each with the fields asked of it anywhere in
        `wanted`) and kept, those of the catalog."""
        found: dict[str, ProductRow] = {}  # what the worker holds of each id, whole or not
        missing: dict[str, set[str]] = {}
        cached = 0
        held = self._rows.getter(view)
        for ids, fields in wanted:
            for pid in ids:
                row = found.get(pid) or held(pid)
                if row is not None:
                    found[pid] = row
                if row is not None and row.holds(fields):
                    cached += 1
                else:
                    missing.setdefault(pid, set()).update(fields)
        ProductRows.count(cached, len(missing))
        if missing:
            found |= await self._read_rows(view, missing, found)
        return [[found[pid] for pid in ids] for ids, _ in wanted]

    async def _read_rows(
        self, view: CatalogView, missing: Mapping[str, set[str]], found: Mapping[str, ProductRow]
    ) -> dict[str, ProductRow]:
        """Read the card and `missing[pid]` of each product (one command; the products that
        want the same fields in one group), merged with what `found` holds of it."""
        by_fields: dict[tuple[str, ...], list[str]] = {}
        for pid, fields in missing.items():
            by_fields.setdefault(tuple(sorted(fields)), []).append(pid)
        groups = [(ids, (*CARD_FIELDS, *fields)) for fields, ids in by_fields.items()]
        width = len(CARD_FIELDS)
        out = {}
        for (ids, names), part in zip(groups, await self.fields_each(view, groups), strict=True):
            for pid, raws in zip(ids, part, strict=True):
                before = found.get(pid)
                vectors = dict(before.vectors) if before is not None else {}
                for field, raw in zip(names[width:], raws[width:], strict=True):
                    vectors[field] = as_vector(raw)
                row = ProductRow(ProductCard.parse(*raws[:width]), vectors)
                if row.card is not None:  # an unknown id (GET /products/{id}) is not kept
                    self._rows.put(view, pid, row)
                out[pid] = row
        return out


def _present(ids: Sequence[str], vectors: Sequence[np.ndarray | None]) -> dict[str, np.ndarray]:
    return {pid: v for pid, v in zip(ids, vectors, strict=True) if v is not None}


def present_vectors(ids: Sequence[str], raws: Sequence[Any]) -> dict[str, np.ndarray]:
    """id -> vector for the ids whose field is present, in the order given."""
    return _present(ids, [as_vector(raw) for raw in raws])
