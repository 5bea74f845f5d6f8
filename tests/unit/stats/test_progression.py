"""Unadjusted progression summary against hand calculations and scipy."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.errors import AnalysisError
from analysis.stats.progression import progression_summary

# delta_pav in the tiny cohort (follow-up minus baseline, see conftest):
NONE = [-1.0, 0.0, 0.5, 1.0, 2.0]
SPOTTY = [1.0, 2.0, -0.5, 1.5, 3.0]  # plus one patient without follow-up


def by_level(result, level):
    return result.by_group.set_index("level").loc[level]


def test_group_summaries_by_hand(tiny_cohort):
    res = progression_summary(tiny_cohort, "delta_pav")
    none, spotty = by_level(res, "none"), by_level(res, "spotty")
    # none: mean 2.5 / 5 = 0.5; squared deviations 2.25 + 0.25 + 0 + 0.25 + 2.25 = 5 -> SD sqrt(5/4)
    assert none["mean"] == pytest.approx(0.5)
    assert none["sd"] == pytest.approx(math.sqrt(1.25))
    assert none["se"] == pytest.approx(math.sqrt(1.25) / math.sqrt(5))
    # sorted -1, 0, 0.5, 1, 2 -> linear quantiles at positions 1, 2, 3
    assert (none["q1"], none["median"], none["q3"]) == (0.0, 0.5, 1.0)
    # spotty: mean 7 / 5 = 1.4 on 5 values; 1 missing excluded and counted
    assert spotty["mean"] == pytest.approx(1.4)
    assert (spotty["n"], spotty["n_missing"]) == (5, 1)
    assert res.n_missing == {"none": 0, "spotty": 1}
    assert any("1 row(s) of group 'spotty'" in n for n in res.notes)
    # regression = change < 0: one patient in each group -> 1/5 = 20%
    assert (none["n_regression"], none["pct_regression"]) == (1, 20.0)
    assert (spotty["n_regression"], spotty["pct_regression"]) == (1, 20.0)


def test_one_sample_tests_match_scipy(tiny_cohort):
    res = progression_summary(tiny_cohort, "delta_pav")
    for level, values in (("none", NONE), ("spotty", SPOTTY)):
        ref = stats.ttest_1samp(values, 0.0)  # reference: scipy.stats.ttest_1samp
        r = by_level(res, level)
        assert r["t"] == pytest.approx(ref.statistic)
        assert r["p_change"] == pytest.approx(ref.pvalue)
        assert r["test_change"] == "one-sample t-test vs 0"
        ci = ref.confidence_interval(0.95)
        assert (r["ci_low"], r["ci_high"]) == pytest.approx((ci.low, ci.high))


def test_difference_is_welch_spotty_minus_none(tiny_cohort):
    diff = progression_summary(tiny_cohort, "delta_pav").difference_test.iloc[0]
    ref = stats.ttest_ind(SPOTTY, NONE, equal_var=False)  # reference: scipy Welch
    ci = ref.confidence_interval(0.95)
    assert diff["contrast"] == "spotty - none"
    assert diff["estimate"] == pytest.approx(1.4 - 0.5)  # hand: group means above
    assert diff["p"] == pytest.approx(ref.pvalue)
    assert (diff["ci_low"], diff["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert diff["test"] == "Welch t-test"
    assert diff["n"] == 10


def test_regression_test_small_counts_is_fisher(tiny_cohort):
    reg = progression_summary(tiny_cohort, "delta_pav").regression_test.iloc[0]
    # regressed / not: spotty 1 / 4, none 1 / 4 -> expected < 5 -> Fisher exact
    assert reg["test"] == "Fisher exact"
    assert reg["p"] == pytest.approx(stats.fisher_exact([[1, 1], [4, 4]]).pvalue)


def test_regression_test_large_counts_is_chi_square(random_cohort):
    res = progression_summary(random_cohort, "delta_pav")
    data = random_cohort[random_cohort["calcification"].isin(["none", "spotty"])]
    data = data[data["delta_pav"].notna()]
    table = pd.crosstab(data["delta_pav"] < 0, data["calcification"].astype(str))
    ref = stats.chi2_contingency(table.to_numpy(), correction=False)  # reference: scipy
    reg = res.regression_test.iloc[0]
    assert reg["test"] == "chi-square"
    assert reg["p"] == pytest.approx(ref.pvalue)
    assert reg["statistic"] == pytest.approx(ref.statistic)
    # the per-group % regression equals the derived 'regression' flag's mean
    for level in ("none", "spotty"):
        flag = data.loc[data["calcification"] == level, "regression"].astype(bool)
        assert by_level(res, level)["pct_regression"] == pytest.approx(100 * flag.mean())


def test_delta_tav_works_and_welch_matches(random_cohort):
    res = progression_summary(random_cohort, "delta_tav")
    d = random_cohort
    a = d.loc[d["calcification"] == "spotty", "delta_tav"].dropna()
    b = d.loc[d["calcification"] == "none", "delta_tav"].dropna()
    ref = stats.ttest_ind(a, b, equal_var=False)  # reference: scipy Welch t-test
    diff = res.difference_test.iloc[0]
    assert diff["test"] == "Welch t-test"
    assert diff["p"] == pytest.approx(ref.pvalue)
    assert diff["estimate"] == pytest.approx(a.mean() - b.mean())  # reference: pandas means
    assert by_level(res, "spotty")["n"] == len(a)
    assert by_level(res, "none")["n"] == len(b)


def test_bad_outcome_names_column_and_allowed_ones(tiny_cohort):
    with pytest.raises(AnalysisError, match=r"'plaque'.*delta_pav.*delta_tav"):
        progression_summary(tiny_cohort, "plaque")
    with pytest.raises(AnalysisError, match="'sex' is not numeric"):
        progression_summary(tiny_cohort, "sex")


def test_needs_exactly_two_levels(tiny_cohort):
    with pytest.raises(AnalysisError, match="exactly two levels"):
        progression_summary(tiny_cohort, "delta_pav", levels=("none", "spotty", "other"))


def test_empty_group_is_reported_not_raised(tiny_cohort):
    data = tiny_cohort[tiny_cohort["calcification"] != "none"]
    res = progression_summary(data, "delta_pav")
    none = by_level(res, "none")
    assert none["n"] == 0 and math.isnan(none["mean"])
    assert math.isnan(res.difference_test.iloc[0]["p"])
    assert math.isnan(res.regression_test.iloc[0]["p"])
    assert any("'none' has no delta_pav" in n for n in res.notes)


def test_input_not_mutated_and_order_invariant(random_cohort):
    before = random_cohort.copy(deep=True)
    a = progression_summary(random_cohort, "delta_pav")
    pd.testing.assert_frame_equal(random_cohort, before)
    b = progression_summary(random_cohort.sample(frac=1.0, random_state=3), "delta_pav")
    pd.testing.assert_frame_equal(a.by_group, b.by_group, check_exact=False, rtol=1e-10)
    pd.testing.assert_frame_equal(a.difference_test, b.difference_test,
                                  check_exact=False, rtol=1e-10)
    assert np.isfinite(a.difference_test.iloc[0]["p"])
