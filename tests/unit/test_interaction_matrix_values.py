"""The CF matrix cell: log1p of decayed weights, or binary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indexing.models.interaction_matrix import build_interaction_matrix


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": ["u", "u", "u", "v"],
            "product_id": ["a", "a", "b", "b"],
            "ts": [0.0, 0.0, 0.0, 0.0],
            "weight": [8.0, 8.0, 1.0, 2.0],
        }
    )


def test_log1p_sums_repeats_and_binary_keeps_only_presence() -> None:
    log1p = build_interaction_matrix(_events(), half_life_days=0).matrix.toarray()
    assert np.allclose(log1p, np.log1p(np.array([[16.0, 1.0], [0.0, 2.0]])), rtol=1e-6)
    binary = build_interaction_matrix(_events(), half_life_days=0, values="binary").matrix
    assert binary.toarray().tolist() == [[1.0, 1.0], [0.0, 1.0]]
    with pytest.raises(ValueError, match="unknown CF matrix values"):
        build_interaction_matrix(_events(), half_life_days=0, values="counts")
