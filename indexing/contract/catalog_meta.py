"""The metadata hash that names the live version and says how it was built.

Written last by a build (together with the alias swap), read by the service on every version
check, so its field names are part of the contract between the two packages.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from indexing.contract.redis_text import as_text


@dataclass(frozen=True)
class CatalogMeta:
    version: int
    built_at: float  # epoch seconds
    products: int
    cf_items: int
    users: int
    embedder: str
    content_dims: int
    cf_dims: int
    cf_model: str
    history_epoch: float  # see indexing.contract.event_decay
    half_life_days: float
    params: dict[str, Any] = field(default_factory=dict)
    # Last feedback stream entry folded into this version's histories ("0-0": none).
    feedback_stream_id: str = "0-0"
    # When `shoprec reindex` last rewrote products in place (epoch seconds; 0: never): the
    # service's product rows are kept under it (service/store/product_rows.py).
    reindexed_at: float = 0.0

    def to_redis(self) -> dict[str, str]:
        out = {k: str(v) for k, v in asdict(self).items() if k != "params"}
        out["params"] = json.dumps(self.params, sort_keys=True)
        return out

    @classmethod
    def from_redis(cls, raw: Mapping[bytes | str, bytes | str]) -> CatalogMeta | None:
        """Parse HGETALL output; None when there is no live version."""
        data = {as_text(k): as_text(v) for k, v in raw.items()}
        if "version" not in data:
            return None
        return cls(
            version=int(data["version"]),
            built_at=float(data["built_at"]),
            products=int(data["products"]),
            cf_items=int(data["cf_items"]),
            users=int(data["users"]),
            embedder=data["embedder"],
            content_dims=int(data["content_dims"]),
            cf_dims=int(data["cf_dims"]),
            cf_model=data["cf_model"],
            history_epoch=float(data["history_epoch"]),
            half_life_days=float(data["half_life_days"]),
            params=json.loads(data.get("params") or "{}"),
            feedback_stream_id=data.get("feedback_stream_id", "0-0"),
            reindexed_at=float(data.get("reindexed_at") or 0.0),
        )
