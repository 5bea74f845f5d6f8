"""Table 1 against hand calculations, scipy and the published summary."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.data import schema
from analysis.errors import AnalysisError
from analysis.settings import DATA_DIR
from analysis.stats.table_one import table_one

PUBLISHED_JSON = DATA_DIR / "published_summary.json"


def row(result, variable, level=""):
    t = result.tidy
    found = t[(t["variable"] == variable) & (t["level"] == level)]
    assert len(found) == 1, (variable, level)
    return found.iloc[0]


def formatted_row(result, variable, level=""):
    t = result.tidy
    idx = t.index[(t["variable"] == variable) & (t["level"] == level)][0]
    return result.formatted.loc[idx]


# --- hand calculations on the tiny cohort -------------------------------------------


def test_group_sizes_and_overall_exclude_other(tiny_cohort):
    res = table_one(tiny_cohort)
    assert res.group_n == {"none": 5, "spotty": 6}  # by construction of the fixture
    assert res.n_overall == 11  # 13 rows minus 2 "other"
    assert any("other: 2" in note for note in res.notes)
    assert list(res.formatted.columns) == [
        "Variable", "Overall (n=11)", "No calcification (n=5)",
        "Spotty calcification (n=6)", "p", "Test", "SMD", "Missing"]


def test_mean_sd_by_hand(tiny_cohort):
    r = row(table_one(tiny_cohort), "age")
    # none: 50, 52, 54, 56, 58 -> mean 54, SD sqrt(40 / 4) = sqrt(10)
    assert r["none_mean"] == pytest.approx(54.0)
    assert r["none_sd"] == pytest.approx(math.sqrt(10))
    # spotty: 55, 57, 59, 61, 63 (+ 1 missing) -> mean 59, n 5
    assert r["spotty_mean"] == pytest.approx(59.0)
    assert (r["spotty_n"], r["spotty_missing"], r["n_missing"]) == (5, 1, 1)
    assert r["summary"] == "mean_sd"
    f = formatted_row(table_one(tiny_cohort), "age")
    assert f["No calcification (n=5)"] == "54.0 ± 3.2"  # sqrt(10) = 3.16
    assert f["Missing"] == "1"


def test_welch_p_value_matches_scipy(tiny_cohort):
    r = row(table_one(tiny_cohort), "age")
    ref = stats.ttest_ind([55, 57, 59, 61, 63], [50, 52, 54, 56, 58], equal_var=False)
    assert r["test"] == "Welch t-test"
    assert r["p"] == pytest.approx(ref.pvalue)  # reference: scipy.stats.ttest_ind(equal_var=False)


def test_smd_continuous_by_hand(tiny_cohort):
    r = row(table_one(tiny_cohort), "age")
    # (59 - 54) / sqrt((10 + 10) / 2) = 5 / sqrt(10) = 1.581
    assert r["smd"] == pytest.approx(5 / math.sqrt(10))
    assert formatted_row(table_one(tiny_cohort), "age")["SMD"] == "1.58"


def test_skewed_median_iqr_by_hand_and_mann_whitney(tiny_cohort):
    res = table_one(tiny_cohort)
    r = row(res, "triglycerides")
    assert r["summary"] == "median_iqr"
    # none 100, 120, 150, 200, 400: numpy linear quantiles at positions 1, 2, 3 -> 120, 150, 200
    assert (r["none_q1"], r["none_median"], r["none_q3"]) == (120, 150, 200)
    # spotty 90, 110, 130, 170, 250, 600: position 1.25 -> 110 + 0.25 * 20 = 115;
    # median (130 + 170) / 2 = 150; position 3.75 -> 170 + 0.75 * 80 = 230
    assert (r["spotty_q1"], r["spotty_median"], r["spotty_q3"]) == pytest.approx((115, 150, 230))
    ref = stats.mannwhitneyu([90, 110, 130, 170, 250, 600], [100, 120, 150, 200, 400],
                             alternative="two-sided")
    assert r["test"] == "Mann-Whitney U"
    assert r["p"] == pytest.approx(ref.pvalue)  # reference: scipy.stats.mannwhitneyu
    assert formatted_row(res, "triglycerides")["No calcification (n=5)"] == "150 [120, 200]"


def test_binary_row_counts_percent_of_non_missing_and_fisher(tiny_cohort):
    res = table_one(tiny_cohort)
    r = row(res, "diabetes", "yes")
    # none: yes 1 of 4 known (1 missing) = 25%; spotty: 3 of 6 = 50%
    assert (r["none_count"], r["none_n"], r["none_missing"]) == (1, 4, 1)
    assert r["none_pct"] == pytest.approx(25.0)
    assert r["spotty_pct"] == pytest.approx(50.0)
    assert r["overall_pct"] == pytest.approx(40.0)  # 4 of 10 known
    # expected counts < 5 -> Fisher exact; reference: scipy.stats.fisher_exact
    assert r["test"] == "Fisher exact"
    assert r["p"] == pytest.approx(stats.fisher_exact([[3, 1], [3, 3]]).pvalue)
    # binary SMD by hand: (0.5 - 0.25) / sqrt((0.25 + 0.1875) / 2)
    assert r["smd"] == pytest.approx(0.25 / math.sqrt(0.21875))
    assert formatted_row(res, "diabetes", "yes")["No calcification (n=5)"] == "1 (25.0%)"
    assert len(res.tidy[res.tidy["variable"] == "diabetes"]) == 1  # one row for yes/no


def test_multilevel_category_rows_and_chi_square(tiny_cohort):
    res = table_one(tiny_cohort)
    rows = res.tidy[res.tidy["variable"] == "statin"]
    assert list(rows["level"]) == ["", "none", "moderate", "high"]
    assert list(rows["row"]) == ["header", "level", "level", "level"]
    high = row(res, "statin", "high")
    assert (high["spotty_count"], high["spotty_n"]) == (3, 5)  # 1 spotty statin missing
    assert high["spotty_pct"] == pytest.approx(60.0)
    head = row(res, "statin")
    # levels x (spotty, none) counted by hand from the fixture
    table = np.array([[0, 1], [2, 1], [3, 3]])
    ref = stats.chi2_contingency(table, correction=False)  # reference: scipy, Pearson
    assert head["test"] == "chi-square"
    assert head["p"] == pytest.approx(ref.pvalue)
    assert any(n.startswith("Statin intensity:") and "expected" in n for n in res.notes)
    assert math.isnan(high["p"]) and high["test"] == ""
    # Yang & Dalton SMD by hand. Proportions none/moderate/high: spotty 0, 0.4, 0.6 (of 5
    # known); none 0.2, 0.2, 0.6. Indicators of moderate and high: difference T = (0.2, 0);
    # S_spotty = [[0.24, -0.24], [-0.24, 0.24]], S_none = [[0.16, -0.12], [-0.12, 0.24]],
    # pooled S = [[0.20, -0.18], [-0.18, 0.24]], det 0.0156, S^-1[0, 0] = 0.24 / 0.0156,
    # so SMD = sqrt(0.2^2 * 0.24 / 0.0156) = 0.78446
    assert head["smd"] == pytest.approx(math.sqrt(0.04 * 0.24 / 0.0156))
    # per-level binary SMDs by hand, (p_spotty - p_none) / sqrt((pq_spotty + pq_none) / 2):
    # none (0 - 0.2) / sqrt(0.16 / 2) = -0.70711; moderate 0.2 / sqrt(0.40 / 2) = 0.44721;
    # high 0 (same share)
    assert row(res, "statin", "none")["smd"] == pytest.approx(-0.2 / math.sqrt(0.08))
    assert row(res, "statin", "moderate")["smd"] == pytest.approx(0.2 / math.sqrt(0.2))
    assert high["smd"] == pytest.approx(0.0, abs=1e-12)


def test_default_rows_follow_the_dictionary(tiny_cohort):
    res = table_one(tiny_cohort)
    expected = [v.name for v in schema.PATIENT_VARIABLES
                if v.table1 and v.name in tiny_cohort.columns]
    assert list(dict.fromkeys(res.tidy["variable"])) == expected


def test_chosen_variables_in_given_order(tiny_cohort):
    res = table_one(tiny_cohort, variables=["hdl_c", "age"])
    assert list(res.tidy["variable"]) == ["hdl_c", "age"]


# --- scipy references on a larger random cohort ------------------------------------


def test_random_cohort_against_scipy(random_cohort):
    res = table_one(random_cohort)
    data = random_cohort
    sp, no = data["calcification"] == "spotty", data["calcification"] == "none"
    assert res.group_n == {"none": int(no.sum()), "spotty": int(sp.sum())}
    hdl = row(res, "hdl_c")
    ref = stats.ttest_ind(data.loc[sp, "hdl_c"].dropna(), data.loc[no, "hdl_c"].dropna(),
                          equal_var=False)  # reference: scipy Welch
    assert hdl["p"] == pytest.approx(ref.pvalue)
    assert hdl["test"] == "Welch t-test"
    male = row(res, "sex", "male")
    table = pd.crosstab(data.loc[sp | no, "sex"].astype(str),
                        data.loc[sp | no, "calcification"].astype(str))
    chi = stats.chi2_contingency(table.to_numpy(), correction=False)  # reference: scipy
    assert row(res, "sex")["p"] == pytest.approx(chi.pvalue)
    assert row(res, "sex")["test"] == "chi-square"
    # reference: pandas share of men among the spotty rows (sex has no missing values here)
    assert data.loc[sp, "sex"].notna().all()
    assert male["spotty_pct"] == pytest.approx(100 * (data.loc[sp, "sex"] == "male").mean())
    crp = row(res, "crp")
    # reference: scipy.stats.mannwhitneyu (two-sided) on the non-missing values
    mw = stats.mannwhitneyu(data.loc[sp, "crp"].dropna(), data.loc[no, "crp"].dropna(),
                            alternative="two-sided")
    assert crp["test"] == "Mann-Whitney U"
    assert crp["p"] == pytest.approx(mw.pvalue)


# --- robustness ----------------------------------------------------------------------


def test_input_not_mutated(tiny_cohort):
    before = tiny_cohort.copy(deep=True)
    table_one(tiny_cohort)
    pd.testing.assert_frame_equal(tiny_cohort, before)


def test_row_order_invariance(random_cohort):
    shuffled = random_cohort.sample(frac=1.0, random_state=7)
    a, b = table_one(random_cohort), table_one(shuffled)
    pd.testing.assert_frame_equal(a.tidy, b.tidy, check_exact=False, rtol=1e-10)
    pd.testing.assert_frame_equal(a.formatted, b.formatted)


def test_empty_group_gives_zero_columns_and_a_note(tiny_cohort):
    no_spotty = tiny_cohort[tiny_cohort["calcification"] != "spotty"]
    res = table_one(no_spotty)
    assert res.group_n == {"none": 5, "spotty": 0}
    assert (res.tidy["spotty_n"] == 0).all()
    assert res.tidy["p"].isna().all()
    assert "Spotty calcification (n=0)" in res.formatted.columns
    assert any("No rows in group 'spotty'" in n for n in res.notes)


def test_unknown_variable_level_or_group_is_a_clear_error(tiny_cohort):
    with pytest.raises(AnalysisError, match="'cholesterol'.*Choose from"):
        table_one(tiny_cohort, variables=["cholesterol"])
    with pytest.raises(AnalysisError, match="'mild'.*allowed"):
        table_one(tiny_cohort, levels=("none", "mild"))
    with pytest.raises(AnalysisError, match="'arm'"):
        table_one(tiny_cohort, group="arm")


def test_single_level_shows_summaries_without_tests(tiny_cohort):
    res = table_one(tiny_cohort, levels=("spotty",))
    assert res.tidy["p"].isna().all()
    assert row(res, "age")["spotty_mean"] == pytest.approx(59.0)


# --- published check on the simulated cohort ---------------------------------------

# Kataoka et al. JACC 2012 abstract, as in data/published_summary.json
# ("baseline"): group means and percentages for spotty / none.
PUBLISHED_MEANS = {"age": (56.0, 54.0), "hdl_c": (48.0, 51.0),
                   "pav_baseline": (36.0, 29.0), "tav_baseline": (174.6, 133.9)}
PUBLISHED_PCTS = {("sex", "male"): (68.0, 54.0), ("diabetes", "yes"): (30.0, 24.0),
                  ("prior_mi", "yes"): (28.0, 20.0)}


def test_published_constants_match_json():
    rows = {r["variable"]: r for r in json.loads(PUBLISHED_JSON.read_text())["baseline"]}
    for name, (s, n) in PUBLISHED_MEANS.items():
        pub = rows[name]
        got = (pub["spotty"], pub["none"]) if pub["summary"] == "mean" else (
            pub["spotty"][0], pub["none"][0])
        assert got == (s, n)
    assert (rows["male"]["spotty"], rows["male"]["none"]) == PUBLISHED_PCTS[("sex", "male")]
    for name in ("diabetes", "prior_mi"):
        assert (rows[name]["spotty"], rows[name]["none"]) == PUBLISHED_PCTS[(name, "yes")]


def test_simulated_cohort_reproduces_published_table_one(sim_cohort):
    res = table_one(sim_cohort)
    # published group sizes: spotty 922, none 425 (published_summary.json "groups")
    assert res.group_n == {"none": 425, "spotty": 922}
    for name, (spotty, none) in PUBLISHED_MEANS.items():
        r = row(res, name)
        assert r["spotty_mean"] == pytest.approx(spotty, abs=0.2), name
        assert r["none_mean"] == pytest.approx(none, abs=0.2), name
    for (name, level), (spotty, none) in PUBLISHED_PCTS.items():
        r = row(res, name, level)
        assert r["spotty_pct"] == pytest.approx(spotty, abs=1.0), name
        assert r["none_pct"] == pytest.approx(none, abs=1.0), name


def test_group_sizes_in_the_headers_have_thousands_separators():
    # the bundled cohort's published group sizes (abstract: 1,347 = 425 + 922)
    from analysis.data.loader import load_bundled

    heads = list(table_one(load_bundled().frame).formatted.columns)
    assert heads[1:4] == ["Overall (n=1,347)", "No calcification (n=425)",
                          "Spotty calcification (n=922)"]
