"""Forest-plot table and dose-response against ancova on subsets, patsy OLS and hand counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from analysis.data.schema import default_covariates
from analysis.errors import AnalysisError
from analysis.stats.linear.ancova import ancova
from analysis.stats.linear.dose_response import dose_response
from analysis.stats.linear.subgroups import subgroup_effects

COVS = ["pav_baseline", "age", "sex", "diabetes"]


@pytest.fixture(scope="module")
def result(random_cohort):
    return subgroup_effects(random_cohort, "delta_pav", subgroups=("sex", "age", "statin"),
                            covar=COVS)


def test_overall_row_is_the_full_ancova(result, random_cohort):
    first = result.table.iloc[0]
    assert first["variable"] == "Overall"
    ref = ancova(random_cohort, "delta_pav", covar=COVS).contrast.iloc[0]
    # reference: ancova on all patients
    assert first["estimate"] == pytest.approx(ref["estimate"], abs=1e-12)
    assert first["ci_low"] == pytest.approx(ref["ci_low"], abs=1e-12)


def test_within_level_equals_ancova_on_subset(result, random_cohort):
    rows = result.table.set_index(["variable", "level"])
    females = random_cohort[random_cohort["sex"] == "female"]
    ref = ancova(females, "delta_pav", covar=[c for c in COVS if c != "sex"])
    # reference: ancova on the subset with the subgroup variable removed from covariates
    assert rows.loc[("sex", "female"), "estimate"] == pytest.approx(
        ref.contrast["estimate"].iloc[0], abs=1e-12)
    assert rows.loc[("sex", "female"), "p"] == pytest.approx(ref.contrast["p"].iloc[0], rel=1e-10)
    n = ref.ls_means.set_index("level")["n"]
    assert rows.loc[("sex", "female"), "n_none"] == n["none"]
    assert rows.loc[("sex", "female"), "n_spotty"] == n["spotty"]


def test_interaction_p_equals_patsy_product_term(result, random_cohort):
    rows = random_cohort[random_cohort["calcification"].isin(["none", "spotty"])]
    data = pd.DataFrame({
        "y": rows["delta_pav"], "g": rows["calcification"].astype(str),
        "sex": rows["sex"].astype(str), "age": rows["age"], "pav": rows["pav_baseline"],
        "dm": rows["diabetes"].map({True: "yes", False: "no"}).astype(object),
    }).dropna()
    ref = smf.ols("y ~ C(g) * C(sex) + pav + age + C(dm)", data=data).fit()
    sex_rows = result.table[result.table["variable"] == "sex"]
    # reference: patsy OLS, t-test of the group x sex product term
    assert sex_rows["p_interaction"].iloc[0] == pytest.approx(
        ref.pvalues["C(g)[T.spotty]:C(sex)[T.male]"], rel=1e-8)
    assert sex_rows["interaction_test"].iloc[0].startswith("t-test")
    statin = result.table[result.table["variable"] == "statin"]
    assert statin["interaction_test"].iloc[0].startswith("F-test")  # 3 levels
    # reference: F-test of nested patsy models with and without group x statin (2 df)
    data3 = data.join(rows["statin"].astype(object).rename("statin")).dropna()
    base = "y ~ C(g) + C(statin) + C(sex) + pav + age + C(dm)"
    small = smf.ols(base, data=data3.astype({"statin": str})).fit()
    full = smf.ols(base + " + C(g):C(statin)", data=data3.astype({"statin": str})).fit()
    _, p_statin, df_diff = full.compare_f_test(small)
    assert df_diff == 2
    assert statin["p_interaction"].iloc[0] == pytest.approx(p_statin, rel=1e-8)


def test_overall_row_p_and_method_name_model_weights_and_n(result, random_cohort):
    rows = random_cohort[random_cohort["calcification"].isin(["none", "spotty"])]
    data = pd.DataFrame({
        "y": rows["delta_pav"], "g": rows["calcification"].astype(str),
        "sex": rows["sex"].astype(str), "age": rows["age"], "pav": rows["pav_baseline"],
        "dm": rows["diabetes"].map({True: "yes", False: "no"}).astype(object),
    }).dropna()
    ref = smf.ols("y ~ C(g) + C(sex) + pav + age + C(dm)", data=data).fit()
    first = result.table.iloc[0]
    # reference: patsy OLS, t-test of the group coefficient (= the spotty - none contrast
    # of a main-effects model)
    assert first["estimate"] == pytest.approx(ref.params["C(g)[T.spotty]"], abs=1e-10)
    assert first["p"] == pytest.approx(ref.pvalues["C(g)[T.spotty]"], rel=1e-8)
    # the method names the model, the weighting and the n used (hand count: complete cases)
    assert "ANCOVA" in result.method and "proportional" in result.method
    assert f"overall n = {len(data)}" in result.method


def test_age_split_levels_and_counts(result, random_cohort):
    age = result.table[result.table["variable"] == "age"]
    assert age["level"].tolist() == ["< 60", "≥ 60"]
    rows = random_cohort[random_cohort["calcification"] == "spotty"]
    complete = rows[["delta_pav", *COVS]].notna().all(axis=1)
    # reference: hand count of analysed spotty patients under 60
    assert age["n_spotty"].iloc[0] == int(((rows["age"] < 60) & complete).sum())


def test_small_level_kept_with_note(random_cohort):
    frame = random_cohort.copy()
    none_idx = frame.index[(frame["calcification"] == "none") & (frame["sex"] == "female")]
    frame = frame.drop(index=none_idx[4:])
    res = subgroup_effects(frame, "delta_pav", subgroups=("sex",), covar=COVS)
    row = res.table.set_index(["variable", "level"]).loc[("sex", "female")]
    assert np.isnan(row["estimate"])
    assert "not estimated" in row["note"] and "'none' group" in row["note"]


def test_absent_and_unknown_subgroups(random_cohort):
    res = subgroup_effects(random_cohort, "delta_pav", covar=COVS)  # defaults
    assert any("hypertension: not in the data" in n for n in res.notes)
    with pytest.raises(AnalysisError, match="not a variable of the data dictionary"):
        subgroup_effects(random_cohort, "delta_pav", subgroups=("sex", "shoe_size"))


# --- dose response --------------------------------------------------------------------
@pytest.fixture(scope="module")
def counted(random_cohort):
    rng = np.random.default_rng(5)
    spotty = (random_cohort["calcification"] != "none").to_numpy()
    n = pd.array(np.where(spotty, rng.integers(1, 6, len(spotty)), 0), dtype="Int64")
    return random_cohort.assign(n_spotty=n)


def test_dose_response_raw_summaries_and_trend(counted):
    res = dose_response(counted, "delta_pav", covar=COVS)
    rows = counted[counted["calcification"].isin(["none", "spotty"])]
    cat = np.minimum(rows["n_spotty"].astype(float), 3)
    t = res.table.set_index("category")
    for score, label in enumerate(["0", "1", "2", "3+"]):
        v = rows.loc[cat == score, "delta_pav"].dropna()
        # reference: numpy mean / SD and scipy t quantile per category
        assert t.loc[label, "n"] == len(v)
        assert t.loc[label, "mean"] == pytest.approx(v.mean(), abs=1e-12)
        se = v.std(ddof=1) / np.sqrt(len(v))
        assert t.loc[label, "se"] == pytest.approx(se, rel=1e-12)
        assert t.loc[label, "ci_low"] == pytest.approx(
            v.mean() - stats.t.ppf(0.975, len(v) - 1) * se, rel=1e-12)
    data = pd.DataFrame({"y": rows["delta_pav"], "score": cat, "pav": rows["pav_baseline"],
                         "age": rows["age"], "sex": rows["sex"].astype(str),
                         "dm": rows["diabetes"].map({True: "yes", False: "no"}).astype(object)}
                        ).dropna()
    ref = smf.ols("y ~ score + pav + age + C(sex) + C(dm)", data=data).fit()
    # reference: patsy OLS t-test of the score slope
    assert res.p_trend == pytest.approx(ref.pvalues["score"], rel=1e-8)
    assert res.slope == pytest.approx(ref.params["score"], rel=1e-10)
    assert res.trend_test.startswith("linear trend test (OLS on deposit category 0-3")
    for c in COVS:  # the trend test names its adjustment ...
        assert c in res.trend_test
    assert f"df = {ref.df_resid:g}" in res.trend_test  # ... and the patsy residual df
    assert res.table["ls_mean"].notna().all()
    # the method names the model, the weighting and n (patsy's complete-case count)
    assert "ANCOVA" in res.method and "proportional weights" in res.method
    assert res.n_used == int(ref.nobs) and f"n = {int(ref.nobs)}" in res.method


def test_dose_response_trend_without_category_zero(counted):
    """Only spotty patients: the reference category is "1" (score 1, not 0)."""
    spotty = counted[counted["calcification"] == "spotty"]
    res = dose_response(spotty, "delta_pav", covar=COVS)
    cat = np.minimum(spotty["n_spotty"].astype(float), 3)
    data = pd.DataFrame({"y": spotty["delta_pav"], "score": cat, "pav": spotty["pav_baseline"],
                         "age": spotty["age"], "sex": spotty["sex"].astype(str),
                         "dm": spotty["diabetes"].map({True: "yes", False: "no"}).astype(object)}
                        ).dropna()
    ref = smf.ols("y ~ score + pav + age + C(sex) + C(dm)", data=data).fit()
    # reference: patsy OLS of the score slope on the same rows
    assert res.slope == pytest.approx(ref.params["score"], rel=1e-10)
    assert res.p_trend == pytest.approx(ref.pvalues["score"], rel=1e-8)
    assert res.slope_ci_low == pytest.approx(ref.conf_int().loc["score", 0], rel=1e-10)
    assert res.table.set_index("category").loc["0", "n"] == 0


@pytest.mark.parametrize("weights", ["proportional", "equal"])
def test_dose_response_ls_means_match_patsy_reference_grid(counted, weights):
    res = dose_response(counted, "delta_pav", covar=COVS, weights=weights)
    rows = counted[counted["calcification"].isin(["none", "spotty"])]
    data = pd.DataFrame({
        "y": rows["delta_pav"],
        "cat": np.minimum(rows["n_spotty"].astype(float), 3).astype("Int64").astype(str),
        "pav": rows["pav_baseline"], "age": rows["age"], "sex": rows["sex"].astype(str),
        "dm": rows["diabetes"].map({True: "yes", False: "no"}).astype(object)}).dropna()
    ref = smf.ols("y ~ C(cat) + pav + age + C(sex) + C(dm)", data=data).fit()
    if weights == "proportional":
        # reference (emmeans "proportional", main-effects model): mean patsy prediction over
        # the analysed rows with the category set
        grid = data
    else:
        # reference (emmeans "equal"): every sex x diabetes cell once, numeric covariates at
        # their mean over the analysed rows
        grid = pd.DataFrame([{"sex": s, "dm": m, "pav": data["pav"].mean(),
                              "age": data["age"].mean()}
                             for s in ("female", "male") for m in ("no", "yes")])
    expected = [ref.predict(grid.assign(cat=k)).mean() for k in ("0", "1", "2", "3")]
    np.testing.assert_allclose(res.table["ls_mean"], expected, rtol=0, atol=1e-10)
    assert res.n_used == int(ref.nobs)  # reference: patsy's complete-case count


def test_dose_response_default_covariates_and_other_excluded(counted):
    res = dose_response(counted, "delta_pav")
    n_other = int((counted["calcification"] == "other").sum())
    assert any(f"{n_other} patients outside" in n for n in res.notes)
    for c in default_covariates("delta_pav"):
        assert c in res.trend_test


def test_dose_response_single_category_message(random_cohort):
    with pytest.raises(AnalysisError, match="Only deposit category 0 occurs"):
        dose_response(random_cohort.assign(n_spotty=0), "delta_pav")


def test_dose_response_tiny_category_still_fits(counted):
    frame = counted.copy()
    frame["n_spotty"] = frame["n_spotty"].where(frame["n_spotty"] < 3, 1)
    first_spotty = frame.index[frame["calcification"] == "spotty"][0]
    frame.loc[first_spotty, "n_spotty"] = 7  # one patient in "3+"
    res = dose_response(frame, "delta_pav", covar=COVS)
    t = res.table.set_index("category")
    # reference: one patient in 3+ -> no SD of its own, but the model still estimates it
    assert t.loc["3+", "n"] == 1 and np.isnan(t.loc["3+", "se"])
    assert np.isfinite(t.loc["3+", "ls_mean"]) and np.isfinite(res.p_trend)


def test_inputs_not_mutated(counted):
    before = counted.copy(deep=True)
    subgroup_effects(counted, "delta_pav", subgroups=("sex", "age"), covar=COVS,
                     weights="equal")
    dose_response(counted, "delta_pav", covar=COVS)
    pd.testing.assert_frame_equal(counted, before)


def test_plain_text_columns_give_the_same_rows_as_ancova_on_the_subset(random_cohort):
    # columns as plain text (no categorical dtype), a missing sex and a trial level absent
    # among the women: each level's row must still equal ancova() on that subset
    frame = random_cohort.copy()
    for name in ("calcification", "sex", "trial"):
        frame[name] = frame[name].astype("str").where(frame[name].notna(), None)
    frame.loc[frame.index[0], "sex"] = None
    first_trial = sorted(frame["trial"].dropna().unique())[0]
    frame = frame[~((frame["sex"] == "female") & (frame["trial"] == first_trial))]
    covs = ["pav_baseline", "age", "sex", "trial"]
    before = frame.copy()
    res = subgroup_effects(frame, "delta_pav", subgroups=("sex", "trial"), covar=covs)
    pd.testing.assert_frame_equal(frame, before)  # input not mutated
    rows = res.table.set_index(["variable", "level"])
    for level in ("female", "male"):
        subset = frame[frame["sex"] == level]
        ref = ancova(subset, "delta_pav", covar=["pav_baseline", "age", "trial"])
        # reference: ancova on the subset with the subgroup variable removed
        assert rows.loc[("sex", level), "estimate"] == pytest.approx(
            ref.contrast["estimate"].iloc[0], abs=1e-12)
        assert rows.loc[("sex", level), "ci_high"] == pytest.approx(
            ref.contrast["ci_high"].iloc[0], abs=1e-12)
        n = ref.ls_means.set_index("level")["n"]
        assert rows.loc[("sex", level), "n_spotty"] == n["spotty"]


def test_age_split_interaction_keeps_numeric_age(result, random_cohort):
    rows = random_cohort[random_cohort["calcification"].isin(["none", "spotty"])]
    data = pd.DataFrame({
        "y": rows["delta_pav"], "g": rows["calcification"].astype(str),
        "old": (rows["age"] >= 60).map({True: "b", False: "a"}).where(rows["age"].notna()),
        "sex": rows["sex"].astype(str), "age": rows["age"], "pav": rows["pav_baseline"],
        "dm": rows["diabetes"].map({True: "yes", False: "no"}).astype(object),
    }).dropna()
    # reference: patsy OLS with the age split and numeric age both in the model
    ref = smf.ols("y ~ C(g) * C(old) + pav + age + C(sex) + C(dm)", data=data).fit()
    age = result.table[result.table["variable"] == "age"].iloc[0]
    assert age["p_interaction"] == pytest.approx(ref.pvalues["C(g)[T.spotty]:C(old)[T.b]"],
                                                 rel=1e-8)
    assert f"df = {ref.df_resid:g}" in age["interaction_test"]


def test_a_given_overall_model_gives_the_same_table(result, random_cohort):
    from analysis.stats.linear.overall import fit_overall

    model = fit_overall(random_cohort, "delta_pav", covar=COVS)
    again = subgroup_effects(random_cohort, "delta_pav", subgroups=("sex", "age", "statin"),
                             covar=COVS, model=model)
    # reference: the same call fitting its own overall model (fixture ``result``)
    pd.testing.assert_frame_equal(again.table, result.table, rtol=0, atol=1e-12)


def test_an_overall_model_of_another_outcome_is_refused(random_cohort):
    from analysis.stats.linear.overall import fit_overall

    model = fit_overall(random_cohort, "delta_tav", covar=COVS)
    with pytest.raises(AnalysisError, match="not a model of delta_pav"):
        subgroup_effects(random_cohort, "delta_pav", covar=COVS, model=model)
