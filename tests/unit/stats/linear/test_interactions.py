"""Group x modifier models against statsmodels formula OLS (an independent path)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import patsy
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from analysis.data.derive import add_derived
from analysis.errors import AnalysisError
from analysis.stats.linear.interactions import continuous_interaction, interaction

COVS = ["pav_baseline", "age", "sex"]


@pytest.fixture(scope="module")
def cohort(random_cohort):
    rng = np.random.default_rng(11)
    n = len(random_cohort)
    frame = random_cohort.assign(ldl_c=rng.normal(80, 25, n).clip(20, 250).round(0),
                                 sbp=rng.normal(128, 15, n).round(0))
    return add_derived(frame)


def plain(frame, cols):
    """none/spotty complete cases with str factors and float numbers, for patsy."""
    out = pd.DataFrame(index=frame.index)
    for c in cols:
        s = frame[c]
        if str(s.dtype) == "boolean":
            out[c] = s.map({True: "yes", False: "no"}).astype(object)
        elif isinstance(s.dtype, pd.CategoricalDtype):
            out[c] = s.astype(object)
        else:
            out[c] = s.astype("float64")
    out = out[out["calcification"].isin(["none", "spotty"])].dropna()
    return out.astype({c: str for c in out.columns if out[c].dtype == object})


def test_2x2_interaction_p_equals_product_term_t_test(cohort):
    res = interaction(cohort, "delta_pav", "ldl_intensive", covar=COVS)
    rows = plain(cohort, ["delta_pav", "calcification", "ldl_intensive", *COVS])
    ref = smf.ols("delta_pav ~ C(calcification) * C(ldl_intensive) + pav_baseline + age + C(sex)",
                  data=rows).fit()
    term = "C(calcification)[T.spotty]:C(ldl_intensive)[T.yes]"
    # reference: patsy formula OLS, t-test of the product term
    assert res.p_interaction == pytest.approx(ref.pvalues[term], rel=1e-8)
    assert res.interaction_test.startswith("t-test of the calcification × ldl_intensive")
    assert res.n_used == int(ref.nobs)
    # reference: proportional cell LS mean = mean prediction over analysed rows with
    # group and modifier set (main-effects covariates, emmeans "proportional")
    cells = res.cells.set_index(["group", "modifier_level"])
    for g in ("none", "spotty"):
        for m, word in (("no", "standard"), ("yes", "intensive")):
            pred = ref.predict(rows.assign(calcification=g, ldl_intensive=m)).mean()
            assert cells.loc[(g, word), "ls_mean"] == pytest.approx(pred, abs=1e-10)
            # reference: hand count of the cell
            n = ((rows.calcification == g) & (rows.ldl_intensive == m)).sum()
            assert cells.loc[(g, word), "n"] == n
    # the method names the model with its covariates, the weighting and n (patsy's count)
    assert res.formula == ("delta_pav ~ calcification * ldl_intensive + pav_baseline + age + sex")
    assert res.method.startswith("ANCOVA (OLS) with interaction: " + res.formula)
    assert "proportional weights" in res.method and f"n = {int(ref.nobs)}" in res.method
    # every simple-effect p names its test
    assert set(res.simple_effects["test"]) == {
        "t-test of LS-mean difference (ANCOVA with interaction)"}


def test_simple_effects_without_covariates_are_raw_cell_differences(cohort):
    res = interaction(cohort, "delta_pav", "ldl_intensive", covar=[])
    rows = plain(cohort, ["delta_pav", "calcification", "ldl_intensive"])
    mean = rows.groupby(["calcification", "ldl_intensive"])["delta_pav"].mean()
    se = res.simple_effects.set_index(["effect", "within"])
    # reference: differences of raw cell means (saturated 2 x 2 model)
    assert se.loc[("therapy within group", "spotty"), "estimate"] == pytest.approx(
        mean[("spotty", "yes")] - mean[("spotty", "no")], abs=1e-10)
    assert se.loc[("group within therapy", "intensive"), "estimate"] == pytest.approx(
        mean[("spotty", "yes")] - mean[("none", "yes")], abs=1e-10)
    assert se.loc[("therapy within group", "none"), "contrast"] == "intensive - standard"
    assert se.loc[("group within therapy", "standard"), "contrast"] == "spotty - none"
    # reference: patsy OLS t_test of the same contrast (intensive - standard within none)
    ref = smf.ols("delta_pav ~ C(calcification) * C(ldl_intensive)", data=rows).fit()
    tt = ref.t_test("C(ldl_intensive)[T.yes] = 0")
    assert se.loc[("therapy within group", "none"), "p"] == pytest.approx(float(tt.pvalue),
                                                                          rel=1e-8)


def test_three_level_modifier_uses_f_test(cohort):
    res = interaction(cohort, "delta_pav", "statin", covar=COVS)
    rows = plain(cohort, ["delta_pav", "calcification", "statin", *COVS])
    base = "delta_pav ~ C(calcification) + C(statin) + pav_baseline + age + C(sex)"
    small = smf.ols(base, data=rows).fit()
    full = smf.ols(base + " + C(calcification):C(statin)", data=rows).fit()
    _, p, df = full.compare_f_test(small)
    # reference: F-test of nested patsy models (2 interaction df)
    assert df == 2
    assert res.p_interaction == pytest.approx(p, rel=1e-8)
    assert res.interaction_test.startswith("F-test")
    assert len(res.cells) == 6


def test_cut_on_the_fly_equals_derived_column(cohort):
    by_cut = interaction(cohort, "delta_pav", "ldl_c", cut=100.0, covar=COVS)
    derived = interaction(add_derived(cohort, ldl_cut=100.0), "delta_pav", "ldl_intensive",
                          covar=COVS)
    # reference: ldl_intensive recomputed by analysis.data.derive at the same cut-point
    assert by_cut.p_interaction == pytest.approx(derived.p_interaction, rel=1e-12)
    np.testing.assert_allclose(by_cut.cells["ls_mean"], derived.cells["ls_mean"], atol=1e-12)
    assert set(by_cut.cells["modifier_level"]) == {"< 100", "≥ 100"}
    # reference: hand count of patients below the cut in the analysed rows
    rows = plain(cohort, ["delta_pav", "calcification", "ldl_c", *COVS])
    assert by_cut.cells.loc[by_cut.cells.modifier_level == "< 100", "n"].sum() == int(
        (rows.ldl_c < 100).sum())
    default = interaction(cohort, "delta_pav", "ldl_intensive", covar=COVS)
    assert default.p_interaction != pytest.approx(derived.p_interaction)  # the cut matters


def test_modifier_removed_from_covariates(cohort):
    res = interaction(cohort, "delta_pav", "sex", covar=COVS)
    assert "sex" not in res.covariates
    assert res.formula == "delta_pav ~ calcification * sex + pav_baseline + age"
    assert any("taken out of the covariates" in n for n in res.notes)


def test_modifier_errors(cohort):
    with pytest.raises(AnalysisError, match="pass cut="):
        interaction(cohort, "delta_pav", "ldl_c")
    with pytest.raises(AnalysisError, match="single level"):
        interaction(cohort[cohort["sex"] == "male"], "delta_pav", "sex", covar=[])
    with pytest.raises(AnalysisError, match="categorical already"):
        interaction(cohort, "delta_pav", "sex", cut=1.0)


def test_continuous_interaction_matches_patsy(cohort):
    before = cohort.copy(deep=True)
    res = continuous_interaction(cohort, "delta_pav", "ldl_c", covar=COVS, points=7)
    pd.testing.assert_frame_equal(cohort, before)  # input not mutated
    rows = plain(cohort, ["delta_pav", "calcification", "ldl_c", *COVS])
    ref = smf.ols("delta_pav ~ C(calcification) * ldl_c + pav_baseline + age + C(sex)",
                  data=rows).fit()
    # reference: patsy OLS t-test of the linear product term
    assert res.p_interaction == pytest.approx(ref.pvalues["C(calcification)[T.spotty]:ldl_c"],
                                              rel=1e-8)
    # reference: numpy percentiles of the analysed rows
    lo, hi = np.percentile(rows.ldl_c, [5, 95])
    curve = res.curve[res.curve.group == "spotty"]
    np.testing.assert_allclose(curve["x"].iloc[[0, -1]], [lo, hi])
    # reference: mean patsy prediction over rows with group and ldl_c set
    x = curve["x"].iloc[3]
    pred = ref.predict(rows.assign(calcification="spotty", ldl_c=x)).mean()
    assert curve["fit"].iloc[3] == pytest.approx(pred, abs=1e-10)
    # reference: CI of that average prediction, L = mean patsy design row, SE = sqrt(L V L'),
    # half-width t(0.975, residual df) x SE
    X = patsy.build_design_matrices([ref.model.data.model_spec],
                                    rows.assign(calcification="spotty", ldl_c=x))[0]
    L = np.asarray(X).mean(axis=0)
    se = np.sqrt(L @ ref.cov_params().to_numpy() @ L)
    half = stats.t.ppf(0.975, ref.df_resid) * se
    assert curve["ci_low"].iloc[3] == pytest.approx(pred - half, abs=1e-9)
    assert curve["ci_high"].iloc[3] == pytest.approx(pred + half, abs=1e-9)
    assert (curve["ci_low"] < curve["fit"]).all() and (curve["fit"] < curve["ci_high"]).all()
    assert len(res.curve) == 14
    # the p names its test; the method names model, covariates, weighting and n
    assert "t-test" in res.interaction_test
    assert res.n_used == int(ref.nobs)  # reference: patsy complete-case count
    for c in COVS:
        assert c in res.formula
    assert "proportional weights" in res.method and f"n = {int(ref.nobs)}" in res.method


def test_continuous_interaction_rejects_factor(cohort):
    with pytest.raises(AnalysisError, match="use interaction"):
        continuous_interaction(cohort, "delta_pav", "sex")


def test_interaction_does_not_mutate_input(cohort):
    before = cohort.copy(deep=True)
    interaction(cohort, "delta_pav", "ldl_c", cut=90.0, covar=COVS, weights="equal")
    pd.testing.assert_frame_equal(cohort, before)
