"""How the CF query weighs the history items."""

from __future__ import annotations

import pytest

from indexing.contract.query_blend import query_weights


def test_query_weightings() -> None:
    assert query_weights([4.0, 1.0], "uniform") == [1.0, 1.0]
    assert query_weights([4.0, 1.0], "decayed") == [4.0, 1.0]
    assert query_weights([4.0, 1.0], "sqrt") == [2.0, 1.0]
    assert query_weights([0.0], "log1p") == [0.0]
    with pytest.raises(ValueError, match="unknown CF query weighting"):
        query_weights([1.0], "squared")
