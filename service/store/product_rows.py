"""Each worker's memory of product rows it has read: a card and the vector fields read so far.

A version's product hashes change only when `shoprec reindex` rewrites them in place, and that
stamps the meta hash (`CatalogMeta.reindexed_at`). A row is kept under (version, that stamp,
product id), so a reindex is followed as soon as the service re-reads the meta (LiveCatalog,
every second) and a rebuild's new version never meets an old row. A bounded LRU: the rows of
a large catalog's long tail come and go, the ones answers keep naming stay.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from service.observability.metrics import PRODUCT_ROWS

if TYPE_CHECKING:  # the reader that fills it defines them
    from service.store.catalog_reader import CatalogView, ProductCard

_Key = tuple[int, float, str]


@dataclass(frozen=True)
class ProductRow:
    # None: no such product (never was, or removed since its id was read).
    card: ProductCard | None
    # The vector fields read so far; None where the product has no such field.
    vectors: Mapping[str, np.ndarray | None]

    def holds(self, fields: tuple[str, ...]) -> bool:
        # map, not a generator (whose frame costs more than the lookups): asked for every
        # candidate of every request.
        return all(map(self.vectors.__contains__, fields))


class ProductRows:
    def __init__(self, max_items: int):
        self._max = max_items
        self._rows: OrderedDict[_Key, ProductRow] = OrderedDict()

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, view: CatalogView, product_id: str) -> ProductRow | None:
        return self.getter(view)(product_id)

    def getter(self, view: CatalogView) -> Callable[[str], ProductRow | None]:
        """`get` for many ids of one view: its version and stamp looked up once."""
        version, stamp, rows = view.version, view.meta.reindexed_at, self._rows

        def get(product_id: str) -> ProductRow | None:
            key = (version, stamp, product_id)
            row = rows.get(key)
            if row is not None:
                rows.move_to_end(key)
            return row

        return get

    def put(self, view: CatalogView, product_id: str, row: ProductRow) -> None:
        if self._max <= 0:
            return
        key = _key(view, product_id)
        self._rows[key] = row
        self._rows.move_to_end(key)
        while len(self._rows) > self._max:
            self._rows.popitem(last=False)

    @staticmethod
    def count(cached: int, read: int) -> None:
        if cached:
            PRODUCT_ROWS.labels("cached").inc(cached)
        if read:
            PRODUCT_ROWS.labels("read").inc(read)


def _key(view: CatalogView, product_id: str) -> _Key:
    return view.version, view.meta.reindexed_at, product_id
