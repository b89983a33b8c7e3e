"""The benchmark's target check and table, on hand-made results (no Redis, no timing)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from service.bench.bench_report import check_targets, markdown
from service.bench.bench_runner import paired_requests


def _size(products: int, hybrid_p99: float, rps: float) -> dict[str, Any]:
    cell = {"concurrency": 16, "requests": 10, "errors": 0, "rps": rps}
    cell |= {"p50_ms": 1.0, "p95_ms": 2.0, "p99_ms": hybrid_p99}
    cached = {"concurrency": 1, "requests": 10, "errors": 0, "rps": 900.0}
    cached |= {"p50_ms": 0.8, "p95_ms": 1.0, "p99_ms": 1.2}
    content = dict(cached, concurrency=1, p50_ms=0.9)
    return {
        "products": products,
        "build": {
            "build_total_s": 50.0,
            "vectors_s": 20.0,
            "redis_load_s": 25.0,
            "vectors_products_per_s": 2500.0,
            "redis_load_products_per_s": 2000.0,
            "redis_bytes_per_product": 3000.0,
        },
        "floors": {
            "recall_at_10_content": 0.99,
            "recall_at_10_cf": 0.9,
            "raw_ft_search_content": {"p50_ms": 0.4, "p99_ms": 1.0},
            "numpy_exact_content": {"p50_ms": 2.0},
        },
        "http": {
            "uncached": {"hybrid": [cell], "content": [content]},
            "cached": {"content": [cached]},
        },
    }


def test_targets_compare_the_right_cells() -> None:
    results = {"sizes": [_size(50_000, 12.0, 1200.0), _size(200_000, 30.0, 800.0)]}
    met = {t["target"]: t["met"] for t in check_targets(results)}
    assert met["50K uncached hybrid c16 p99 ms <= 15"] is True
    assert met["50K uncached hybrid c16 req/s >= 1000"] is True
    # 0.9 ms / 0.4 ms = 2.25 <= 3
    assert met["50K uncached content c1 p50 / raw FT.SEARCH p50 <= 3"] is True
    assert met["50K cached content c1 p50 ms <= 1"] is True
    assert met["50K full build s <= 60"] is True
    assert met["50K HNSW recall@10 (content) >= 0.95"] is True
    assert met["50K HNSW recall@10 (cf) >= 0.95"] is False
    # 30 / 12 = 2.5 > 2
    assert met["200K / 50K uncached hybrid c16 p99 <= 2"] is False


def test_targets_need_the_50k_size() -> None:
    assert check_targets({"sizes": [_size(5_000, 1.0, 5000.0)]}) == []


def test_markdown_has_one_row_per_measured_cell() -> None:
    results = {
        "options": {"concurrency": [16]},
        "settings": {"hnsw_ef_runtime": 64},
        "sizes": [_size(50_000, 12.0, 1200.0)],
    }
    results["targets"] = check_targets(results)
    table = markdown(results)
    assert "| 50,000 | hybrid | uncached | 1.00 / 2.00 / 12.00, 1,200 |" in table
    assert "| 50K HNSW recall@10 (cf) >= 0.95 | 0.9 | NO |" in table


def test_what_the_controls_add_is_each_variant_against_the_hybrid() -> None:
    size = _size(5_000, 12.0, 1200.0)
    hybrid = dict(size["http"]["uncached"]["hybrid"][0], concurrency=1, p50_ms=4.0)
    size["http"]["uncached"]["hybrid"] = [hybrid]
    # The ruled cells drifted (+0.9 cell after cell); its alternating pairs say +0.5.
    ruled = dict(hybrid, p50_ms=4.9, p50_added_paired_c1_ms=0.5)
    size["http"]["uncached"]["hybrid-rules"] = [ruled]
    size["http"]["uncached"]["hybrid-diversity"] = [dict(hybrid, p50_ms=4.2)]
    results = {"options": {"concurrency": [1]}, "sizes": [size]}
    results["targets"] = check_targets(results)
    met = {t["target"]: (t["measured"], t["met"]) for t in results["targets"]}
    assert met["5,000 uncached c1 p50: hybrid-rules adds ms <= 0.3"] == (0.5, False)
    # Without pairs, the difference of the cells.
    assert met["5,000 uncached c1 p50: hybrid-diversity adds ms <= 0.3"] == (0.2, True)
    # A variant that was not measured has no row and no target.
    assert not any("hybrid-capped" in name for name in met)
    table = markdown(results)
    assert "| 5,000 | hybrid-rules | +0.50 | +0.90 |" in table
    assert "| 5,000 | hybrid-diversity | - | +0.20 |" in table


def test_paired_requests_alternate_and_never_repeat_the_ids_just_asked() -> None:
    ids = [f"user_id=U{i}&product_id=P{i}" for i in range(6)]
    hybrid = [f"/recommend/hybrid?{q}" for q in ids]
    variant = [f"/recommend/hybrid?{q}&max_per_category=2" for q in ids]
    requests = paired_requests(hybrid, variant)
    assert [r.kind for r in requests] == ["hybrid", "variant"] * 6
    assert sorted(r.path for r in requests if r.kind == "variant") == sorted(variant)

    def asked(path: str) -> str:
        return path.split("?")[1].removesuffix("&max_per_category=2")

    for before, after in pairwise(requests):
        assert asked(before.path) != asked(after.path), (before.path, after.path)
