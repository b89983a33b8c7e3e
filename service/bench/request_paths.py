"""The HTTP requests the benchmark sends to each endpoint, built from sampled ids.

Beside the four served endpoints, three variants of the hybrid measure what the merchandising
controls add to it (#18): MMR diversity, a per-category cap, and rules in force (the runner
keeps `BENCH_RULES` for that cell only; its requests are the plain hybrid's).
"""

from __future__ import annotations

from urllib.parse import quote

ENDPOINTS = ("content", "user", "hybrid", "ab")
HYBRID_VARIANTS = ("hybrid-diversity", "hybrid-capped", "hybrid-rules")
BENCHED = (*ENDPOINTS, *HYBRID_VARIANTS)
TOP_K = 10
# The variants' parameters: a middling MMR weight, and a cap that bites on a top 10.
BENCH_DIVERSITY = 0.3
BENCH_CATEGORY_CAP = 2
RULED = "hybrid-rules"

_VARIANT_QUERY = {
    "hybrid-diversity": f"&diversity={BENCH_DIVERSITY}",
    "hybrid-capped": f"&max_per_category={BENCH_CATEGORY_CAP}",
    "hybrid-rules": "",
}


def endpoint_paths(
    endpoint: str, product_ids: list[str], user_ids: list[str], count: int
) -> list[str]:
    """`count` request paths (distinct where the samples allow) for one endpoint."""
    if endpoint not in BENCHED:
        raise ValueError(f"unknown endpoint {endpoint!r}; choose from {', '.join(BENCHED)}")
    n = max(1, min(count, max(len(product_ids), len(user_ids))))
    paths = []
    for i in range(n):
        pid = quote(product_ids[i % len(product_ids)], safe="")
        uid = quote(user_ids[i % len(user_ids)], safe="")
        if endpoint == "content":
            paths.append(f"/recommend/content/{pid}?top_k={TOP_K}")
        elif endpoint == "user":
            paths.append(f"/recommend/user/{uid}?top_k={TOP_K}")
        elif endpoint == "ab":
            paths.append(f"/recommend/ab?user_id={uid}&product_id={pid}&top_k={TOP_K}")
        else:
            paths.append(
                f"/recommend/hybrid?user_id={uid}&product_id={pid}&top_k={TOP_K}"
                + _VARIANT_QUERY.get(endpoint, "")
            )
    return paths
