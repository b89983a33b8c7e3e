"""Our recommenders, asked through the service's own objects over a train-only index.

The train events are indexed by the normal `build_index` under a throw-away key prefix (the
live index is never touched), then every test user is asked through `RecommendationService`,
exactly as the routes ask it, with the products the user touched before the cut passed as
exclusions. The prefix's keys and index are removed afterwards, also on failure.
"""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import redis

from indexing.build.build_summary import BuildSummary
from indexing.build.catalog_versions import remove_prefix
from indexing.build.index_builder import build_index
from indexing.build.progress import Progress
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.load.field_values import parse_timestamps
from indexing.validation.split import TimeSplit
from service.api.app import redis_pool_client
from service.recommend.base import RecommendRequest
from service.recommend.service import RecommendationService

EVAL_REDIS_TIMEOUT_S = 30.0


def write_train_csv(interactions_csv: Path, cut_ts: float, out: Path) -> int:
    """The interaction rows before the cut, unchanged; returns how many."""
    raw = pd.read_csv(interactions_csv, dtype=str, keep_default_na=False)
    ts = parse_timestamps(raw["ts"])
    train = raw[(ts < cut_ts).to_numpy()]
    train.to_csv(out, index=False)
    return len(train)


@contextmanager
def train_index(
    client: redis.Redis,
    settings: Settings,
    products_csv: Path,
    interactions_csv: Path,
    cut_ts: float,
    quiet: bool = False,
) -> Iterator[tuple[Settings, BuildSummary]]:
    """Build the train part under its own prefix; yields the settings that point at it."""
    eval_settings = settings.replace(
        redis={
            "key_prefix": f"{settings.redis.key_prefix}-eval-{uuid.uuid4().hex[:8]}",
            "timeout_s": max(settings.redis.timeout_s, EVAL_REDIS_TIMEOUT_S),
            # A throw-away index: its users' keys stay beside it, never in REDIS_STATE_URL's
            # Redis, so the evaluation's reads and its clean-up see one Redis.
            "state_url": None,
        },
        serving={"cache_ttl_s": 0},
    )
    try:
        with tempfile.TemporaryDirectory(prefix="shoprec-eval-") as tmp:
            train_csv = Path(tmp) / "train_interactions.csv"
            write_train_csv(interactions_csv, cut_ts, train_csv)
            summary = build_index(client, eval_settings, products_csv, train_csv, quiet=quiet)
        yield eval_settings, summary
    finally:
        remove_prefix(client, RedisLayout(eval_settings.redis.key_prefix))


@dataclasses.dataclass(frozen=True)
class ServiceModel:
    """One of our variants: which endpoint, and how a test user's request looks."""

    name: str
    endpoint: str  # "content", "user" or "hybrid"
    w_cf: float | None = None  # hybrid: None asks with the version's served default weights
    # Set: the request carries no exclusions and the service leaves out what this seen policy
    # says (SHOPREC_EXCLUDE_SEEN); None: everything the user touched before the cut is excluded.
    exclude_seen: str | None = None
    diversity: float = 0.0  # the request's `diversity` (MMR; 0: off)


def service_models(
    hybrid_weights: Sequence[float], served_w_cf: float, diversities: Sequence[float] = ()
) -> list[ServiceModel]:
    """content, cf, a hybrid row per weight, the hybrid as a shop's /recommend/hybrid
    serves it by default (the weights the build's tuning chose, else the configured ones),
    and that hybrid once per `diversity` asked for (`shoprec evaluate --diversity`)."""
    models = [ServiceModel("content", "content"), ServiceModel("cf", "user")]
    models += [ServiceModel(f"hybrid w_cf={w:g}", "hybrid", w) for w in hybrid_weights]
    served = f"hybrid served (w_cf={served_w_cf:g})"
    models.append(ServiceModel(served, "hybrid"))
    models += [
        ServiceModel(f"{served}, diversity={d:g}", "hybrid", diversity=d) for d in diversities
    ]
    return models


def seen_policy_models(policies: Sequence[str], w_cf: float) -> list[ServiceModel]:
    """cf and the hybrid at `w_cf`, once per seen policy (`shoprec evaluate --exclude-seen`)."""
    return [
        model
        for policy in policies
        for model in (
            ServiceModel(f"cf, exclude_seen={policy}", "user", exclude_seen=policy),
            ServiceModel(f"hybrid w_cf={w_cf:g}, exclude_seen={policy}", "hybrid", w_cf, policy),
        )
    ]


def request_for(
    model: ServiceModel, user: str, split: TimeSplit, last_item: dict[str, str], k: int
) -> tuple[str, RecommendRequest]:
    exclude = split.seen[user] if model.exclude_seen is None else frozenset()
    if model.endpoint == "content":
        # The content path answers for a product: the user's latest product before the cut.
        return "content", RecommendRequest(top_k=k, product_id=last_item[user], exclude=exclude)
    # The standard protocol excludes everything seen before the cut: policy "all" and more.
    seen = model.exclude_seen or "all"
    if model.endpoint == "user":
        return "user", RecommendRequest(top_k=k, user_id=user, exclude=exclude, exclude_seen=seen)
    if model.w_cf is None:
        request = RecommendRequest(
            top_k=k, user_id=user, exclude=exclude, exclude_seen=seen, diversity=model.diversity
        )
        return "hybrid", request
    request = RecommendRequest(
        top_k=k,
        user_id=user,
        exclude=exclude,
        w_content=1.0 - model.w_cf,
        w_cf=model.w_cf,
        exclude_seen=seen,
    )
    return "hybrid", request


def latest_items(split: TimeSplit) -> dict[str, str]:
    ordered = split.train.sort_values("ts", kind="stable")
    return ordered.groupby("user_id")["product_id"].last().astype(str).to_dict()


@dataclasses.dataclass
class ServiceRankings:
    """model name -> user -> the product ids answered, best first; and per model the time
    each request took in the service (ms, one request at a time)."""

    rankings: dict[str, dict[str, list[str]]] = dataclasses.field(default_factory=dict)
    latency_ms: dict[str, list[float]] = dataclasses.field(default_factory=dict)

    def latency_summary(self) -> dict[str, dict[str, float]]:
        return {
            name: {
                "p50": float(np.percentile(ms, 50)),
                "p99": float(np.percentile(ms, 99)),
            }
            for name, ms in self.latency_ms.items()
            if ms
        }


async def _ask_all(
    ask: Callable[[str], Awaitable[list[str]]], users: Sequence[str], progress: Progress
) -> tuple[dict[str, list[str]], list[float]]:
    """Every user's answer, asked one at a time: each time is then that request's own
    service time, not a queue behind the evaluation's other requests on one event loop (how
    the service holds up under concurrent load is `shoprec bench`'s question)."""
    out: dict[str, list[str]] = {}
    took: list[float] = []
    for user in users:
        started = time.perf_counter()
        out[user] = await ask(user)
        took.append((time.perf_counter() - started) * 1000.0)
        progress.advance(1)
    return out, took


async def _rank_all(
    url: str,
    settings: Settings,
    split: TimeSplit,
    models: Sequence[ServiceModel],
    k: int,
    quiet: bool,
) -> ServiceRankings:
    client = redis_pool_client(url, settings)
    service = RecommendationService(settings, client)
    last_item = latest_items(split)
    users = split.users
    out = ServiceRankings()
    try:
        for model in models:

            async def ask(user: str, model: ServiceModel = model) -> list[str]:
                endpoint, request = request_for(model, user, split, last_item, k)
                answer = await service.recommend(endpoint, request)
                return [item.product_id for item in answer.results]

            progress = Progress(f"{model.name}", len(users), quiet=quiet)
            out.rankings[model.name], out.latency_ms[model.name] = await _ask_all(
                ask, users, progress
            )
    finally:
        await client.aclose()
    return out


def rank_through_service(
    url: str,
    settings: Settings,
    split: TimeSplit,
    models: Sequence[ServiceModel],
    k: int,
    quiet: bool = False,
) -> ServiceRankings:
    """What the service answered every test user, per model, and how fast."""
    return asyncio.run(_rank_all(url, settings, split, models, k, quiet))
