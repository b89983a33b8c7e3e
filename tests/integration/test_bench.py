"""`shoprec bench` end to end at a tiny size: build, reference floors, real uvicorn, reports.

Nothing here asserts a speed: only that every cell was measured, without errors, and that
the run cleaned up after itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import redis

from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.bench.bench_catalog import bench_settings
from service.bench.bench_report import write_reports
from service.bench.bench_runner import BenchOptions, run_bench
from service.bench.request_paths import BENCHED


def test_bench_runs_end_to_end_at_a_tiny_size(
    settings: Settings, redis_url: str, tmp_path: Path
) -> None:
    client = redis.Redis.from_url(redis_url)
    options = BenchOptions(
        sizes=[300],
        duration_s=1.0,
        concurrency=[1, 4],
        endpoints=list(BENCHED),
        workers=1,
        out_dir=tmp_path,
        quiet=True,
    )
    results = run_bench(client, redis_url, settings, options)
    paths = write_reports(results, tmp_path)

    saved = json.loads(paths["json"].read_text())
    (size,) = saved["sizes"]
    assert size["products"] == 300
    assert size["build"]["vectors_products_per_s"] > 0
    assert size["build"]["redis_bytes_per_product"] > 0
    assert 0.0 <= size["floors"]["recall_at_10_content"] <= 1.0
    assert size["floors"]["raw_ft_search_content"]["queries"] > 0
    for mode in ("uncached", "cached"):
        for endpoint in BENCHED:
            cells = size["http"][mode][endpoint]
            assert [c["concurrency"] for c in cells] == [1, 4]
            for cell in cells:
                assert cell["requests"] > 0, (mode, endpoint, cell)
                assert cell["errors"] == 0, (mode, endpoint, cell)
                assert cell["server_cpu_ms_per_req"] > 0, (mode, endpoint, cell)
                # The service's own counters: "uncached" never hit, "cached" always did.
                expected = 0.0 if mode == "uncached" else 1.0
                assert cell["cache_hit_ratio"] == expected, (mode, endpoint, cell)
        # A 300-product catalog fits the workers' product rows: computed answers reuse them.
        assert size["http"]["uncached"]["hybrid"][-1]["rows_cached_ratio"] > 0.5
        # The ruled cell ran under the bench's rules, and its answers showed them.
        ruled = size["http"][mode]["hybrid-rules"][0]
        assert ruled["rules_in_force"] == 3
        assert ruled["answers_boosted_share"] > 0
    # Each variant's cost was also measured in alternating pairs against the hybrid.
    for variant in ("hybrid-rules", "hybrid-diversity", "hybrid-capped"):
        assert isinstance(size["http"]["uncached"][variant][0]["p50_added_paired_c1_ms"], float)
    table = paths["markdown"].read_text()
    assert "| 300 | hybrid-rules |" in table
    assert "| 300 | hybrid | uncached (0%; rows " in table
    assert paths["png"].read_bytes()[:4] == b"\x89PNG"
    # Everything the run wrote under the catalogue's prefix is gone.
    prefix = RedisLayout(bench_settings(settings, 300).redis.key_prefix).prefix
    assert not list(client.scan_iter(match=f"{prefix}:*", count=1000))
    client.close()
