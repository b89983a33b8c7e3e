"""The HTTP requests the benchmark sends to each endpoint, built from sampled ids."""

from __future__ import annotations

from urllib.parse import quote

ENDPOINTS = ("content", "user", "hybrid", "ab")
TOP_K = 10


def endpoint_paths(
    endpoint: str, product_ids: list[str], user_ids: list[str], count: int
) -> list[str]:
    """`count` request paths (distinct where the samples allow) for one endpoint."""
    n = max(1, min(count, max(len(product_ids), len(user_ids))))
    paths = []
    for i in range(n):
        pid = quote(product_ids[i % len(product_ids)], safe="")
        uid = quote(user_ids[i % len(user_ids)], safe="")
        if endpoint == "content":
            paths.append(f"/recommend/content/{pid}?top_k={TOP_K}")
        elif endpoint == "user":
            paths.append(f"/recommend/user/{uid}?top_k={TOP_K}")
        elif endpoint == "hybrid":
            paths.append(f"/recommend/hybrid?user_id={uid}&product_id={pid}&top_k={TOP_K}")
        elif endpoint == "ab":
            paths.append(f"/recommend/ab?user_id={uid}&product_id={pid}&top_k={TOP_K}")
        else:
            raise ValueError(f"unknown endpoint {endpoint!r}; choose from {', '.join(ENDPOINTS)}")
    return paths
