"""What the service is measured against, in the same run: a raw redis-py FT.SEARCH with no
HTTP and no service code, an exact numpy top-k in process, and HNSW recall@10 against exact.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import numpy as np
import redis

from indexing.contract.index_schema import CF_FIELD, CONTENT_FIELD
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.store.vector_search import knn_arguments, knn_rows

TOP_K = 10
FETCH_BATCH = 2000


@dataclass
class FieldVectors:
    """Every stored vector of one field, row-aligned with `ids`."""

    field: str
    ids: list[str]
    matrix: np.ndarray  # n x dims, float32


def read_vectors(
    client: redis.Redis, layout: RedisLayout, version: int, product_ids: list[str], field: str
) -> FieldVectors:
    ids: list[str] = []
    rows: list[np.ndarray] = []
    for start in range(0, len(product_ids), FETCH_BATCH):
        chunk = product_ids[start : start + FETCH_BATCH]
        pipe = client.pipeline(transaction=False)
        for pid in chunk:
            pipe.hget(layout.product(version, pid), field)
        for pid, raw in zip(chunk, pipe.execute(), strict=True):
            if raw:
                ids.append(pid)
                rows.append(np.frombuffer(raw, dtype=np.float32))
    return FieldVectors(field, ids, np.vstack(rows) if rows else np.zeros((0, 1), np.float32))


def all_product_ids(client: redis.Redis, layout: RedisLayout, version: int) -> list[str]:
    prefix = layout.product_prefix(version)
    return sorted(
        key.decode()[len(prefix) :] for key in client.scan_iter(match=f"{prefix}*", count=5000)
    )


def knn_command(index_name: str, field: str, vector: np.ndarray, k: int, ef: int) -> list[object]:
    """The service's own FT.SEARCH arguments for a plain KNN (no filter) returning id and title."""
    return knn_arguments(index_name, field, vector.astype(np.float32).tobytes(), k, "*", ef)


def _ids_from_reply(reply: object) -> list[str]:
    return [product_id for product_id, _, _ in knn_rows(reply, "")]


def exact_top_k(vectors: FieldVectors, query: np.ndarray, k: int, cosine: bool) -> list[str]:
    scores = vectors.matrix @ query
    if cosine:
        scores = scores / (np.linalg.norm(vectors.matrix, axis=1) * np.linalg.norm(query) + 1e-12)
    top = np.argpartition(-scores, min(k, len(scores) - 1))[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [vectors.ids[i] for i in top]


def _percentiles(samples_ms: list[float]) -> dict[str, float]:
    arr = np.asarray(samples_ms)
    return {
        "queries": len(samples_ms),
        "p50_ms": round(float(np.percentile(arr, 50)), 3),
        "p95_ms": round(float(np.percentile(arr, 95)), 3),
        "p99_ms": round(float(np.percentile(arr, 99)), 3),
    }


def measure_floors(
    client: redis.Redis,
    settings: Settings,
    version: int,
    query_ids: list[str],
    duration_s: float,
) -> dict[str, object]:
    """Raw FT.SEARCH and numpy latencies on the content field, recall@10 on both fields."""
    layout = RedisLayout(settings.redis.key_prefix)
    index_name = layout.index_name(version)
    algorithm = client.hget(layout.meta, "params") or b"{}"
    flat = json.loads(algorithm).get("vector_algorithm") == "flat"
    ef = 0 if flat else settings.index.hnsw_ef_runtime  # FLAT: exact, and no EF_RUNTIME
    ids = all_product_ids(client, layout, version)
    content = read_vectors(client, layout, version, ids, CONTENT_FIELD)
    cf = read_vectors(client, layout, version, ids, CF_FIELD)
    row_of = {pid: i for i, pid in enumerate(content.ids)}
    queries = [content.matrix[row_of[p]] for p in query_ids if p in row_of]

    # Two separate loops: numpy's BLAS threads keep spinning for a while after a call, which
    # would steal the CPU Redis needs if the two measurements alternated.
    raw_ms: list[float] = []
    deadline = time.perf_counter() + duration_s / 2
    while time.perf_counter() < deadline or len(raw_ms) < 20:
        q = queries[len(raw_ms) % len(queries)]
        started = time.perf_counter()
        client.execute_command(*knn_command(index_name, CONTENT_FIELD, q, TOP_K, ef))
        raw_ms.append((time.perf_counter() - started) * 1000)
    numpy_ms: list[float] = []
    deadline = time.perf_counter() + duration_s / 2
    while time.perf_counter() < deadline or len(numpy_ms) < 20:
        q = queries[len(numpy_ms) % len(queries)]
        started = time.perf_counter()
        exact_top_k(content, q, TOP_K, cosine=False)  # unit vectors: dot = cosine
        numpy_ms.append((time.perf_counter() - started) * 1000)

    return {
        "vector_algorithm": "flat" if flat else "hnsw",
        "ef_runtime": ef or None,
        "raw_ft_search_content": _percentiles(raw_ms),
        "numpy_exact_content": _percentiles(numpy_ms),
        "recall_at_10_content": _recall(client, index_name, content, query_ids, ef, cosine=True),
        "recall_at_10_cf": _recall(client, index_name, cf, query_ids, ef, cosine=False),
    }


def _recall(
    client: redis.Redis,
    index_name: str,
    vectors: FieldVectors,
    query_ids: list[str],
    ef: int,
    cosine: bool,
    queries: int = 200,
) -> float | None:
    row_of = {pid: i for i, pid in enumerate(vectors.ids)}
    rows = [row_of[p] for p in query_ids if p in row_of][:queries]
    if not rows or len(vectors.ids) <= TOP_K:
        return None
    hits = 0
    for row in rows:
        q = vectors.matrix[row]
        exact = set(exact_top_k(vectors, q, TOP_K, cosine))
        reply = client.execute_command(*knn_command(index_name, vectors.field, q, TOP_K, ef))
        hits += len(exact & set(_ids_from_reply(reply)))
    return round(hits / (TOP_K * len(rows)), 4)
