"""Propensity-score weighting against R (glm, lm(weights =), sandwich HC0) and by hand."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import settings
from analysis.errors import AnalysisError
from analysis.stats.sensitivity.propensity import (
    propensity_weighted,
    stabilised_weights,
    truncate,
    weighted_smd,
)

CASES = {"cohort_pav_default": ("cohort", "delta_pav"),
         "cohort_tav_default": ("cohort", "delta_tav"),
         "small_pav_default": ("small", "delta_pav")}
REL = 1e-9  # both sides fit the logistic model by IRLS to convergence (agree to ~1e-13)


@pytest.fixture(scope="module")
def fits(datasets):
    return {case: propensity_weighted(datasets[d], dv, trim=1.0)
            for case, (d, dv) in CASES.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_weighted_contrast_matches_r(case, fits, r_contrasts):
    res = fits[case]
    ref = r_contrasts[(r_contrasts["case"] == case)
                      & (r_contrasts["analysis"] == "ps_wls")].iloc[0]
    # reference: R glm(binomial) -> stabilised weights truncated at quantile(.01, .99),
    # lm(weights = w) with sandwich::vcovHC(type = "HC0"); t on df.residual
    assert res.n == ref["n"] and res.df == ref["df"]
    for name in ("estimate", "se", "p", "ci_low", "ci_high"):
        assert getattr(res, name) == pytest.approx(ref[name], rel=REL), name


@pytest.mark.parametrize("case", list(CASES))
def test_truncation_bounds_and_effective_n_match_r(case, fits, r_values):
    summary = dict(zip(fits[case].weight_summary["statistic"],
                       fits[case].weight_summary["value"], strict=True))
    ref = r_values[(r_values["case"] == case) & (r_values["analysis"] == "ps_wls")]
    # reference: R quantile(w, c(.01, .99), type = 7) and sum(w)^2 / sum(w^2)
    for row in ref.itertuples():
        assert summary[row.statistic] == pytest.approx(row.value, rel=REL), row.statistic


@pytest.mark.parametrize("case", list(CASES))
def test_balance_table_matches_r(case, fits, r_balance):
    got = fits[case].balance.set_index("term")
    ref = r_balance[r_balance["case"] == case]
    # reference: the Austin & Stuart (2015) weighted SMD written out in R
    assert sorted(got.index) == sorted(ref["term"])
    # an SMD near 0 after weighting is compared absolutely (1e-9 of an SD)
    for row in ref.itertuples():
        assert got.loc[row.term, "smd_before"] == pytest.approx(row.smd_before, rel=REL,
                                                                abs=1e-9)
        assert got.loc[row.term, "smd_after"] == pytest.approx(row.smd_after, rel=REL,
                                                               abs=1e-9)


def test_weighting_improves_balance_of_baseline_pav(fits):
    bal = fits["cohort_pav_default"].balance.set_index("term")
    # spotty patients have more atheroma at baseline; the weights remove most of it
    assert bal.loc["pav_baseline", "smd_before"] > 0.5
    assert abs(bal.loc["pav_baseline", "smd_after"]) < 0.1


def test_stabilised_weights_by_hand():
    treated = np.array([1, 1, 1, 0])
    ps = np.array([0.5, 0.75, 0.25, 0.5])
    # P(T = 1) = 3/4: treated 0.75 / e, control 0.25 / (1 - e)
    assert stabilised_weights(treated, ps) == pytest.approx([1.5, 1.0, 3.0, 0.5])


def test_truncation_by_hand():
    w = np.arange(1.0, 12.0)  # 1 .. 11
    out, lo, hi = truncate(w, 10.0)
    # type-7 percentiles of 1..11: 10th = 1 + 0.1 * 10 = 2, 90th = 10
    assert (lo, hi) == pytest.approx((2.0, 10.0))
    assert out[0] == 2.0 and out[-1] == 10.0 and out[5] == 6.0
    same, lo0, hi0 = truncate(w, 0.0)
    assert np.array_equal(same, w) and (lo0, hi0) == (1.0, 11.0)


def test_weighted_smd_by_hand():
    treated = np.array([1, 1, 0, 0])
    x = np.array([2.0, 4.0, 1.0, 3.0])
    # unweighted: means 3 and 2, variances 2 and 2 -> (3 - 2) / sqrt(2)
    assert weighted_smd(x, treated, np.ones(4)) == pytest.approx(1 / np.sqrt(2))
    b = np.array([1.0, 1.0, 0.0, 1.0])
    # proportions 1 and 0.5: (1 - 0.5) / sqrt((0 + 0.25) / 2)
    assert weighted_smd(b, treated, np.ones(4)) == pytest.approx(0.5 / np.sqrt(0.125))
    w = np.array([3.0, 1.0, 1.0, 1.0])
    # weighted treated mean (6 + 4) / 4 = 2.5; V1 = 4 / (16 - 10) * (3 * 0.25 + 2.25) = 2
    assert weighted_smd(x, treated, w) == pytest.approx(0.5 / np.sqrt(2))


def test_trim_comes_from_the_setting(datasets):
    assert settings.from_env({"EXPLORER_PS_TRIM": "5"}).ps_trim == 5.0
    assert settings.from_env({}).ps_trim == 1.0
    before = settings.current()
    try:
        settings.configure(before.with_overrides(ps_trim=0.0))
        res = propensity_weighted(datasets["small"], "delta_pav")
    finally:
        settings.configure(before)
    summary = dict(zip(res.weight_summary["statistic"], res.weight_summary["value"],
                       strict=True))
    assert res.trim == 0.0 and summary["weights truncated"] == 0
    assert "not truncated" in res.method


@pytest.mark.parametrize("trim", [-1, 50, "1", True])
def test_bad_trim_is_refused(datasets, trim):
    with pytest.raises(AnalysisError, match="trim must be a percentage"):
        propensity_weighted(datasets["small"], "delta_pav", trim=trim)


def test_no_covariates_is_refused(datasets):
    with pytest.raises(AnalysisError, match="needs at least one covariate"):
        propensity_weighted(datasets["small"], "delta_pav", covar=[])


def test_separation_is_refused(frame_from):
    # diabetes present exactly in the spotty patients: the propensity model separates
    n = 40
    group = ["none", "spotty"] * (n // 2)
    frame = frame_from({
        "patient_id": [f"S{i}" for i in range(n)], "trial": ["A"] * n,
        "calcification": group, "diabetes": [g == "spotty" for g in group],
        "pav_baseline": [30.0 + i % 7 for i in range(n)],
        "pav_followup": [31.0 + (i * 3) % 5 for i in range(n)],
        "tav_baseline": [100.0] * n, "tav_followup": [100.0] * n,
    })
    with pytest.raises(AnalysisError, match="propensity"):
        propensity_weighted(frame, "delta_pav", covar=["pav_baseline", "diabetes"])


def test_unadjusted_outcome_model_is_the_weighted_mean_difference(datasets):
    from analysis.stats.sensitivity.propensity import _propensity

    frame = datasets["cohort"]
    res = propensity_weighted(frame, "delta_pav", adjust=False, trim=0.0)
    full = propensity_weighted(frame, "delta_pav", trim=0.0)
    # reference by hand: with the group alone, WLS gives sum(w y) / sum(w) per group;
    # the weights are rebuilt here from the logistic model of the same columns
    rows = frame[frame["calcification"].isin(["none", "spotty"])]
    t = (rows["calcification"] == "spotty").to_numpy(int)
    Z = np.column_stack([
        rows["pav_baseline"], *[(rows["trial"] == lev).to_numpy(float)
                                for lev in sorted(rows["trial"].unique())[1:]],
        rows["age"], (rows["sex"] == "male").to_numpy(float),
        rows["diabetes"].to_numpy(float), rows["prior_mi"].to_numpy(float), rows["hdl_c"]])
    w = stabilised_weights(t, _propensity(Z.astype(float), t))
    y = rows["delta_pav"].to_numpy(float)
    by_hand = np.average(y[t == 1], weights=w[t == 1]) - np.average(y[t == 0], weights=w[t == 0])
    assert res.estimate == pytest.approx(by_hand, rel=1e-10)
    assert res.estimate != pytest.approx(full.estimate, rel=1e-3)
    assert "delta_pav ~ calcification with HC0" in res.method
