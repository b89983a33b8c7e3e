"""Item CF vectors for the centroid query: score(i) = dot(sum_j w_j P_j, Q_i).

Two models fill P (query side, summed over a user's history) and Q (indexed side, KNN by inner
product in Redis):
- EASE (Steck 2019): closed-form item-item weights B = I - G^-1 / diag(G^-1), G = X^T X + lambda I;
  a rank-r SVD B ~ (U S^1/2)(V S^1/2)^T gives P and Q. Best quality; O(items^3) to fit.
- cosine: item-kNN cosine similarity S = Xn^T Xn (Xn column-normalised) in low rank,
  Xn ~ U S V^T -> S ~ (V S)(V S)^T, so P = Q = V S. Scales to large catalogs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack
from sklearn.utils.extmath import randomized_svd

from indexing.models.interaction_matrix import InteractionMatrix


@dataclass
class CFVectors:
    item_ids: list[str]
    query: np.ndarray  # P: items x dims, float32
    index: np.ndarray  # Q: items x dims, float32
    model: str
    params: dict[str, float | int | str] = field(default_factory=dict)

    @property
    def dims(self) -> int:
        return int(self.index.shape[1])


def choose_model(requested: str, n_items: int, ease_max_items: int) -> str:
    if requested == "auto":
        return "ease" if n_items <= ease_max_items else "cosine"
    if requested not in ("ease", "cosine"):
        raise ValueError(f"unknown CF model {requested!r}; use ease, cosine or auto")
    return requested


def ease_weights(x: sp.csr_matrix, lam: float) -> np.ndarray:
    """EASE's item x item weight matrix with a zero diagonal, in float32: the inverse is the
    build's and the tuner's largest cost, single precision does it in about a third of the
    time, and the vectors made from it are stored as float32 anyway (Gram + lambda I is well
    conditioned for the lambdas the tuner tries: lambda bounds its smallest eigenvalue)."""
    gram = np.asarray((x.T @ x).todense(), dtype=np.float32)
    gram[np.diag_indices_from(gram)] += lam
    inverse = _spd_inverse(gram)
    inverse /= -np.diag(inverse)  # column j divided by -P_jj, in place: no second n x n copy
    inverse[np.diag_indices_from(inverse)] = 0.0
    return inverse


def _spd_inverse(gram: np.ndarray) -> np.ndarray:
    """The inverse of a symmetric positive definite float32 matrix by Cholesky (LAPACK
    spotrf/spotri): about half the work of a general inverse, and EASE's Gram + lambda I is
    always SPD."""
    factor, info = lapack.spotrf(gram, lower=0, clean=1, overwrite_a=1)
    if info == 0:
        upper, info = lapack.spotri(factor, lower=0, overwrite_c=1)
    if info != 0:  # not positive definite after all (lambda <= 0): the general inverse
        return np.asarray(np.linalg.inv(gram), dtype=np.float32)
    # potrf's clean=1 zeroed the lower triangle and potri writes only the upper one.
    upper += np.triu(upper, 1).T
    return upper


def fit_cf_vectors(
    interactions: InteractionMatrix,
    dims: int,
    model: str = "auto",
    ease_lambda: float = 200.0,
    ease_max_items: int = 12000,
) -> CFVectors:
    x = interactions.matrix
    n_items = x.shape[1]
    chosen = choose_model(model, n_items, ease_max_items)
    rank = max(1, min(dims, n_items - 1)) if n_items > 1 else 1
    if chosen == "ease":
        b = ease_weights(x, ease_lambda)
        u, s, vt = randomized_svd(b, n_components=rank, n_iter=6, random_state=0)
        root = np.sqrt(s)
        query, index = u * root, vt.T * root
        params: dict[str, float | int | str] = {"lambda": ease_lambda, "rank": rank}
    else:
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=0))).ravel()
        norms[norms == 0] = 1.0
        xn = x @ sp.diags(1.0 / norms)
        _, s, vt = randomized_svd(xn, n_components=rank, n_iter=6, random_state=0)
        query = index = vt.T * s
        params = {"rank": rank}
    return CFVectors(
        item_ids=interactions.item_ids,
        query=np.ascontiguousarray(query, dtype=np.float32),
        index=np.ascontiguousarray(index, dtype=np.float32),
        model=chosen,
        params=params,
    )
