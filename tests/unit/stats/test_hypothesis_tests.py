"""Shared test helpers: rules, SMD formulas and p-value formatting."""

import math

import numpy as np
import pytest
from scipy import stats

from analysis.stats import hypothesis_tests as st


@pytest.mark.parametrize(("p", "text"), [
    (0.0004, "< 0.001"), (0.0123, "0.012"), (0.001, "0.001"), (0.5, "0.500"),
    (1.0, "1.000"), (float("nan"), ""), (None, ""),
])
def test_format_p(p, text):
    assert st.format_p(p) == text


def test_format_p_with_prefix():
    assert st.format_p(0.00001, prefix=True) == "p < 0.001"
    assert st.format_p(0.012, prefix=True) == "p = 0.012"


def test_format_smd_two_decimals():
    assert st.format_smd(0.12345) == "0.12"
    assert st.format_smd(-1.5) == "-1.50"
    assert st.format_smd(float("nan")) == ""


def test_smd_continuous_by_hand():
    # means 3 and 5, variances 2.5 and 2.5 (1..5 and 3..7): (3 - 5) / sqrt(2.5) = -1.2649
    a, b = np.array([1.0, 2, 3, 4, 5]), np.array([3.0, 4, 5, 6, 7])
    assert st.smd_continuous(a, b) == pytest.approx(-2 / math.sqrt(2.5))


def test_smd_binary_by_hand():
    # (0.5 - 0.2) / sqrt((0.25 + 0.16) / 2) = 0.3 / sqrt(0.205) = 0.66259
    assert st.smd_binary(0.5, 0.2) == pytest.approx(0.3 / math.sqrt(0.205))
    assert st.smd_binary(0.3, 0.3) == 0.0


def test_smd_categorical_two_levels_is_abs_binary():
    # Yang & Dalton with one indicator reduces to |binary SMD|
    assert st.smd_categorical([0.8, 0.2], [0.5, 0.5]) == pytest.approx(abs(st.smd_binary(0.2, 0.5)))


def test_smd_categorical_three_levels_by_formula():
    p1, p2 = np.array([0.2, 0.3, 0.5]), np.array([0.4, 0.4, 0.2])
    # Reference: written out for indicators of levels 2 and 3,
    # S_k = [[p_a(1-p_a), -p_a p_b], [-p_a p_b, p_b(1-p_b)]]
    def cov(p):
        a, b = p[1], p[2]
        return np.array([[a * (1 - a), -a * b], [-a * b, b * (1 - b)]])
    d = (p1 - p2)[1:]
    expected = math.sqrt(d @ np.linalg.inv((cov(p1) + cov(p2)) / 2) @ d)
    assert st.smd_categorical(p1, p2) == pytest.approx(expected)


def test_count_test_uses_chi_square_without_yates_when_expected_large():
    table = np.array([[30, 20], [25, 35]])
    res = st.count_test(table)
    ref = stats.chi2_contingency(table, correction=False)  # reference: scipy, no Yates
    assert res.test == "chi-square"
    assert res.p == pytest.approx(ref.pvalue)
    assert res.statistic == pytest.approx(ref.statistic)


def test_count_test_uses_fisher_for_small_2x2():
    table = np.array([[3, 1], [1, 4]])  # expected counts < 5
    res = st.count_test(table)
    assert res.test == "Fisher exact"
    assert res.p == pytest.approx(stats.fisher_exact(table).pvalue)  # reference: scipy


def test_count_test_large_table_small_counts_keeps_chi_square_with_note():
    table = np.array([[1, 2], [3, 1], [2, 4]])
    res = st.count_test(table)
    assert res.test == "chi-square"
    assert "expected" in res.note
    assert res.p == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue)


def test_count_test_without_variation_has_no_p():
    res = st.count_test(np.array([[0, 0], [4, 6]]))
    assert math.isnan(res.p) and res.note


def test_welch_test_matches_scipy_and_refuses_tiny_groups():
    a, b = np.array([1.0, 2, 4, 8]), np.array([3.0, 3.5, 4, 4.5, 5])
    ref = stats.ttest_ind(a, b, equal_var=False)  # reference: scipy Welch
    res = st.welch_test(a, b)
    assert (res.statistic, res.p) == pytest.approx((ref.statistic, ref.pvalue))
    assert math.isnan(st.welch_test(a, np.array([1.0])).p)


def test_welch_difference_interval_matches_scipy():
    a, b = np.array([1.0, 2, 4, 8, 9]), np.array([3.0, 3.5, 4, 4.5])
    ref = stats.ttest_ind(a, b, equal_var=False)
    ci = ref.confidence_interval(0.95)  # reference: scipy's Welch interval
    res = st.welch_difference(a, b)
    assert res.estimate == pytest.approx(np.mean(a) - np.mean(b))
    assert (res.ci_low, res.ci_high) == pytest.approx((ci.low, ci.high))
    assert res.p == pytest.approx(ref.pvalue)
    assert res.df == pytest.approx(ref.df)


def test_mean_ci_matches_scipy_t_interval():
    x = np.array([2.0, 4, 4, 5, 9])
    ref = stats.ttest_1samp(x, 0).confidence_interval(0.95)  # reference: scipy
    assert st.mean_ci(x) == pytest.approx((ref.low, ref.high))


def test_rule_is_always_welch_not_student():
    # unequal sizes and variances: Welch and Student p-values differ clearly
    a = np.array([1.0, 9, 3, 12, 5, 15, 2, 11])
    b = np.array([5.0, 5.5, 6])
    welch = stats.ttest_ind(a, b, equal_var=False).pvalue  # reference: scipy Welch
    student = stats.ttest_ind(a, b, equal_var=True).pvalue  # reference: scipy Student
    assert abs(welch - student) > 0.01
    assert st.welch_test(a, b).p == pytest.approx(welch)


@pytest.mark.parametrize("seed", range(6))
def test_mann_whitney_from_sorted_groups_equals_scipy_exactly(seed):
    rng = np.random.default_rng(seed)
    n1, n2 = rng.integers(9, 400, 2)
    if seed % 2:  # many ties
        a, b = rng.integers(0, 6, n1).astype(float), rng.integers(0, 7, n2).astype(float)
    else:
        a, b = rng.lognormal(size=n1), rng.lognormal(0.2, size=n2)
    ref = stats.mannwhitneyu(a, b, alternative="two-sided")  # reference: SciPy
    res = st.mann_whitney_sorted(np.sort(a), np.sort(b))
    assert res.statistic == float(ref.statistic)
    assert res.p == float(ref.pvalue)
    assert res.test == st.MANN_WHITNEY


def test_mann_whitney_sorted_small_groups_use_the_exact_test():
    a, b = np.array([1.0, 2.0, 4.0]), np.array([3.0, 5.0, 6.0, 7.0])
    # exact: U = 1 (only 4 > 3); P(U <= 1) = 2 / C(7, 3) = 2 / 35, two-sided 4 / 35
    res = st.mann_whitney_sorted(a, b)
    assert res.statistic == 1.0 and res.p == pytest.approx(4 / 35)


def test_moments_given_to_smd_and_welch_change_nothing():
    rng = np.random.default_rng(5)
    a, b = rng.normal(1, 2, 50), rng.normal(0, 1, 40)
    moments = ((float(np.mean(a)), st.sd(a)), (float(np.mean(b)), st.sd(b)))
    assert st.smd_continuous(a, b, moments=moments) == st.smd_continuous(a, b)
    assert st.welch_test(a, b, sds=(moments[0][1], moments[1][1])) == st.welch_test(a, b)
