"""Score one tuning candidate in memory, the way the service would answer it.

For a candidate the build's own steps run on the validation train events: the CF matrix and
vectors (fit_cf_vectors, so the low-rank vectors the build would index, not the model they
approximate), the users' histories (interest_frame + user_histories: the strongest
history_max_items products). The CF query is the history's weighted sum of query vectors
(indexing.contract.query_blend, the service's own arithmetic), scored exactly against every
index vector (no HNSW); the hybrid takes both sides' top candidates and blends them like
service/recommend/hybrid.py. Products the user touched before the cut are left out, as
`shoprec evaluate` asks the service to.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import scipy.sparse as sp

from indexing.build.history_writer import interest_frame, user_histories
from indexing.contract.query_blend import blend, query_weights
from indexing.contract.tuned_params import TuningParams
from indexing.models.cf_model import CFVectors, fit_cf_vectors
from indexing.models.interaction_matrix import build_interaction_matrix
from indexing.tuning.search_space import fit_key
from indexing.validation.baselines import BATCH_USERS, top_k_indices, user_items
from indexing.validation.metrics import score_lists
from indexing.validation.split import TimeSplit

# The served hybrid's candidate list per side and its content seeds (service/recommend/hybrid.py).
HYBRID_CANDIDATES = 30
CONTENT_SEED_ITEMS = 5


@dataclass(frozen=True)
class ScoredBatch:
    users: list[str]
    cf_query: np.ndarray  # users x dims: the served CF query of each user
    cf: np.ndarray  # users x catalog; -inf: no CF vector, or touched before the cut
    content: np.ndarray | None  # users x catalog cosine; -inf: touched before the cut


@dataclass(frozen=True)
class ScorerInput:
    split: TimeSplit  # validation: train = what the build would fit on, relevant = the future
    item_ids: list[str]  # the catalog, in the order of `content`'s rows
    content: np.ndarray | None  # unit content vectors, or None (no hybrid candidates)
    cf_dims: int
    ease_max_items: int
    k: int = 10


class CandidateScorer:
    def __init__(self, given: ScorerInput):
        self.given = given
        self.users = given.split.users
        self.column = {item: i for i, item in enumerate(given.item_ids)}
        seen = user_items(given.split.train, given.item_ids)
        self.seen = seen.matrix[[seen.user_row[u] for u in self.users]].tocsr()
        train = given.split.train
        self.epoch = float(train["ts"].max())
        self.train = train
        self._fitted: set[tuple[str, float, str, float]] = set()
        self._vectors = lru_cache(maxsize=None)(self._fit)
        self._interest = lru_cache(maxsize=2)(self._interest_of)

    def has_fit(self, params: TuningParams) -> bool:
        """Whether scoring `params` reuses CF vectors already fit (no refit to pay for)."""
        return fit_key(params) in self._fitted

    def ndcg(self, params: TuningParams) -> float:
        lists = self.rank(params)
        relevant = self.given.split.relevant
        return score_lists(lists, relevant, self.given.k, len(self.given.item_ids)).ndcg

    def rank(self, params: TuningParams) -> dict[str, list[str]]:
        """user -> the k products the service would answer for `params`, best first."""
        items = np.asarray(self.given.item_ids)
        out: dict[str, list[str]] = {}
        for batch in self.batches(params):
            if batch.content is None:
                ranked = top_k_indices(batch.cf, self.given.k)
            else:
                ranked = self._blended(batch.cf, batch.content, params.w_cf)
            for user, order in zip(batch.users, ranked, strict=True):
                out[user] = items[order].tolist()
        return out

    def batches(self, params: TuningParams, hybrid: bool | None = None) -> Iterator[ScoredBatch]:
        """The validation users in batches, with the scores the service's two KNNs would give
        every catalog product for `params`. `hybrid`: whether to score the content side
        (default: where the served hybrid would blend it in)."""
        cf = self.vectors(params)
        history = self.histories(params)
        query_w = self._rows(history, query_weights(history["weight"], params.query_weighting))
        query, index, has_cf = self._catalog_vectors(cf)
        if hybrid is None:
            hybrid = params.w_cf < 1.0
        content = self.given.content if hybrid else None
        seeds = history[history.groupby("user_id").cumcount() < CONTENT_SEED_ITEMS]
        seed_w = self._rows(seeds, seeds["weight"].tolist()) if content is not None else None
        for start in range(0, len(self.users), BATCH_USERS):
            rows = slice(start, start + BATCH_USERS)
            seen = self.seen[rows].nonzero()
            # The served CF query is the weighted mean of the history's query vectors.
            weights = query_w[rows]
            total = np.maximum(np.asarray(weights.sum(axis=1)).ravel(), 1e-12)
            cf_query = np.asarray(weights @ query) / total[:, None]
            cf_scores = cf_query @ index.T
            cf_scores[:, ~has_cf] = -np.inf
            cf_scores[seen] = -np.inf
            content_scores = None
            if content is not None and seed_w is not None:
                centroid = np.asarray(seed_w[rows] @ content)
                norm = np.maximum(np.linalg.norm(centroid, axis=1), 1e-12)
                content_scores = (centroid / norm[:, None]) @ content.T  # cosine, as served
                content_scores[seen] = -np.inf
            yield ScoredBatch(list(self.users[rows]), cf_query, cf_scores, content_scores)

    def vectors(self, params: TuningParams) -> CFVectors:
        """The CF vectors a build with `params` would index (fit on the validation train)."""
        return self._vectors(*fit_key(params))

    def histories(self, params: TuningParams) -> pd.DataFrame:
        """user_id, product_id, weight of the validation users: each user's strongest
        history_max_items products, strongest first (the history sorted sets of a build)."""
        return self._histories(params.half_life_days, params.history_max_items)

    def _blended(
        self, cf_scores: np.ndarray, content_scores: np.ndarray, w_cf: float
    ) -> list[np.ndarray]:
        """Both sides' top candidates, normalised and blended per user; a side with no
        candidates leaves the other at full weight, as the service does."""
        cf_top = top_k_indices(cf_scores, max(self.given.k * 3, HYBRID_CANDIDATES))
        content_top = top_k_indices(content_scores, max(self.given.k * 3, HYBRID_CANDIDATES))
        out = []
        for i, (cf_idx, content_idx) in enumerate(zip(cf_top, content_top, strict=True)):
            cf_side = dict(zip(cf_idx.tolist(), cf_scores[i, cf_idx].tolist(), strict=True))
            content_side = dict(
                zip(content_idx.tolist(), content_scores[i, content_idx].tolist(), strict=True)
            )
            w_content, w = (1.0 - w_cf, w_cf) if cf_side and content_side else (1.0, 1.0)
            scores = blend(content_side, cf_side, w_content, w)
            ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[: self.given.k]
            out.append(np.asarray([item for item, _ in ranked], dtype=np.int64))
        return out

    def _fit(self, values: str, half_life: float, model: str, lam: float) -> CFVectors:
        self._fitted.add((values, half_life, model, lam))
        matrix = build_interaction_matrix(self.train, half_life, values=values)
        return fit_cf_vectors(
            matrix,
            dims=self.given.cf_dims,
            model=model,
            ease_lambda=lam,
            ease_max_items=self.given.ease_max_items,
        )

    def _interest_of(self, half_life: float) -> pd.DataFrame:
        return interest_frame(self.train, self.epoch, half_life)

    def _histories(self, half_life: float, max_items: int) -> pd.DataFrame:
        histories = user_histories(self._interest(half_life), max_items)
        return histories[histories["user_id"].isin(set(self.users))]

    def _rows(self, history: pd.DataFrame, weights: list[float]) -> sp.csr_matrix:
        """users x catalog matrix of `weights` at the history's (user, product) cells."""
        row = {u: i for i, u in enumerate(self.users)}
        return sp.csr_matrix(
            (
                np.asarray(weights, dtype=np.float64),
                (
                    history["user_id"].map(row).to_numpy(dtype=np.int64),
                    history["product_id"].map(self.column).to_numpy(dtype=np.int64),
                ),
            ),
            shape=(len(self.users), len(self.given.item_ids)),
        )

    def _catalog_vectors(self, cf: CFVectors) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The CF query and index vectors laid out over the catalog (zero where none)."""
        n, dims = len(self.given.item_ids), cf.dims
        at = np.asarray([self.column[item] for item in cf.item_ids], dtype=np.int64)
        query, index = np.zeros((n, dims)), np.zeros((n, dims))
        query[at], index[at] = cf.query, cf.index
        has_cf = np.zeros(n, dtype=bool)
        has_cf[at] = True
        return query, index, has_cf
