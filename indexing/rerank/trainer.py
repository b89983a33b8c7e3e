"""Train the re-ranker at index time and keep it only where it beats the first stage.

Validated the way it is used: walk forward in time. A served model is fit on the window
before the build's end and applied to what comes after it, with features from a first stage
refit on more events. So the decision fits LightGBM (lambdarank, NDCG@10) on the candidates
of one window earlier (the tuner's own split, carved once more from its train part;
indexing/rerank/training_data.py) and applies it to the tuner's validation window: the
re-ranked top 10 against the first stage the service would otherwise serve (the tuned hybrid
or CF), both by NDCG@10. Only if it scores higher is the recipe repeated one window later (fit
on the validation window) for serving. The build summary and the meta hash (`params["rerank"]`)
say which and why.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from indexing.contract.rerank_features import FEATURES
from indexing.contract.rerank_model import RerankModel
from indexing.contract.settings import Settings
from indexing.rerank.training_data import UserCandidates, ranking_data
from indexing.tuning.candidate_scorer import CandidateScorer
from indexing.tuning.tuner import VALIDATION_FRACTION, K, TuningResult
from indexing.validation.metrics import score_lists
from indexing.validation.split import sample_users, time_split

# Fixed, general-purpose LightGBM settings: small trees, few rounds (a build must stay fast),
# one thread and a seed (the same log gives the same model).
LGB_PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [K],
    "num_leaves": 15,
    "learning_rate": 0.05,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.9,
    "lambdarank_truncation_level": 2 * K,
    "num_threads": 1,
    "seed": 0,
    "deterministic": True,
    "verbose": -1,
}
ROUNDS = 150
RERANK_MODES = ("auto", "off")


@dataclass(frozen=True)
class RerankResult:
    """Whether the version serves a re-ranker, and the validation that decided it."""

    on: bool
    reason: str  # why off, or "won"
    model_text: str | None = field(default=None, repr=False)  # booster.model_to_string()
    ndcg: dict[str, float] = field(default_factory=dict)  # reranked, first_stage
    users: dict[str, int] = field(default_factory=dict)  # fit (one window earlier), decide
    per_side: int = 0
    seconds: float = 0.0

    def as_meta(self) -> dict[str, Any]:
        record: dict[str, Any] = {"on": self.on, "reason": self.reason}
        if self.ndcg:
            record.update(
                validation_ndcg_at_10={k: round(v, 5) for k, v in self.ndcg.items()},
                users=self.users,
                candidates_per_side=self.per_side,
                features=list(FEATURES),
                seconds=round(self.seconds, 2),
            )
        return record


def summary_lines(record: Mapping[str, Any]) -> list[str]:
    """The build summary's line for a `RerankResult.as_meta()` record."""
    ndcg = record.get("validation_ndcg_at_10")
    if not ndcg:
        return [f"re-ranker: off ({record.get('reason', 'not trained')})"]
    versus = f"validation NDCG@10 {ndcg['reranked']:.4f} vs first stage {ndcg['first_stage']:.4f}"
    users = record["users"]
    trained = f"fit on {users['fit']:,} users one window earlier, decided on {users['decide']:,}"
    state = "on" if record["on"] else f"off: {record['reason']}"
    return [f"re-ranker: {state}, {versus} ({trained}, {record['seconds']:.1f} s)"]


def train_reranker(
    tuning: TuningResult, products: pd.DataFrame, settings: Settings
) -> RerankResult:
    """The re-ranker of a build whose tuning ran (its validation split and scorer)."""
    config = settings.cf
    if config.rerank not in RERANK_MODES:
        raise ValueError(f"SHOPREC_RERANK must be one of {RERANK_MODES}, not {config.rerank!r}")
    if config.rerank == "off":
        return RerankResult(False, "SHOPREC_RERANK=off")
    if tuning.chosen is None or tuning.scorer is None:
        return RerankResult(False, f"needs the tuning's validation split; tuning {tuning.skipped}")
    started = time.perf_counter()
    scorer, chosen = tuning.scorer, tuning.chosen
    split = scorer.given.split
    earlier = sample_users(time_split(split.train, VALIDATION_FRACTION), config.tune_max_users)
    if len(earlier.users) < config.tune_min_users:
        return RerankResult(False, f"{len(earlier.users)} users one window earlier, too few")
    earlier_scorer = CandidateScorer(dataclasses.replace(scorer.given, split=earlier))

    def data(of: CandidateScorer) -> list[UserCandidates]:
        return ranking_data(
            of, chosen, products, config.popular_max_items, config.rerank_candidates
        )

    validation = data(scorer)
    result = fit_and_decide(
        data(earlier_scorer),
        validation,
        scorer.rank(chosen),
        split.relevant,
        len(scorer.given.item_ids),
    )
    # Served: the same recipe one window later, fit on the window next to the build's end.
    model_text = _fit(validation).to_text() if result.on else None
    return dataclasses.replace(
        result,
        model_text=model_text,
        per_side=config.rerank_candidates,
        seconds=time.perf_counter() - started,
    )


def fit_and_decide(
    fit: Sequence[UserCandidates],
    decide: Sequence[UserCandidates],
    first_stage: Mapping[str, Sequence[str]],
    relevant: Mapping[str, frozenset[str]],
    catalog_size: int,
) -> RerankResult:
    """Fit on `fit` (one window), compare with `first_stage` on `decide` (the next one)."""
    users = {"fit": sum(1 for d in fit if d.labels.any()), "decide": len(decide)}
    if not users["fit"] or not decide:
        return RerankResult(False, "too few validation users with a held-out product", users=users)
    model = _fit(fit)
    reranked = {d.user: [d.products[i] for i in model.order(d.features)[0][:K]] for d in decide}
    held = {d.user: relevant[d.user] for d in decide}
    ndcg = {
        "reranked": score_lists(reranked, held, K, catalog_size).ndcg,
        "first_stage": score_lists(
            {u: list(first_stage.get(u, [])) for u in held}, held, K, catalog_size
        ).ndcg,
    }
    won = ndcg["reranked"] > ndcg["first_stage"]
    return RerankResult(
        won, "won" if won else "did not win", model.to_text() if won else None, ndcg, users
    )


def _fit(data: Sequence[UserCandidates]) -> RerankModel:
    lists = [d for d in data if d.labels.any()]  # a list with no positive teaches nothing
    dataset = lgb.Dataset(
        np.vstack([d.features for d in lists]),
        np.concatenate([d.labels for d in lists]),
        group=[len(d.products) for d in lists],
        feature_name=list(FEATURES),
    )
    return RerankModel(lgb.train(LGB_PARAMS, dataset, num_boost_round=ROUNDS))
