"""The re-ranker model as both sides hold it: a LightGBM booster over the features of
indexing.contract.rerank_features, kept in Redis as its text (RedisLayout.reranker), scored
in process."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np


class RerankModel:
    def __init__(self, booster: lgb.Booster):
        self._booster = booster

    @classmethod
    def from_text(cls, text: str) -> RerankModel:
        return cls(lgb.Booster(model_str=text))

    def to_text(self) -> str:
        return str(self._booster.model_to_string())

    def scores(self, features: np.ndarray) -> np.ndarray:
        """One score per row (higher: better); one thread, as a request runs on one core."""
        if not len(features):
            return np.zeros(0)
        return np.asarray(self._booster.predict(features, num_threads=1), dtype=np.float64)

    def order(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row indices best first (ties keep the first-stage order) and their scores."""
        scores = self.scores(features)
        order = np.argsort(-scores, kind="stable")
        return order, scores[order]
