"""Every sensitivity analysis refuses bad input with a project error and leaves data alone."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.errors import AnalysisError
from analysis.stats.sensitivity import (
    deposit_trend,
    multiple_imputation,
    propensity_weighted,
    random_trial,
    robust_hc3,
)

ANALYSES = [robust_hc3, random_trial, propensity_weighted, multiple_imputation, deposit_trend]
#: a column name that would run code if it were pasted into a formula (pingouin's test)
EVIL = "Sex') + __import__('builtins').exit(1) + ('"


@pytest.mark.parametrize("fn", ANALYSES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("args, kwargs, message", [
    (("delta_pav",), {"weights": "flat"}, "weights must be one of"),
    (("delta_pav",), {"alpha": 0}, "alpha must be a number between 0 and 1"),
    (("delta_pav",), {"alpha": True}, "alpha must be a number between 0 and 1"),
    (("no_such_outcome",), {}, "not a variable of the data dictionary"),
    (("sex",), {}, "not numeric"),
    (("delta_pav",), {"covar": [EVIL]}, "not a variable of the data dictionary"),
    (("delta_pav",), {"covar": ["delta_pav"]}, "is the outcome itself"),
    (("delta_pav",), {"min_group_n": 10_000}, "at least 10000 are needed"),
])
def test_bad_input_raises_a_clear_error(fn, args, kwargs, message, datasets):
    with pytest.raises(AnalysisError, match=message):
        fn(datasets["small"], *args, **kwargs)


@pytest.mark.parametrize("fn", ANALYSES, ids=lambda f: f.__name__)
def test_not_a_frame(fn):
    with pytest.raises(AnalysisError, match="Expected a pandas DataFrame"):
        fn({"delta_pav": [1.0]}, "delta_pav")


@pytest.mark.parametrize("fn", ANALYSES, ids=lambda f: f.__name__)
def test_evil_column_in_the_data_is_never_used(fn, datasets):
    frame = datasets["small"].assign(**{EVIL: 1.0})
    res = fn(frame, "delta_pav")
    assert EVIL not in res.covariates


@pytest.mark.parametrize("fn", ANALYSES, ids=lambda f: f.__name__)
def test_input_frame_is_not_modified(fn, datasets):
    frame = datasets["small"]
    before = frame.copy()
    res = fn(frame, "delta_pav")
    pd.testing.assert_frame_equal(frame, before)
    assert f"n = {res.n}" in res.method
    assert res.ci_low < res.estimate < res.ci_high and 0 <= res.p <= 1
