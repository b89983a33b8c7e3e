"""`shoprec evaluate --diversity`: one served-hybrid row per value, asked with that
`diversity`; off by default, so the standard run keeps its rows; bad values refused."""

from __future__ import annotations

import pandas as pd
import pytest

from indexing.contract.settings import get_settings
from indexing.validation.split import TimeSplit
from service.cli.errors import CommandError
from service.cli.evaluate_cmd import _diversities
from service.cli.main import build_parser
from service.evaluation.service_path import request_for, service_models

SPLIT = TimeSplit(
    pd.DataFrame(), pd.DataFrame(), 0.0, {"U1": frozenset({"P1"})}, {"U1": frozenset({"P2"})}
)


def test_the_standard_run_has_no_diversity_rows() -> None:
    models = service_models([0.5], 0.9)
    assert [m.name for m in models] == [
        "content",
        "cf",
        "hybrid w_cf=0.5",
        "hybrid served (w_cf=0.9)",
    ]
    assert all(m.diversity == 0 for m in models)
    args = build_parser(get_settings()).parse_args(["evaluate"])
    assert _diversities(args.diversity) == []


def test_each_value_is_a_served_hybrid_row_asked_with_it() -> None:
    models = service_models([], 1.0, [0.0, 0.3])
    rows = {m.name: m for m in models}
    assert set(rows) >= {
        "hybrid served (w_cf=1), diversity=0",
        "hybrid served (w_cf=1), diversity=0.3",
    }
    endpoint, request = request_for(
        rows["hybrid served (w_cf=1), diversity=0.3"], "U1", SPLIT, {}, 10
    )
    assert endpoint == "hybrid"
    assert request.diversity == 0.3
    assert request.w_content is None and request.w_cf is None  # the served blend
    assert request.exclude == frozenset({"P1"})
    _, plain = request_for(rows["hybrid served (w_cf=1)"], "U1", SPLIT, {}, 10)
    assert not plain.diversifies


@pytest.mark.parametrize("raw", ["high", "0,1.5", "-0.1", "nan"])
def test_bad_values_are_refused(raw: str) -> None:
    with pytest.raises(CommandError):
        _diversities(raw)
