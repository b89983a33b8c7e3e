"""Pure numpy pieces of the served CF query and the hybrid blend, shared by the service's
recommenders and the build's tuner (indexing/tuning), so both compute the same thing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np


def weighted_centroid(vectors: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """sum_j w_j v_j / sum_j w_j: with unit item vectors, dot(v_i, centroid) is the weighted mean
    similarity of item i to the history (item-based CF in vector form)."""
    stacked = np.vstack(vectors).astype(np.float32)
    w = np.asarray(weights, dtype=np.float32)
    total = float(w.sum())
    if total <= 0:
        w, total = np.ones_like(w), float(len(w))
    return (w @ stacked) / total


QUERY_WEIGHTINGS = ("uniform", "decayed", "sqrt", "log1p")


def query_weights(weights: Sequence[float], weighting: str) -> list[float]:
    """History weights as the CF query uses them (settings.cf.query_weighting)."""
    w = np.asarray(weights, dtype=np.float64)
    if weighting == "uniform":
        w = np.ones_like(w)
    elif weighting == "sqrt":
        w = np.sqrt(np.maximum(w, 0.0))
    elif weighting == "log1p":
        w = np.log1p(np.maximum(w, 0.0))
    elif weighting != "decayed":
        raise ValueError(f"unknown CF query weighting {weighting!r}; use one of {QUERY_WEIGHTINGS}")
    return w.tolist()


def history_centroid(
    vectors: Mapping[str, np.ndarray], weights: Mapping[str, float], weighting: str = "decayed"
) -> np.ndarray | None:
    """The centroid of those history items that have a vector, their weights taken through
    `query_weights`; None if none has a vector."""
    if not vectors:
        return None
    ids = list(vectors)
    return weighted_centroid(
        [vectors[pid] for pid in ids], query_weights([weights[pid] for pid in ids], weighting)
    )


def user_query(
    history: Sequence[tuple[str, float]],
    vectors: Mapping[str, np.ndarray],
    dismissed: Iterable[str] = (),
    weighting: str = "decayed",
    dismiss_weight: float = 0.0,
) -> np.ndarray | None:
    """A user's CF query: the centroid of their history (`history_centroid` over the items of
    `history`, strongest first, that have a vector in `vectors`), pushed away from what they
    dismissed: each dismissed product with a vector counts as `dismiss_weight` average history
    items with a negative sign (Qdrant's negative examples, in weight units), i.e.
    centroid - dismiss_weight / n * sum of the dismissed vectors, n the history items summed.
    None when no history item has a vector. The stored query vector (RedisLayout.query_vector)
    and the per-request one are both this, over the same inputs in the same order."""
    ids = [pid for pid, _ in history if pid in vectors]
    centroid = history_centroid({pid: vectors[pid] for pid in ids}, dict(history), weighting)
    if centroid is None or dismiss_weight <= 0:
        return centroid
    pushed = [vectors[pid] for pid in sorted(dismissed) if pid in vectors]
    if not pushed:
        return centroid
    push = np.vstack(pushed).astype(np.float32).sum(axis=0) * np.float32(dismiss_weight / len(ids))
    return (centroid - push).astype(np.float32)


def min_max_normalise(scores: Mapping[str, float]) -> dict[str, float]:
    """Scores to [0, 1] within one candidate list (a single candidate scores 1)."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high - low < 1e-12:
        return dict.fromkeys(scores, 1.0)
    return {key: (value - low) / (high - low) for key, value in scores.items()}


def blend(
    content: Mapping[str, float], cf: Mapping[str, float], w_content: float, w_cf: float
) -> dict[str, float]:
    """w_content * content + w_cf * cf over the union of both lists, each side normalised
    first; a candidate missing from a side gets 0 there."""
    return weighted_sum(min_max_normalise(content), min_max_normalise(cf), w_content, w_cf)


def weighted_sum(
    content: Mapping[str, float], cf: Mapping[str, float], w_content: float, w_cf: float
) -> dict[str, float]:
    """`blend` of sides already normalised (a caller that keeps them, to see which side
    contributed more)."""
    return {
        key: w_content * content.get(key, 0.0) + w_cf * cf.get(key, 0.0)
        for key in content.keys() | cf.keys()
    }
