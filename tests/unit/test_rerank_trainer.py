"""The re-ranker is kept only where, fit on one window, it beats the first stage on the next."""

from __future__ import annotations

import numpy as np

from indexing.contract.rerank_features import FEATURES
from indexing.rerank.trainer import fit_and_decide, summary_lines
from indexing.rerank.training_data import UserCandidates

USERS, CANDIDATES, SIGNAL = 300, 40, FEATURES.index("category_share")


def _data(seed: int, noise_labels: bool) -> tuple[list[UserCandidates], dict[str, list[str]]]:
    """Per user 40 candidates with random features; a product is relevant where its
    category share is high (or, with noise_labels, at random). The first stage ranks the
    candidates in their given (random) order."""
    rng = np.random.default_rng(seed)
    data, first_stage = [], {}
    for u in range(USERS):
        products = [f"P{u}-{i}" for i in range(CANDIDATES)]
        features = rng.random((CANDIDATES, len(FEATURES))).astype(np.float32)
        if noise_labels:
            labels = (rng.random(CANDIDATES) < 0.1).astype(np.float32)
        else:
            labels = (features[:, SIGNAL] > 0.9).astype(np.float32)
        user = f"U{u:04d}"
        data.append(UserCandidates(user, products, features, labels))
        first_stage[user] = products[:10]
    return data, first_stage


def _relevant(data: list[UserCandidates]) -> dict[str, frozenset[str]]:
    return {
        d.user: frozenset(p for p, y in zip(d.products, d.labels, strict=True) if y) for d in data
    }


def test_a_feature_that_predicts_the_future_makes_the_reranker_win() -> None:
    earlier, _ = _data(1, noise_labels=False)
    later, first_stage = _data(2, noise_labels=False)
    result = fit_and_decide(earlier, later, first_stage, _relevant(later), 10_000)
    assert result.on and result.model_text
    assert result.ndcg["reranked"] > result.ndcg["first_stage"] + 0.3
    assert result.users["decide"] == USERS
    assert summary_lines({**result.as_meta(), "seconds": 1.0})[0].startswith("re-ranker: on")


def test_a_reranker_trained_on_noise_is_skipped() -> None:
    """The earlier window's labels are noise; in the later one the first stage already puts
    what users went on to touch first, which a model that learned nothing cannot beat."""
    earlier, _ = _data(3, noise_labels=True)
    later, _ = _data(4, noise_labels=True)
    first_stage = {}
    for d in later:
        hits = [p for p, y in zip(d.products, d.labels, strict=True) if y]
        first_stage[d.user] = hits + [p for p in d.products if p not in hits]
    result = fit_and_decide(earlier, later, first_stage, _relevant(later), 10_000)
    assert not result.on and result.model_text is None
    assert result.reason == "did not win"
    assert result.ndcg["reranked"] < result.ndcg["first_stage"]
    line = summary_lines({**result.as_meta(), "seconds": 1.0})[0]
    assert line.startswith("re-ranker: off: did not win, validation NDCG@10 ")
