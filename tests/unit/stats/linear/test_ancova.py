"""ANCOVA: coefficients, LS means, contrast, diagnostics and input handling.

Independent references: statsmodels formula OLS with a patsy formula (a different
path from the NumPy design used by analysis.stats.linear.ancova), scipy, hand counts, and the
published summary (data/published_summary.json: ΔPAV LS means
0.43 ± 0.07 spotty, 0.02 ± 0.11 none, p = 0.002).
The emmeans definitions are verified by hand arithmetic in test_design.py and against
R's emmeans output in test_emmeans_reference.py.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.diagnostic import het_breuschpagan
from statsmodels.stats.outliers_influence import OLSInfluence

from analysis import settings
from analysis.data.schema import default_covariates
from analysis.errors import AnalysisError
from analysis.stats.linear.ancova import ancova

FACTORS = ("trial", "sex", "diabetes", "prior_mi")
NUMERIC = ("pav_baseline", "age", "hdl_c")


def plain(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Complete cases of none/spotty rows as plain str/float columns (for patsy)."""
    out = pd.DataFrame(index=frame.index)
    for c in columns:
        s = frame[c]
        if c in FACTORS or c in ("calcification", "statin", "ldl_intensive", "sbp_intensive"):
            if str(s.dtype) == "boolean":
                out[c] = s.map({True: "yes", False: "no"}).astype(object)
            else:
                out[c] = s.astype(object)
        else:
            out[c] = s.astype("float64")
    out = out[out["calcification"].isin(["none", "spotty"])].dropna()
    return out.astype({c: str for c in out.columns if out[c].dtype == object})


FORMULA = ("delta_pav ~ C(calcification) + pav_baseline + C(trial) + age + C(sex) "
           "+ C(diabetes) + C(prior_mi) + hdl_c")


def patsy_name(term: str) -> str:
    if term == "Intercept" or "[" not in term:
        return term
    name, level = term[:-1].split("[")
    return f"C({name})[T.{level}]"


@pytest.fixture(scope="module")
def fitted(random_cohort):
    res = ancova(random_cohort, "delta_pav")
    ref = smf.ols(FORMULA, data=plain(random_cohort, ["delta_pav", "calcification",
                                                      *default_covariates("delta_pav")])).fit()
    return res, ref


def test_coefficients_match_statsmodels_formula(fitted):
    res, ref = fitted
    names = [patsy_name(t) for t in res.coefficients["term"]]
    # reference: statsmodels.formula.api.ols with a patsy formula on the same rows
    assert sorted(names) == sorted(ref.params.index)
    np.testing.assert_allclose(res.coefficients["estimate"], ref.params[names], atol=1e-8)
    np.testing.assert_allclose(res.coefficients["se"], ref.bse[names], atol=1e-8)
    np.testing.assert_allclose(res.coefficients["p"], ref.pvalues[names], atol=1e-8)
    np.testing.assert_allclose(res.coefficients["t"], ref.tvalues[names], rtol=1e-8)
    ci = ref.conf_int(alpha=0.05).loc[names]  # reference: statsmodels t-based 95% CI
    np.testing.assert_allclose(res.coefficients["ci_low"], ci[0], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(res.coefficients["ci_high"], ci[1], rtol=1e-8, atol=1e-10)
    assert res.n_used == int(ref.nobs)  # reference: patsy's complete-case row count
    assert res.df_resid == ref.df_resid


def test_proportional_ls_means_equal_average_prediction(fitted, random_cohort):
    res, ref = fitted
    rows = plain(random_cohort, ["delta_pav", "calcification", *default_covariates("delta_pav")])
    for level in ("none", "spotty"):
        # reference (emmeans "proportional" for a main-effects model): average over the
        # analysed rows of the patsy-model prediction with the group set to this level
        expected = ref.predict(rows.assign(calcification=level)).mean()
        got = res.ls_means.set_index("level").loc[level, "ls_mean"]
        assert got == pytest.approx(expected, abs=1e-10)


def test_equal_ls_means_are_mean_over_full_grid(random_cohort):
    res = ancova(random_cohort, "delta_pav", weights="equal")
    rows = plain(random_cohort, ["delta_pav", "calcification", *default_covariates("delta_pav")])
    ref = smf.ols(FORMULA, data=rows).fit()
    levels = {f: sorted(rows[f].unique()) for f in FACTORS}
    means = {c: rows[c].mean() for c in NUMERIC}
    for level in ("none", "spotty"):
        # reference (emmeans default / SAS LSMEANS): unweighted mean of predictions over
        # every combination of factor levels, numeric covariates at their mean
        grid = pd.DataFrame([dict(zip(FACTORS, combo, strict=True), calcification=level, **means)
                             for combo in itertools.product(*levels.values())])
        expected = ref.predict(grid).mean()
        got = res.ls_means.set_index("level").loc[level, "ls_mean"]
        assert got == pytest.approx(expected, abs=1e-10)


def test_contrast_t_and_p_match_scipy(fitted):
    res, ref = fitted
    c = res.contrast.iloc[0]
    assert c["contrast"] == "spotty - none"
    assert c["test"] == "t-test of LS-mean difference (ANCOVA)"
    # reference: in a main-effects model the contrast is the group coefficient of patsy OLS
    assert c["estimate"] == pytest.approx(ref.params["C(calcification)[T.spotty]"], abs=1e-10)
    assert c["t"] == pytest.approx(c["estimate"] / c["se"], rel=1e-12)
    # reference: scipy t distribution with the residual df of the patsy fit
    assert c["p"] == pytest.approx(2 * stats.t.sf(abs(c["t"]), ref.df_resid), rel=1e-10)
    assert c["df"] == ref.df_resid
    ls = res.ls_means.set_index("level")["ls_mean"]
    assert c["estimate"] == pytest.approx(ls["spotty"] - ls["none"], abs=1e-12)


def test_no_covariates_gives_raw_means_and_student_t(random_cohort):
    res = ancova(random_cohort, "delta_pav", covar=[])
    rows = plain(random_cohort, ["delta_pav", "calcification"])
    none = rows.loc[rows.calcification == "none", "delta_pav"]
    spotty = rows.loc[rows.calcification == "spotty", "delta_pav"]
    ls = res.ls_means.set_index("level")
    # reference: raw group means
    assert ls.loc["none", "ls_mean"] == pytest.approx(none.mean(), abs=1e-10)
    assert ls.loc["spotty", "ls_mean"] == pytest.approx(spotty.mean(), abs=1e-10)
    assert ls.loc["none", "n"] == len(none) and ls.loc["spotty", "n"] == len(spotty)
    # reference: scipy pooled-variance two-sample t-test
    ref = stats.ttest_ind(spotty, none, equal_var=True)
    assert res.contrast["t"].iloc[0] == pytest.approx(ref.statistic, rel=1e-10)
    assert res.contrast["p"].iloc[0] == pytest.approx(ref.pvalue, rel=1e-10)
    # ... so the result names that test and does not call the raw means adjusted
    assert res.contrast["test"].iloc[0] == "Student t-test (pooled variance)"
    assert res.method.startswith("Unadjusted group means")
    assert "weights" not in res.method


def test_diagnostics_match_independent_calculations(fitted, random_cohort):
    res, ref = fitted
    d = res.diagnostics.set_index("statistic")["value"]
    # reference: patsy OLS fit statistics
    assert d["R²"] == pytest.approx(ref.rsquared, rel=1e-10)
    assert d["adjusted R²"] == pytest.approx(ref.rsquared_adj, rel=1e-10)
    assert d["residual SD"] == pytest.approx(np.sqrt(ref.scale), rel=1e-10)
    # reference: scipy Jarque-Bera on the patsy residuals
    assert d["normality p"] == pytest.approx(stats.jarque_bera(ref.resid).pvalue, rel=1e-8)
    assert d["residual skewness"] == pytest.approx(stats.skew(ref.resid), rel=1e-8)
    assert d["residual kurtosis"] == pytest.approx(stats.kurtosis(ref.resid, fisher=False),
                                                   rel=1e-8)
    # reference: Koenker's studentised Breusch-Pagan by hand: LM = n R² of e² on X
    e2 = ref.resid.to_numpy() ** 2
    X = ref.model.exog
    fit_e2 = X @ np.linalg.lstsq(X, e2, rcond=None)[0]
    r2 = 1 - ((e2 - fit_e2) ** 2).sum() / ((e2 - e2.mean()) ** 2).sum()
    lm = len(e2) * r2
    assert d["heteroscedasticity p"] == pytest.approx(stats.chi2.sf(lm, X.shape[1] - 1), rel=1e-8)
    # reference: statsmodels' own het_breuschpagan (robust) on the patsy fit
    assert d["heteroscedasticity p"] == pytest.approx(
        het_breuschpagan(ref.resid, X)[1], rel=1e-8)
    # reference: F-test of nested patsy models with and without group x baseline PAV
    rows = plain(random_cohort, ["delta_pav", "calcification", *default_covariates("delta_pav")])
    full = smf.ols(FORMULA + " + C(calcification):pav_baseline", data=rows).fit()
    _, p_slopes, _ = full.compare_f_test(ref)
    assert d["homogeneity of slopes p"] == pytest.approx(p_slopes, rel=1e-8)
    # reference: statsmodels influence measures of the patsy fit
    cooks = OLSInfluence(ref).cooks_distance[0]
    assert d["max Cook's distance"] == pytest.approx(cooks.max(), rel=1e-8)
    assert d["n influential"] == (cooks > 4 / len(cooks)).sum()
    assert "Jarque-Bera" in res.diagnostics.set_index("statistic").loc["normality p", "note"]
    assert "Breusch-Pagan" in res.diagnostics.set_index("statistic").loc[
        "heteroscedasticity p", "note"]
    # SD, min, Q1, median, Q3, max, skewness, kurtosis
    assert len(res.residual_summary) == 8


def test_method_formula_and_exclusions(fitted, random_cohort):
    res, _ = fitted
    assert res.formula == ("delta_pav ~ calcification + pav_baseline + trial + age + sex + "
                           "diabetes + prior_mi + hdl_c")
    assert res.method.startswith("ANCOVA (OLS): " + res.formula)
    assert "proportional weights" in res.method and f"n = {res.n_used}" in res.method
    exc = res.excluded
    # reference: hand counts on the input frame
    in_cmp = random_cohort["calcification"].isin(["none", "spotty"])
    n_other = int((random_cohort["calcification"] == "other").sum())
    assert n_other > 0
    other_row = exc[exc["reason"].str.contains("outside")]
    assert other_row["n_missing"].tolist() == [n_other]
    age_row = exc[(exc["column"] == "age") & (exc["reason"] == "missing value")]
    assert age_row["n_missing"].tolist() == [int((random_cohort["age"].isna() & in_cmp).sum())]
    complete = random_cohort.loc[in_cmp, ["delta_pav", *default_covariates("delta_pav")]]
    assert res.n_used == int(complete.notna().all(axis=1).sum())


def test_published_values():
    # data/simulated_cohort.csv is committed: no skip, no fallback that could hide a failure
    from analysis.data.loader import load_bundled

    frame = load_bundled().frame
    res = ancova(frame, "delta_pav")
    ls = res.ls_means.set_index("level")
    # reference: published_summary.json, LS mean ± SE 0.43 ± 0.07 (spotty), 0.02 ± 0.11 (none)
    assert ls.loc["spotty", "ls_mean"] == pytest.approx(0.43, abs=0.03)
    assert ls.loc["none", "ls_mean"] == pytest.approx(0.02, abs=0.03)
    assert ls.loc["spotty", "se"] == pytest.approx(0.07, abs=0.02)
    assert ls.loc["none", "se"] == pytest.approx(0.11, abs=0.02)
    # reference: published p = 0.002
    assert 0.001 <= res.contrast["p"].iloc[0] <= 0.005
    assert res.contrast["test"].iloc[0] == "t-test of LS-mean difference (ANCOVA)"
    assert (ls.loc["none", "n"], ls.loc["spotty", "n"]) == (425, 922)  # published n
    assert res.n_used == 425 + 922


def test_row_order_invariance_and_no_mutation(random_cohort):
    before = random_cohort.copy(deep=True)
    res = ancova(random_cohort, "delta_pav")
    shuffled = random_cohort.sample(frac=1.0, random_state=3)
    res2 = ancova(shuffled, "delta_pav")
    pd.testing.assert_frame_equal(random_cohort, before)  # input not mutated
    # reference: OLS and grid means do not depend on row order
    np.testing.assert_allclose(res.ls_means["ls_mean"], res2.ls_means["ls_mean"], atol=1e-10)
    np.testing.assert_allclose(res.contrast["p"], res2.contrast["p"], rtol=1e-8)


def test_too_small_group_message(random_cohort):
    none_rows = random_cohort.index[random_cohort["calcification"] == "none"]
    keep = random_cohort.index.difference(none_rows[3:])
    small = random_cohort.loc[keep]
    n_none = int((small["calcification"] == "none").sum())
    with pytest.raises(AnalysisError) as err:
        ancova(small, "delta_pav", covar=["age"], min_group_n=10)
    n_none_used = int(((small["calcification"] == "none") & small["age"].notna()
                       & small["delta_pav"].notna()).sum())
    assert n_none <= 3
    assert str(err.value) == (
        f"The 'none' group has {n_none_used} patients after filters and missing-value "
        "exclusions; at least 10 are needed to fit the adjusted model. Widen the filters.")


def test_empty_group_uses_settings_threshold(random_cohort):
    no_none = random_cohort[random_cohort["calcification"] != "none"]
    with pytest.raises(AnalysisError, match="'none' group has 0 patients.*at least "
                       f"{settings.current().min_group_n}"):
        ancova(no_none, "delta_pav")


def test_constant_covariate_dropped_and_reported(random_cohort):
    males = random_cohort[random_cohort["sex"] == "male"]
    res = ancova(males, "delta_pav")
    assert "sex" not in res.covariates
    assert any(d.startswith("sex: constant") for d in res.dropped)
    assert any("sex" in n and "left out" in n for n in res.notes)
    # reference: the same model with sex simply not requested
    ref = ancova(males, "delta_pav", covar=[c for c in default_covariates("delta_pav")
                                            if c != "sex"])
    np.testing.assert_allclose(res.ls_means["ls_mean"], ref.ls_means["ls_mean"], atol=1e-12)


def test_zero_variance_numeric_dropped(random_cohort):
    frame = random_cohort.assign(hdl_c=50.0)
    res = ancova(frame, "delta_pav")
    assert "hdl_c" not in res.covariates
    assert "hdl_c: constant in the selection (zero variance)" in res.dropped


def test_aliased_covariate_dropped(random_cohort):
    frame = random_cohort.assign(ldl_c_baseline=random_cohort["hdl_c"] * 2.0 + 1.0)
    res = ancova(frame, "delta_pav", covar=["hdl_c", "ldl_c_baseline"])
    assert res.covariates == ("hdl_c",)
    assert any(d.startswith("ldl_c_baseline: aliased") for d in res.dropped)


def test_empty_factor_level_dropped(random_cohort):
    frame = random_cohort[random_cohort["statin"] != "none"]
    assert "none" in frame["statin"].cat.categories  # level still declared, 0 rows
    res = ancova(frame, "delta_pav", covar=["statin"])
    terms = res.coefficients["term"].tolist()
    # reference: only the observed levels moderate (reference) and high remain
    assert "statin[high]" in terms and not any("statin[none]" in t for t in terms)
    assert any("statin: level none" in n for n in res.notes)


def test_bad_options_raise_project_errors(random_cohort):
    with pytest.raises(AnalysisError, match="weights must be one of"):
        ancova(random_cohort, "delta_pav", weights="cells")
    with pytest.raises(AnalysisError, match="alpha"):
        ancova(random_cohort, "delta_pav", alpha=5)
    with pytest.raises(AnalysisError, match="not numeric"):
        ancova(random_cohort, "sex")
    with pytest.raises(AnalysisError, match="is the outcome itself"):
        ancova(random_cohort, "delta_pav", covar=["delta_pav"])
    with pytest.raises(AnalysisError, match="not a column of the data"):
        ancova(random_cohort, "delta_pav", covar=["bmi"])


def test_default_covariate_absent_from_data_is_reported(random_cohort):
    res = ancova(random_cohort.drop(columns=["hdl_c"]), "delta_pav", diagnostics=False)
    assert "hdl_c: not in the data" in res.dropped
    assert "hdl_c" not in res.covariates
    assert res.diagnostics.empty


def test_other_outcome_uses_its_baseline(random_cohort):
    res = ancova(random_cohort, "delta_tav")
    assert res.covariates[0] == "tav_baseline"
    assert "tav_baseline" in res.diagnostics.set_index("statistic").loc[
        "homogeneity of slopes p", "note"]


def test_other_grouping_factor(random_cohort):
    res = ancova(random_cohort, "delta_pav", between="sex", covar=["age"])
    rows = random_cohort[["delta_pav", "sex", "age"]].dropna()
    # reference: all rows (no comparison restriction), levels in dictionary order
    assert res.ls_means["level"].tolist() == ["female", "male"]
    assert res.n_used == len(rows)
    assert res.contrast["contrast"].tolist() == ["male - female"]
    # reference: patsy OLS delta_pav ~ C(sex) + age on the same rows; the male - female
    # contrast of a main-effects model is the sex coefficient, with its t-test p
    ref = smf.ols("delta_pav ~ C(sex) + age",
                  data=rows.assign(sex=rows["sex"].astype(str))).fit()
    c = res.contrast.iloc[0]
    assert c["estimate"] == pytest.approx(ref.params["C(sex)[T.male]"], abs=1e-10)
    assert c["se"] == pytest.approx(ref.bse["C(sex)[T.male]"], rel=1e-10)
    assert c["p"] == pytest.approx(ref.pvalues["C(sex)[T.male]"], rel=1e-8)


def test_group_level_not_declared_gives_size_message(random_cohort):
    spotty = random_cohort[random_cohort["calcification"] == "spotty"].copy()
    spotty["calcification"] = spotty["calcification"].astype(str).astype("category")
    assert "none" not in spotty["calcification"].cat.categories
    with pytest.raises(AnalysisError, match="The 'none' group has 0 patients"):
        ancova(spotty, "delta_pav")


def test_covar_must_be_a_list(random_cohort):
    with pytest.raises(AnalysisError, match="covar must be a list"):
        ancova(random_cohort, "delta_pav", covar=5)


# --- diagnostics where they are undefined, covariates with no values ---------------------
def _alone_in_a_trial(frame: pd.DataFrame) -> tuple[pd.DataFrame, object]:
    """``frame`` with one analysed patient moved to a trial level of their own."""
    complete = frame[["delta_pav", *default_covariates("delta_pav")]].notna().all(axis=1)
    who = frame.index[complete & frame["calcification"].isin(["none", "spotty"])][0]
    trial = frame["trial"].cat.add_categories(["Z"])
    trial.loc[who] = "Z"
    return frame.assign(trial=trial), who


def test_cooks_distance_undefined_at_leverage_one(random_cohort):
    frame, who = _alone_in_a_trial(random_cohort)
    res = ancova(frame, "delta_pav")
    d = res.diagnostics.set_index("statistic")
    rows = plain(frame, ["delta_pav", "calcification", *default_covariates("delta_pav")])
    infl = OLSInfluence(smf.ols(FORMULA, data=rows).fit())
    h = pd.Series(infl.hat_matrix_diag, index=rows.index)
    # reference: the patsy fit gives the lone patient leverage 1 (R: hatvalues == 1, and
    # cooks.distance NaN there); the others' Cook's distances are statsmodels'
    assert h[who] == pytest.approx(1.0, abs=1e-10)
    with np.errstate(invalid="ignore", divide="ignore"):  # 0/0 at the lone patient
        others = pd.Series(infl.cooks_distance[0], index=rows.index).drop(who)
    assert d.loc["max Cook's distance", "value"] == pytest.approx(others.max(), rel=1e-8)
    assert d.loc["n influential", "value"] == (others > 4 / len(rows)).sum()
    assert np.isfinite(d.loc["max Cook's distance", "value"])
    for stat in ("max Cook's distance", "n influential"):
        assert "undefined (leverage 1" in d.loc[stat, "note"]
        assert "for 1 patient" in d.loc[stat, "note"]


def test_cooks_distance_note_silent_without_leverage_one(fitted):
    res, _ = fitted
    assert "undefined" not in " ".join(res.diagnostics["note"])


@pytest.mark.parametrize("scope", ["everyone", "compared groups"])
def test_covariate_with_no_values_is_dropped_and_named(random_cohort, scope):
    if scope == "everyone":
        frame = random_cohort.assign(hdl_c=np.nan)
    else:  # values only in patients outside the spotty / none comparison
        frame = random_cohort.assign(hdl_c=random_cohort["hdl_c"].where(
            random_cohort["calcification"] == "other"))
    res = ancova(frame, "delta_pav")
    assert "hdl_c" not in res.covariates
    assert "hdl_c: no values in the selection (all missing)" in res.dropped
    assert any("hdl_c" in n and "left out" in n for n in res.notes)
    # reference: the same model with hdl_c simply not requested
    ref = ancova(random_cohort, "delta_pav",
                 covar=[c for c in default_covariates("delta_pav") if c != "hdl_c"])
    np.testing.assert_allclose(res.ls_means["ls_mean"], ref.ls_means["ls_mean"], atol=1e-12)
    assert res.n_used == ref.n_used
