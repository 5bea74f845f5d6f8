"""HC3 robust comparison against statsmodels' formula OLS and R's sandwich::vcovHC."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.formula.api as smf

from analysis.errors import AnalysisError
from analysis.stats.sensitivity.robust import robust_hc3

CASES = {"cohort_pav_default": ("cohort", "delta_pav"),
         "cohort_tav_default": ("cohort", "delta_tav"),
         "small_pav_default": ("small", "delta_pav")}


@pytest.mark.parametrize("case", list(CASES))
def test_contrast_matches_r_sandwich_hc3(case, datasets, r_contrasts):
    data, dv = CASES[case]
    res = robust_hc3(datasets[data], dv)
    ref = r_contrasts[(r_contrasts["case"] == case) & (r_contrasts["analysis"] == "hc3")].iloc[0]
    # reference: R lm() + sandwich::vcovHC(type = "HC3"), contrast by emmeans(vcov. = V)
    assert res.n == ref["n"]
    assert res.df == ref["df"]
    for ours, theirs in [("estimate", "estimate"), ("se", "se"), ("p", "p"),
                         ("ci_low", "ci_low"), ("ci_high", "ci_high")]:
        assert getattr(res, ours) == pytest.approx(ref[theirs], rel=1e-10), ours


def test_contrast_matches_statsmodels_formula_ols(datasets):
    frame = datasets["cohort"]
    rows = frame[frame["calcification"].isin(["none", "spotty"])]
    fit = smf.ols("delta_pav ~ C(calcification, Treatment('none')) + pav_baseline + C(trial)"
                  " + age + C(sex) + C(diabetes) + C(prior_mi) + hdl_c",
                  data=rows.assign(calcification=rows["calcification"].astype(str),
                                   diabetes=rows["diabetes"].astype(bool),
                                   prior_mi=rows["prior_mi"].astype(bool))
                  ).fit(cov_type="HC3")
    name = "C(calcification, Treatment('none'))[T.spotty]"
    res = robust_hc3(frame, "delta_pav")
    # reference: statsmodels smf.ols(...).fit(cov_type="HC3") on the same rows
    assert res.n == int(fit.nobs)
    assert res.estimate == pytest.approx(fit.params[name], rel=1e-10)
    assert res.se == pytest.approx(fit.bse[name], rel=1e-10)


def test_robust_se_differs_from_the_model_based_one(datasets):
    from analysis.stats.linear.ancova import ancova

    frame = datasets["cohort"]
    res = robust_hc3(frame, "delta_pav")
    plain = ancova(frame, "delta_pav", diagnostics=False).contrast.iloc[0]
    # same point estimate, another standard error (HC3 != s² (X'X)^-1 here)
    assert res.estimate == pytest.approx(plain["estimate"], rel=1e-10)
    assert abs(res.se - plain["se"]) > 1e-4
    assert "HC3" in res.method and "n = 1347" in res.method


@pytest.mark.parametrize("kwargs, message", [
    ({"weights": "cells"}, "weights must be one of"),
    ({"alpha": 1.5}, "alpha must be a number between 0 and 1"),
    ({"covar": ["no_such_column"]}, "not a variable of the data dictionary"),
])
def test_bad_options_raise_clear_errors(datasets, kwargs, message):
    with pytest.raises(AnalysisError, match=message):
        robust_hc3(datasets["cohort"], "delta_pav", **kwargs)


def test_input_is_not_modified(datasets):
    frame = datasets["small"]
    before = frame.copy()
    robust_hc3(frame, "delta_pav")
    assert frame.equals(before)


def test_aliased_design_column_is_left_out():
    from analysis.stats.sensitivity.common import full_rank_columns

    X = [[1, 0, 2.0, 4.0], [1, 1, 3.0, 6.0], [1, 0, 5.0, 10.0], [1, 1, 7.0, 14.0]]
    # column 3 = 2 x column 2: dropped; the others kept
    assert full_rank_columns(np.array(X)).tolist() == [0, 1, 2]
    with pytest.raises(AnalysisError, match="cannot be separated"):
        full_rank_columns(np.array([[1, 1.0], [1, 1.0], [1, 1.0]]))
