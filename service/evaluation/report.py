"""The evaluation's outputs: a markdown table, a JSON file and a PNG plot in one folder."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from indexing.rerank.trainer import summary_lines as rerank_lines
from indexing.tuning.tuner import summary_lines
from service.evaluation.runner import EvalResult, ModelResult

MARKDOWN_FILE, JSON_FILE, PLOT_FILE = "evaluation.md", "evaluation.json", "evaluation.png"
COVERAGE_PLOT_FILE = "evaluation-coverage.png"


def markdown(result: EvalResult) -> str:
    k, d = result.k, result.dataset
    lines = [
        f"Dataset: `{d['interactions']}`: {d['catalog_products']:,} products, "
        f"{d['events']:,} events; cut at {d['cut']} (test fraction {d['test_fraction']}): "
        f"{d['train_events']:,} train / {d['test_events']:,} test events, "
        f"{d['test_users']:,} test users, {d['cold_test_products']:,} test products with no "
        f"train events. Scored split: {d['scored_split']}; relevant: "
        f"{d.get('relevant', 'novel products')}.",
        "",
        f"| model | Recall@{k} | NDCG@{k} | HitRate@{k} | coverage | "
        f"NDCG@{k} users <= 2 events (n) | Recall@{k} cold products (n) | "
        "diversity | novelty (bits) | popularity bias |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [_row(r) for r in result.results]
    lines += [
        "",
        f"Chosen on the validation split: EASE lambda = {result.chosen['ease_lambda']:g}.",
        "Train index: "
        + "; ".join(
            [
                *summary_lines(_mapping(result.chosen.get("tuning"))),
                *rerank_lines(_mapping(result.chosen.get("rerank"))),
            ]
        ),
    ]
    lines.append("Run time: " + ", ".join(f"{n} {s:.1f} s" for n, s in result.seconds.items()))
    if result.latency_ms:
        lines.append(
            "Service time per request, ms p50 / p99 (in process, one at a time): "
            + ", ".join(
                f"{name} {ms['p50']:.1f} / {ms['p99']:.1f}"
                for name, ms in result.latency_ms.items()
            )
        )
    return "\n".join(lines) + "\n"


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _row(r: ModelResult) -> str:
    a, few, cold, b = r.all_users, r.few_events, r.cold_products, r.beyond
    name = r.name if r.kind == "baseline" else f"**{r.name}**"
    return (
        f"| {name} | {a.recall:.4f} | {a.ndcg:.4f} | {a.hit_rate:.4f} | {a.coverage:.4f} | "
        f"{few.ndcg:.4f} ({few.users:,}) | {cold.recall:.4f} ({cold.users:,}) | "
        f"{_optional(b.diversity)} | {b.novelty:.2f} | {b.popularity_bias:.4f} |"
    )


def _optional(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def as_json(result: EvalResult) -> dict[str, object]:
    return {
        "dataset": result.dataset,
        "k": result.k,
        "results": [
            {
                "name": r.name,
                "kind": r.kind,
                "all_users": r.all_users.as_dict(),
                "few_events_users": r.few_events.as_dict(),
                "cold_products": r.cold_products.as_dict(),
                "beyond_accuracy": r.beyond.as_dict(),
            }
            for r in result.results
        ],
        "chosen_on_validation": result.chosen,
        "settings": result.settings,
        "seconds": result.seconds,
        "latency_ms": result.latency_ms,
    }


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def plot(result: EvalResult, path: Path) -> None:
    plt = _pyplot()
    names = [r.name for r in result.results]
    series = {
        f"NDCG@{result.k}": [r.all_users.ndcg for r in result.results],
        f"Recall@{result.k}": [r.all_users.recall for r in result.results],
        f"HitRate@{result.k}": [r.all_users.hit_rate for r in result.results],
    }
    fig, ax = plt.subplots(figsize=(11, 5))
    width = 0.8 / len(series)
    for i, (label, values) in enumerate(series.items()):
        ax.bar([x + i * width for x in range(len(names))], values, width, label=label)
    ax.set_xticks([x + width for x in range(len(names))], names, rotation=30, ha="right")
    ax.set_ylabel("score (higher is better)")
    ax.set_title(f"{result.dataset['test_users']:,} test users, cut at {result.dataset['cut']}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_coverage(result: EvalResult, path: Path) -> None:
    """NDCG@K against catalog coverage, one point per model: the accuracy a model buys with
    how narrow its lists are."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 6))
    for r in result.results:
        marker = "s" if r.kind == "baseline" else "o"
        ax.scatter(r.beyond.coverage, r.all_users.ndcg, marker=marker)
        ax.annotate(
            r.name,
            (r.beyond.coverage, r.all_users.ndcg),
            fontsize=8,
            xytext=(4, 4),
            textcoords="offset points",
        )
    ax.set_xlabel(f"catalog coverage of the top {result.k}")
    ax.set_ylabel(f"NDCG@{result.k}")
    ax.set_title("accuracy against coverage (squares: baselines)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(result: EvalResult, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    names = (MARKDOWN_FILE, JSON_FILE, PLOT_FILE, COVERAGE_PLOT_FILE)
    paths = [out_dir / name for name in names]
    paths[0].write_text(markdown(result))
    paths[1].write_text(json.dumps(as_json(result), indent=2, default=str) + "\n")
    plot(result, paths[2])
    plot_coverage(result, paths[3])
    return paths
