"""`shoprec evaluate` end to end: split, validation-tuned baselines, our service, metrics.

Every hyper-parameter the run itself chooses (EASE's lambda) is chosen on a validation split
carved from the latest part of train by the same protocol; test events are only scored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import redis

from indexing.contract.settings import Settings
from indexing.contract.tuned_params import served_settings
from indexing.load.csv_loader import load_interactions, load_products
from indexing.validation import baselines
from indexing.validation.beyond_accuracy import BeyondAccuracy, beyond_accuracy
from indexing.validation.metrics import Scores, score_lists
from indexing.validation.split import TimeSplit, sample_users, time_split
from service.evaluation.service_path import (
    rank_through_service,
    seen_policy_models,
    service_models,
    train_index,
)

HYBRID_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
EASE_LAMBDAS = (100.0, 250.0, 500.0, 1000.0)
FEW_EVENTS = 2  # the "new-ish users" slice: at most this many events before the cut


@dataclass
class EvalConfig:
    products: Path
    interactions: Path
    test_fraction: float = 0.2
    k: int = 10
    hybrid_weights: Sequence[float] = HYBRID_WEIGHTS
    ease_lambdas: Sequence[float] = EASE_LAMBDAS
    max_users: int | None = None  # evaluate a deterministic sample of test users (tests)
    # Score the validation split (carved from the end of train) instead of test: how the
    # defaults in indexing/contract/settings.py were chosen without looking at test events.
    validation: bool = False
    # Seen policies to compare (SHOPREC_EXCLUDE_SEEN): products touched again after the cut
    # count as relevant, requests carry no exclusions, and every row is scored twice, with
    # repeats and on novel products only. Empty: the standard protocol (novel products).
    exclude_seen: Sequence[str] = ()
    # `diversity` values (MMR) to score the served hybrid at, one row each; empty: none.
    diversity: Sequence[float] = ()
    quiet: bool = False


@dataclass
class ModelResult:
    name: str
    kind: str  # "baseline" or "ours"
    all_users: Scores
    few_events: Scores
    cold_products: Scores
    beyond: BeyondAccuracy


@dataclass
class EvalResult:
    dataset: dict[str, object]
    k: int
    results: list[ModelResult]
    chosen: dict[str, object]
    settings: dict[str, object]
    seconds: dict[str, float] = field(default_factory=dict)
    latency_ms: dict[str, dict[str, float]] = field(default_factory=dict)  # model -> p50, p99


def _say(config: EvalConfig, message: str) -> None:
    if not config.quiet:
        print(message, flush=True)


def choose_ease_lambda(
    split: TimeSplit, item_ids: Sequence[str], lambdas: Sequence[float], k: int
) -> tuple[float, dict[float, float]]:
    """EASE's lambda with the best NDCG@k on the validation split carved from train."""
    validation = time_split(split.train, _fraction_of(split))
    data = baselines.user_items(validation.train, item_ids)
    ndcg: dict[float, float] = {}
    for lam in lambdas:
        lists = baselines.top_k_lists(
            data, validation.users, baselines.ease_scorer(data.matrix, lam), k
        )
        ndcg[lam] = score_lists(lists, validation.relevant, k, len(item_ids)).ndcg
    return max(ndcg, key=lambda lam: (ndcg[lam], -lam)), ndcg


def _fraction_of(split: TimeSplit) -> float:
    total = len(split.train) + len(split.test)
    return len(split.test) / total if total else 0.2


def slice_scores(
    rankings: Mapping[str, Sequence[str]],
    split: TimeSplit,
    k: int,
    catalog_size: int,
    train_counts: Mapping[str, int],
    cold: frozenset[str],
) -> tuple[Scores, Scores, Scores]:
    few = {u: r for u, r in split.relevant.items() if train_counts.get(u, 0) <= FEW_EVENTS}
    cold_relevant = {u: r & cold for u, r in split.relevant.items()}
    return (
        score_lists(rankings, split.relevant, k, catalog_size),
        score_lists(rankings, few, k, catalog_size),
        score_lists(rankings, cold_relevant, k, catalog_size),
    )


def run_evaluation(
    client: redis.Redis, redis_url: str, settings: Settings, config: EvalConfig
) -> EvalResult:
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    _say(config, f"- load {config.products} and {config.interactions}")
    catalog = load_products(config.products)
    interactions = load_interactions(
        config.interactions, catalog.product_ids, settings.cf.event_weights
    )
    item_ids = catalog.product_ids
    repeats = bool(config.exclude_seen)
    full = time_split(interactions.events, config.test_fraction, repeats)
    if config.validation:
        full = time_split(full.train, config.test_fraction, repeats)
    split = sample_users(full, config.max_users)
    if not split.users:
        raise ValueError("no test users: no user has new products after the cut")
    cold = split.cold_items()
    counts = split.train_event_counts()
    _say(config, f"  {len(split.users):,} test users, cut at {_iso(split.cut_ts)}")
    seconds["load and split"] = time.perf_counter() - started

    category = dict(
        zip(catalog.products["product_id"], catalog.products["category"].fillna(""), strict=True)
    )
    train_users = split.train.groupby("product_id")["user_id"].nunique().to_dict()
    n_train_users = int(split.train["user_id"].nunique())

    # (name suffix, split scored); with seen policies, each row with repeats and without.
    truths = [("", split)]
    if repeats:
        novel = {u: r - split.seen[u] for u, r in split.relevant.items()}
        truths = [(" [repeats count]", split), (" [novel only]", replace(split, relevant=novel))]

    def score(name: str, kind: str, rankings: Mapping[str, Sequence[str]]) -> list[ModelResult]:
        lists = [rankings.get(u, []) for u in split.users]
        beyond = beyond_accuracy(lists, config.k, category, train_users, n_train_users)
        return [
            ModelResult(
                name + suffix,
                kind,
                *slice_scores(rankings, scored, config.k, len(item_ids), counts, cold),
                beyond,
            )
            for suffix, scored in truths
        ]

    results: list[ModelResult] = []
    mark = time.perf_counter()
    _say(config, "- baselines (EASE lambda chosen on the validation split)")
    lam, validation_ndcg = choose_ease_lambda(full, item_ids, config.ease_lambdas, config.k)
    data = baselines.user_items(split.train, item_ids)
    scorers: list[tuple[str, Callable[[], baselines.Scorer]]] = [
        ("popularity", lambda: baselines.popularity_scorer(data.matrix)),
        ("item-kNN (cosine)", lambda: baselines.item_knn_scorer(data.matrix)),
        (f"EASE (lambda={lam:g})", lambda: baselines.ease_scorer(data.matrix, lam)),
    ]
    for name, make in scorers:
        results += score(
            name, "baseline", baselines.top_k_lists(data, split.users, make(), config.k)
        )
    seconds["baselines"] = time.perf_counter() - mark

    mark = time.perf_counter()
    _say(config, "- index the train events under a separate prefix")
    with train_index(
        client, settings, config.products, config.interactions, split.cut_ts, config.quiet
    ) as (eval_settings, summary):
        seconds["train index build"] = time.perf_counter() - mark
        mark = time.perf_counter()
        # The service serves the version with what its build's tuning chose, as a shop's does.
        served = served_settings(eval_settings, summary.meta.params)
        _say(config, "- ask the service for every test user")
        models = service_models(config.hybrid_weights, served.serving.w_cf, config.diversity)
        if repeats:
            models = seen_policy_models(config.exclude_seen, served.serving.w_cf)
        answered = rank_through_service(
            redis_url, eval_settings, split, models, config.k, config.quiet
        )
        seconds["service queries"] = time.perf_counter() - mark
    for model in models:
        results += score(model.name, "ours", answered.rankings[model.name])
    seconds["total"] = time.perf_counter() - started
    return EvalResult(
        dataset={
            "products": str(config.products),
            "interactions": str(config.interactions),
            "catalog_products": len(item_ids),
            "events": len(interactions.events),
            "train_events": len(split.train),
            "test_events": len(split.test),
            "test_users": len(split.users),
            "cold_test_products": len(cold),
            "cut": _iso(split.cut_ts),
            "test_fraction": config.test_fraction,
            "scored_split": "validation" if config.validation else "test",
            "relevant": "every product touched after the cut (repeats count) and novel only"
            if repeats
            else "novel products",
        },
        k=config.k,
        results=results,
        chosen={
            "tuning": summary.meta.params.get("tuning", {}),
            "rerank": summary.meta.params.get("rerank", {}),
            "ease_lambda": lam,
            "ease_validation_ndcg": {f"{k:g}": v for k, v in validation_ndcg.items()},
        },
        settings=_model_settings(served, summary.cf_model, summary.cf_dims),
        seconds=seconds,
        latency_ms=answered.latency_summary(),
    )


def _model_settings(settings: Settings, cf_model: str, cf_dims: int) -> dict[str, object]:
    return {
        "embedder": settings.catalog.embedder,
        "content_dims": settings.catalog.content_dims,
        "cf_model": cf_model,
        "cf_dims": cf_dims,
        "cf_ease_lambda": settings.cf.ease_lambda,
        "half_life_days": settings.cf.half_life_days,
        "history_max_items": settings.cf.history_max_items,
        "cf_query_weighting": settings.cf.query_weighting,
        "cf_matrix_values": settings.cf.matrix_values,
        "hnsw_ef_runtime": settings.index.hnsw_ef_runtime,
        "event_weights": settings.cf.event_weights.as_dict(),
    }


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))
