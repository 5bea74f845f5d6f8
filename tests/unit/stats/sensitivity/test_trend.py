"""Deposit trend as a linear contrast of LS means, against R emmeans and by hand."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import AnalysisError
from analysis.stats.sensitivity.trend import deposit_trend, trend_weights

CASES = {"cohort_pav_default": ("cohort", "delta_pav"),
         "cohort_tav_default": ("cohort", "delta_tav"),
         "small_pav_default": ("small", "delta_pav")}


@pytest.mark.parametrize("weights", ["proportional", "equal"])
@pytest.mark.parametrize("case", list(CASES))
def test_contrast_matches_r_emmeans(case, weights, datasets, r_contrasts):
    data, dv = CASES[case]
    res = deposit_trend(datasets[data], dv, weights=weights)
    ref = r_contrasts[(r_contrasts["case"] == case)
                      & (r_contrasts["analysis"] == "trend")].iloc[0]
    # reference: R contrast(emmeans(lm(dv ~ dep_cat + covariates), "dep_cat"),
    #            list(linear = c(-3, -1, 1, 3) / 10)); a contrast of LS means is the same
    #            for every weighting of the covariate levels
    assert res.n == ref["n"] and res.df == ref["df"]
    for name in ("estimate", "se", "p", "ci_low", "ci_high"):
        assert getattr(res, name) == pytest.approx(ref[name], rel=1e-10), name
    assert res.estimand.startswith("slope of LS means")


def test_weights_by_hand():
    # scores 0..3 centred: -1.5, -0.5, 0.5, 1.5; sum of squares 5 -> (-3, -1, 1, 3) / 10
    assert trend_weights([0, 1, 2, 3]) == pytest.approx(np.array([-3, -1, 1, 3]) / 10)
    # a slope of 1 per category is recovered, and the weights sum to 0
    assert trend_weights([0, 1, 2, 3]) @ np.arange(4.0) == pytest.approx(1.0)
    assert trend_weights([0, 2, 3]).sum() == pytest.approx(0.0)
    assert trend_weights([0, 2, 3]) @ np.array([0.0, 2.0, 3.0]) == pytest.approx(1.0)


def test_single_category_is_refused(datasets):
    frame = datasets["cohort"]
    none_only = frame[frame["n_spotty"] == 0]
    with pytest.raises(AnalysisError):
        deposit_trend(none_only, "delta_pav")


def test_negative_counts_are_refused(datasets):
    frame = datasets["small"].copy()
    col = frame["n_spotty"].copy()
    col.iloc[0] = -1
    frame["n_spotty"] = col
    with pytest.raises(AnalysisError, match="non-negative"):
        deposit_trend(frame, "delta_pav")
