"""Index-time tuning: the shop's own log chooses the CF and blend settings of its build.

The latest VALIDATION_FRACTION of the events is held out by time (indexing.validation.split,
the protocol of `shoprec evaluate`); candidates are fit on the rest and scored by NDCG@10 on
the held-out products, in memory (candidate_scorer). The search is coordinate ascent from the
configured settings over the axes of search_space: each axis in turn is set to its best value
with the others fixed. It stops at the time budget and keeps the best found so far; large logs
are scored on a deterministic sample of validation users so a build stays fast.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from indexing.contract.settings import Settings
from indexing.contract.tuned_params import TuningParams
from indexing.models.cf_model import choose_model
from indexing.tuning.candidate_scorer import CandidateScorer, ScorerInput
from indexing.tuning.search_space import axes
from indexing.validation import baselines
from indexing.validation.metrics import score_lists
from indexing.validation.split import TimeSplit, sample_users, time_split

VALIDATION_FRACTION = 0.2  # the share `shoprec evaluate` holds out by default
K = 10  # NDCG@10, the number docs/quality.md reports


@dataclass(frozen=True)
class TuningResult:
    """What the tuner chose and why; `as_meta` goes into CatalogMeta.params["tuning"]."""

    chosen: TuningParams | None  # None: not tuned (see `skipped`)
    skipped: str = ""
    ndcg: dict[str, float] = field(default_factory=dict)  # tuned, defaults, popularity
    validation_users: int = 0
    candidates: int = 0
    seconds: float = 0.0
    stopped_by_budget: bool = False
    trials: list[dict[str, Any]] = field(default_factory=list)
    # The validation split and the fits behind `chosen`, for the re-ranker's training.
    scorer: CandidateScorer | None = field(default=None, compare=False, repr=False)

    def settings(self, settings: Settings) -> Settings:
        return self.chosen.applied_to(settings) if self.chosen is not None else settings

    def as_meta(self) -> dict[str, Any]:
        if self.chosen is None:
            return {"skipped": self.skipped}
        return {
            "chosen": self.chosen.as_dict(),
            "validation_ndcg_at_10": {k: round(v, 5) for k, v in self.ndcg.items()},
            "validation_users": self.validation_users,
            "candidates": self.candidates,
            "seconds": round(self.seconds, 2),
            "stopped_by_budget": self.stopped_by_budget,
        }


def summary_lines(record: Mapping[str, Any]) -> list[str]:
    """The build summary's lines for a `TuningResult.as_meta()` record."""
    if "chosen" not in record:
        return [f"tuning: skipped ({record.get('skipped', 'not run')})"]
    chosen = ", ".join(f"{k} {v}" for k, v in record["chosen"].items())
    ndcg = record["validation_ndcg_at_10"]
    budget = " (the time budget left some candidates out)" if record["stopped_by_budget"] else ""
    return [
        f"tuning: {record['candidates']} candidates on {record['validation_users']:,} "
        f"validation users in {record['seconds']:.1f} s{budget}",
        f"tuned: {chosen}",
        f"validation NDCG@10: tuned {ndcg['tuned']:.4f}, untuned defaults "
        f"{ndcg['defaults']:.4f}, popularity {ndcg['popularity']:.4f}",
    ]


def tune(
    events: pd.DataFrame,
    item_ids: list[str],
    content: np.ndarray | None,
    settings: Settings,
    clock: Callable[[], float] = time.perf_counter,
) -> TuningResult:
    """Choose the settings of a build from its own events; `settings` is the start point."""
    started = clock()
    config = settings.cf
    if not config.tune:
        return TuningResult(None, "turned off")
    if events.empty or events["ts"].nunique() < 2:
        return TuningResult(None, "too few events to split by time")
    split = sample_users(time_split(events, VALIDATION_FRACTION), config.tune_max_users)
    if len(split.users) < config.tune_min_users:
        return TuningResult(
            None,
            f"{len(split.users)} validation users, fewer than {config.tune_min_users}",
        )
    n_items = int(split.train["product_id"].nunique())
    scorer = CandidateScorer(
        ScorerInput(split, item_ids, content, config.dims, config.ease_max_items, K)
    )
    start = TuningParams.from_settings(
        settings, choose_model(config.model, n_items, config.ease_max_items)
    )
    mark = clock()
    best, best_ndcg = start, scorer.ndcg(start)
    fit_seconds = clock() - mark  # what a candidate that needs new CF vectors costs
    trials = [{**start.as_dict(), "ndcg": best_ndcg}]
    stopped = False
    for name, values in axes(start, n_items, config.ease_max_items):
        for value in values:
            candidate = dataclasses.replace(best, **{name: value})
            if candidate == best or (name == "ease_lambda" and best.cf_model != "ease"):
                continue
            cost = 0.0 if scorer.has_fit(candidate) else fit_seconds
            if clock() - started + cost > config.tune_budget_s:
                stopped = True  # keep going: a later axis may need no refit
                continue
            mark = clock()
            ndcg = scorer.ndcg(candidate)
            if cost:  # fits get slower on a busy machine: budget for the slowest seen
                fit_seconds = max(fit_seconds, clock() - mark)
            trials.append({**candidate.as_dict(), "ndcg": ndcg})
            if ndcg > best_ndcg:
                best, best_ndcg = candidate, ndcg
    return TuningResult(
        chosen=best,
        ndcg={
            "tuned": best_ndcg,
            "defaults": trials[0]["ndcg"],
            "popularity": _popularity(split, item_ids),
        },
        validation_users=len(split.users),
        candidates=len(trials),
        seconds=clock() - started,
        stopped_by_budget=stopped,
        trials=trials,
        scorer=scorer,
    )


def _popularity(split: TimeSplit, item_ids: list[str]) -> float:
    data = baselines.user_items(split.train, item_ids)
    scorer = baselines.popularity_scorer(data.matrix)
    lists = baselines.top_k_lists(data, split.users, scorer, K)
    return score_lists(lists, split.relevant, K, len(item_ids)).ndcg
