"""Read-only listing of the live catalog for the storefront: search by title, filter by
category or ids, the category list, and some user ids with history.

Every string from a user goes through redisvl's escaping (TokenEscaper for title words, the
Tag filter for category and ids), so no input widens or breaks a query. Work is bounded: one
FT.SEARCH page of at most `MAX_LIMIT` hits, at most `MAX_CATEGORIES` categories, a SCAN of at
most `SCAN_ROUNDS` rounds for users.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redisvl.query.filter import FilterExpression, Tag
from redisvl.utils.token_escaper import TokenEscaper

from indexing.contract.index_schema import CARD_FIELDS, RETURN_FIELDS
from indexing.contract.redis_text import as_text
from service.store.catalog_reader import CatalogView, ProductCard, split_categories
from service.store.tag_value import check_tag_value

MAX_LIMIT = 100
# RediSearch refuses LIMIT past MAXSEARCHRESULTS (10,000 by default): offset + limit stay under.
MAX_OFFSET = 10_000 - MAX_LIMIT
MAX_WORDS = 10
MAX_CATEGORIES = 500
SCAN_ROUNDS = 50
FIELDS = RETURN_FIELDS
_WORD = re.compile(r"\w+")
_ESCAPER = TokenEscaper()
_GLOB = re.compile(r"([*?\[\]\\])")


@dataclass(frozen=True)
class ListedProduct:
    product_id: str
    card: ProductCard


@dataclass(frozen=True)
class CatalogQuery:
    text: str | None = None
    category: str | None = None
    ids: tuple[str, ...] = ()

    def words(self) -> list[str]:
        """The title words searched for: runs of letters and digits, as the index tokenizes."""
        return _WORD.findall(self.text or "")[:MAX_WORDS]

    def matches_nothing(self) -> bool:
        """Text that has no word in it (only punctuation) can match no title."""
        return bool((self.text or "").strip()) and not self.words()

    def query_string(self) -> str:
        # The text is cut into words below; category and ids are tag values (the routes
        # refuse bad ones first).
        check_tag_value("category", self.category)
        for product_id in self.ids:
            check_tag_value("ids", product_id)
        parts: list[str] = []
        words = self.words()
        if words:
            escaped = [_ESCAPER.escape(word) for word in words]
            # The last word is a prefix (typing "plan" finds "Planter"); RediSearch needs two
            # characters for a prefix.
            if len(words[-1]) >= 2:
                escaped[-1] += "*"
            parts.append(f"@title:({' '.join(escaped)})")
        tags: list[FilterExpression] = []
        if self.category:
            tags.append(Tag("category") == self.category)
        if self.ids:
            tags.append(Tag("product_id") == list(self.ids))
        parts.extend(f"({tag})" for tag in tags)
        return " ".join(parts) or "*"


def _hits(reply: object) -> tuple[int, list[dict[str, str]]]:
    """(total, fields per hit) of an FT.SEARCH reply: a map under RESP3, a list under RESP2."""
    if isinstance(reply, dict):
        rows = [
            {as_text(k): as_text(v) for k, v in hit[b"extra_attributes"].items()}
            for hit in reply[b"results"]
        ]
        return int(reply[b"total_results"]), rows
    items = reply[1:]  # type: ignore[index]
    rows = [
        {as_text(k): as_text(v) for k, v in zip(raw[::2], raw[1::2], strict=True)}
        for raw in items[1::2]
    ]
    return int(reply[0]), rows  # type: ignore[index]


def _groups(reply: object, field: str) -> list[tuple[str, int]]:
    """(value, count) per row of an FT.AGGREGATE GROUPBY reply (RESP3 or RESP2)."""
    if isinstance(reply, dict):
        raws = [row[b"extra_attributes"] for row in reply[b"results"]]
        rows = [{as_text(k): as_text(v) for k, v in raw.items()} for raw in raws]
    else:
        rows = [
            {as_text(k): as_text(v) for k, v in zip(r[::2], r[1::2], strict=True)}
            for r in reply[1:]  # type: ignore[index]
        ]
    return [(row.get(field, ""), int(row.get("n", "0"))) for row in rows]


class CatalogSearch:
    def __init__(self, client: aioredis.Redis, state: aioredis.Redis | None = None):
        self._client = client
        self._state = state if state is not None else client  # histories and the stream

    async def products(
        self, view: CatalogView, query: CatalogQuery, offset: int, limit: int
    ) -> tuple[int, list[ListedProduct]]:
        """One page of the live catalog: (total matches, the products). Without a search text
        the order is the index's (stable); with one, best title match first."""
        if not 0 <= offset <= MAX_OFFSET or not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"offset must be 0..{MAX_OFFSET} and limit 1..{MAX_LIMIT}")
        if query.matches_nothing():
            return 0, []
        reply = await self._client.execute_command(
            "FT.SEARCH",
            view.layout.index_name(view.version),
            query.query_string(),
            "RETURN",
            len(FIELDS),
            *FIELDS,
            "LIMIT",
            offset,
            limit,
            "DIALECT",
            2,
        )
        total, rows = _hits(reply)
        found = []
        for row in rows:
            card = ProductCard.parse(*(row.get(name) for name in CARD_FIELDS))
            if card is not None:
                found.append(ListedProduct(row.get("product_id", ""), card))
        return total, found

    async def categories(self, view: CatalogView) -> list[tuple[str, int]]:
        """(category, products) of the live version, by name, at most MAX_CATEGORIES; the
        names as stored (FT.TAGVALS would lowercase them)."""
        reply = await self._client.execute_command(
            "FT.AGGREGATE",
            view.layout.index_name(view.version),
            "*",
            "GROUPBY",
            1,
            "@category",
            "REDUCE",
            "COUNT",
            0,
            "AS",
            "n",
            "SORTBY",
            2,
            "@category",
            "ASC",
            "LIMIT",
            0,
            MAX_CATEGORIES,
            "DIALECT",
            2,
        )
        counts: dict[str, int] = {}
        for raw, n in _groups(reply, "category"):
            for name in split_categories(raw):
                counts[name] = counts.get(name, 0) + n
        return sorted(counts.items())[:MAX_CATEGORIES]

    async def users_with_history(self, view: CatalogView, limit: int) -> list[str]:
        """Up to `limit` user ids that have a history in the live version (sorted), found by a
        SCAN of at most SCAN_ROUNDS rounds, so a huge keyspace cannot make it slow (on a
        cluster, SCAN_ROUNDS rounds of 1000 over all its nodes together)."""
        scope = view.layout.history_scope(view.version)
        pattern = _GLOB.sub(r"\\\1", view.layout.user_key(scope, "")[:-1]) + "*"
        found: set[str] = set()
        if isinstance(self._state, RedisCluster):
            seen = 0
            async for key in self._state.scan_iter(match=pattern, count=1000):
                found.add(view.layout.user_of(as_text(key), scope) or "")
                seen += 1
                if len(found) >= limit or seen >= SCAN_ROUNDS * 1000:
                    break
            found.discard("")
            return sorted(found)[:limit]
        cursor = 0
        for _ in range(SCAN_ROUNDS):
            cursor, keys = await self._state.scan(cursor, match=pattern, count=1000)
            found.update(user for k in keys if (user := view.layout.user_of(as_text(k), scope)))
            if cursor == 0 or len(found) >= limit:
                break
        return sorted(found)[:limit]

    async def feedback_events(self, view: CatalogView, streams: int = 1) -> int:
        """Feedback events recorded so far (the length of the streams)."""
        lengths = [await self._state.xlen(name) for name in view.layout.feedback_streams(streams)]
        return sum(int(n) for n in lengths)
