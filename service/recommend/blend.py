"""The query and blend arithmetic lives in indexing/contract/query_blend.py, where the build's
tuner scores candidates with the very functions the recommenders serve with."""

from indexing.contract.query_blend import (
    QUERY_WEIGHTINGS,
    blend,
    history_centroid,
    min_max_normalise,
    query_weights,
    weighted_centroid,
)

__all__ = [
    "QUERY_WEIGHTINGS",
    "blend",
    "history_centroid",
    "min_max_normalise",
    "query_weights",
    "weighted_centroid",
]
