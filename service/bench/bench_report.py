"""Benchmark results to files: JSON (everything), a markdown table, a PNG of latency against
catalogue size; and the issue's targets checked against the numbers of the same run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.bench.request_paths import HYBRID_VARIANTS

TARGET_SIZE = 50_000
LARGE_SIZE = 200_000
# What a merchandising control may add to an uncached hybrid at p50 (#18).
CONTROL_ADDS_MS = 0.3


def _cell(size: dict[str, Any], mode: str, endpoint: str, concurrency: int) -> dict | None:
    for row in size["http"].get(mode, {}).get(endpoint, []):
        if row["concurrency"] == concurrency:
            return row
    return None


def _size(results: dict[str, Any], products: int) -> dict[str, Any] | None:
    for size in results["sizes"]:
        if size["products"] == products:
            return size
    return None


def check_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value and whether it is met; a target whose
    cells were not measured in this run is left out."""
    out: list[dict[str, Any]] = []

    def add(name: str, measured: float | None, limit: float, below: bool = True) -> None:
        if measured is None:
            return
        met = measured <= limit if below else measured >= limit
        out.append({"target": name, "measured": round(measured, 3), "limit": limit, "met": met})

    mid = _size(results, TARGET_SIZE)
    if mid is not None:
        hybrid = _cell(mid, "uncached", "hybrid", 16)
        if hybrid:
            add("50K uncached hybrid c16 p99 ms <= 15", hybrid["p99_ms"], 15.0)
            add("50K uncached hybrid c16 req/s >= 1000", hybrid["rps"], 1000.0, below=False)
        content = _cell(mid, "uncached", "content", 1)
        raw = mid["floors"]["raw_ft_search_content"]["p50_ms"]
        if content and raw:
            add("50K uncached content c1 p50 / raw FT.SEARCH p50 <= 3", content["p50_ms"] / raw, 3)
        for endpoint in ("content", "user", "hybrid", "ab"):
            cached = _cell(mid, "cached", endpoint, 1)
            if cached:
                add(f"50K cached {endpoint} c1 p50 ms <= 1", cached["p50_ms"], 1.0)
        add("50K full build s <= 60", mid["build"]["build_total_s"], 60.0)
        for field in ("content", "cf"):
            recall = mid["floors"].get(f"recall_at_10_{field}")
            add(f"50K HNSW recall@10 ({field}) >= 0.95", recall, 0.95, below=False)
    for cost in control_costs(results):
        name = f"{cost.products:,} uncached c1 p50: {cost.variant} adds ms <= {CONTROL_ADDS_MS}"
        add(name, cost.at_c1, CONTROL_ADDS_MS)
    large = _size(results, LARGE_SIZE)
    if mid is not None and large is not None:
        a, b = _cell(mid, "uncached", "hybrid", 16), _cell(large, "uncached", "hybrid", 16)
        if a and b and a["p99_ms"]:
            add("200K / 50K uncached hybrid c16 p99 <= 2", b["p99_ms"] / a["p99_ms"], 2.0)
    return out


@dataclass(frozen=True)
class ControlCost:
    """What one hybrid variant adds to the uncached hybrid's p50 (ms) at one size: per
    concurrency the difference of the two cells (one after the other on the same server),
    and at c1 the paired measure (None where not measured), which machine drift between
    cells does not reach: request by request against the hybrid for a variant of the query,
    the median over alternating pairs of blocks for the rules."""

    products: int
    variant: str
    paired_c1: float | None
    by_concurrency: dict[int, float]

    @property
    def at_c1(self) -> float | None:
        return self.paired_c1 if self.paired_c1 is not None else self.by_concurrency.get(1)


def control_costs(results: dict[str, Any]) -> list[ControlCost]:
    out = []
    for size in results["sizes"]:
        uncached = size["http"].get("uncached", {})
        plain = {row["concurrency"]: row["p50_ms"] for row in uncached.get("hybrid", [])}
        if not plain:
            continue
        for variant in HYBRID_VARIANTS:
            rows = uncached.get(variant, [])
            if not rows:
                continue
            by_c = {
                r["concurrency"]: r["p50_ms"] - plain[r["concurrency"]]
                for r in rows
                if r["concurrency"] in plain
            }
            paired = rows[0].get("p50_added_paired_c1_ms")
            out.append(ControlCost(size["products"], variant, paired, by_c))
    return out


def _controls_table(results: dict[str, Any]) -> list[str]:
    costs = control_costs(results)
    if not costs:
        return []
    conc = results["options"]["concurrency"]

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:+.2f}"

    return [
        "",
        "| products | hybrid variant (uncached): p50 ms added | c1, paired | "
        + " | ".join(f"c{c}, cell after cell" for c in conc)
        + " |",
        "| ---: | --- | ---: | " + " | ".join("---:" for _ in conc) + " |",
        *(
            f"| {cost.products:,} | {cost.variant} | {ms(cost.paired_c1)} | "
            + " | ".join(ms(cost.by_concurrency.get(c)) for c in conc)
            + " |"
            for cost in costs
        ),
    ]


def markdown(results: dict[str, Any]) -> str:
    conc = results["options"]["concurrency"]
    lines = [
        "| products | build s (vectors / Redis load+HNSW) | build CPU s (builder / Redis) | "
        "vectors products/s | "
        "Redis load products/s | Redis bytes/product | vector index | recall@10 content / cf | "
        "raw FT.SEARCH p50/p99 ms | numpy exact p50 ms |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for size in results["sizes"]:
        b, f = size["build"], size["floors"]
        raw, exact = f["raw_ft_search_content"], f["numpy_exact_content"]
        lines.append(
            f"| {size['products']:,} | {b['build_total_s']:.1f} ({b['vectors_s']:.1f} / "
            f"{b['redis_load_s']:.1f}) | "
            f"{b.get('builder_cpu_s', '-')} / {b.get('redis_cpu_s', '-')} | "
            f"{b['vectors_products_per_s']:,.0f} | "
            f"{b['redis_load_products_per_s']:,.0f} | {b['redis_bytes_per_product']:,.0f} | "
            f"{_index_label(f)} | {f['recall_at_10_content']} / {f['recall_at_10_cf']} | "
            f"{raw['p50_ms']:.2f} / {raw['p99_ms']:.2f} | {exact['p50_ms']:.2f} |"
        )
    lines += [
        "",
        "| products | endpoint | cache (hit ratio seen; product rows held) | "
        + " | ".join(f"c{c}: p50 / p95 / p99 ms, req/s" for c in conc)
        + " |",
        "| ---: | --- | --- | " + " | ".join("---:" for _ in conc) + " |",
    ]
    for size in results["sizes"]:
        for mode in ("uncached", "cached"):
            for endpoint in size["http"].get(mode, {}):
                cells = []
                for c in conc:
                    row = _cell(size, mode, endpoint, c)
                    cells.append(
                        f"{row['p50_ms']:.2f} / {row['p95_ms']:.2f} / {row['p99_ms']:.2f}, "
                        f"{row['rps']:,.0f}"
                        + (f" ({row['errors']} errors)" if row.get("errors") else "")
                        if row
                        else "-"
                    )
                seen = _seen(size, mode, endpoint, conc)
                lines.append(
                    f"| {size['products']:,} | {endpoint} | {mode}{seen} | "
                    + " | ".join(cells)
                    + " |"
                )
    lines += _controls_table(results)
    lines += _cpu_table(results)
    targets = results.get("targets") or []
    if targets:
        lines += ["", "| target | measured | met |", "| --- | ---: | :---: |"]
        for t in targets:
            lines.append(f"| {t['target']} | {t['measured']} | {'yes' if t['met'] else 'NO'} |")
    return "\n".join(lines) + "\n"


def _seen(size: dict[str, Any], mode: str, endpoint: str, conc: list[int]) -> str:
    """The lowest and highest ratios the service counted over the row's cells: answers the
    cache served, and product rows the workers held (of those the computed answers used)."""
    answers = _span(size, mode, endpoint, conc, "cache_hit_ratio")
    rows = _span(size, mode, endpoint, conc, "rows_cached_ratio")
    if not answers:
        return ""
    return f" ({answers}; rows {rows})" if rows else f" ({answers})"


def _span(size: dict[str, Any], mode: str, endpoint: str, conc: list[int], key: str) -> str:
    ratios = [
        float(row[key]) for c in conc if (row := _cell(size, mode, endpoint, c)) and key in row
    ]
    if not ratios:
        return ""
    low, high = min(ratios), max(ratios)
    return f"{low:.0%}" if low == high else f"{low:.0%}-{high:.0%}"


def _cpu_table(results: dict[str, Any]) -> list[str]:
    """CPU per request at concurrency 16 (or the highest measured), uncached; the capacity
    column is cores / total CPU per request: the req/s this code could reach with the
    machine to itself."""
    conc = results["options"]["concurrency"]
    c = 16 if 16 in conc else max(conc)
    cores = (results.get("machine") or {}).get("nproc") or 1
    rows = []
    for size in results["sizes"]:
        for endpoint in size["http"].get("uncached", {}):
            row = _cell(size, "uncached", endpoint, c)
            if not row or "server_cpu_ms_per_req" not in row:
                continue
            total = (
                row["server_cpu_ms_per_req"]
                + row["redis_cpu_ms_per_req"]
                + row["client_cpu_ms_per_req"]
            )
            capacity = cores * 1000 / total if total > 0 else float("nan")
            rows.append(
                f"| {size['products']:,} | {endpoint} | {row['server_cpu_ms_per_req']:.2f} | "
                f"{row['redis_cpu_ms_per_req']:.2f} | {row['client_cpu_ms_per_req']:.2f} | "
                f"{capacity:,.0f} | {row['rps']:,.0f} |"
            )
    if not rows:
        return []
    return [
        "",
        f"| products | endpoint (uncached, c{c}) | server CPU ms/req | Redis CPU ms/req | "
        f"load generator CPU ms/req | capacity on {cores} cores, req/s | measured req/s |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
        *rows,
    ]


def _index_label(floors: dict[str, Any]) -> str:
    algorithm = floors.get("vector_algorithm", "hnsw")
    ef = floors.get("ef_runtime")
    return f"{algorithm.upper()} (EF_RUNTIME {ef})" if ef else algorithm.upper()


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [s["products"] for s in results["sizes"]]
    conc = results["options"]["concurrency"]
    c = 16 if 16 in conc else conc[-1]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True)
    for ax, q in zip(axes, ("p50_ms", "p99_ms"), strict=True):
        for endpoint in results["options"]["endpoints"]:
            ys = [
                (_cell(s, "uncached", endpoint, c) or {}).get(q, float("nan"))
                for s in results["sizes"]
            ]
            ax.plot(sizes, ys, marker="o", label=f"{endpoint} (HTTP, uncached)")
        cached = [
            (_cell(s, "cached", "content", c) or {}).get(q, float("nan")) for s in results["sizes"]
        ]
        ax.plot(sizes, cached, marker="s", linestyle=":", label="content (HTTP, cached)")
        raw = [s["floors"]["raw_ft_search_content"][q] for s in results["sizes"]]
        ax.plot(sizes, raw, marker="^", linestyle="--", color="black", label="raw FT.SEARCH (c1)")
        ax.set_xscale("log")
        ax.set_xlabel("catalogue size (products)")
        ax.set_ylabel(f"{q.split('_')[0]} latency (ms)")
        ax.set_title(f"{q.split('_')[0]} at concurrency {c}")
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_reports(results: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    results["targets"] = check_targets(results)
    paths = {
        "json": out_dir / "bench.json",
        "markdown": out_dir / "bench.md",
        "png": out_dir / "bench-latency.png",
    }
    paths["json"].write_text(json.dumps(results, indent=2) + "\n")
    paths["markdown"].write_text(markdown(results))
    plot(results, paths["png"])
    return paths
