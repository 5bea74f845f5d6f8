"""Small statistical helpers shared by Table 1, progression and distributions.

Test rules (one rule each, applied everywhere in the descriptive statistics):

* **Two means** (roughly normal variables): always the **Welch t-test**
  (``scipy.stats.ttest_ind(..., equal_var=False)``). No pre-test for equal
  variances: a two-stage "F-test then Student/Welch" procedure distorts the type I
  error, and Welch loses almost nothing when the variances are equal.
* **Skewed variables** (``Variable.skewed``): **Mann-Whitney U**, two-sided
  (``scipy.stats.mannwhitneyu`` with its default ``method="auto"``: exact for small
  samples without ties, otherwise the normal approximation with continuity
  correction).
* **Counts** (r x c contingency table, all-zero rows/columns removed): **Pearson
  chi-square without the Yates continuity correction** (also for 2 x 2 tables); when
  any expected count is below 5 a 2 x 2 table uses the **Fisher exact** test
  (two-sided). SciPy's Fisher test for tables larger than 2 x 2 is a Monte Carlo
  approximation, so those tables keep the chi-square test and carry a note that the
  approximation may be poor.
* **Standardized mean difference** (first group minus second): continuous
  ``(m1 - m2) / sqrt((s1² + s2²) / 2)``; binary
  ``(p1 - p2) / sqrt((p1(1 - p1) + p2(1 - p2)) / 2)``; categorical with more than two
  levels: Yang & Dalton's multivariate SMD
  ``sqrt((p1 - p2)ᵀ S⁻¹ (p1 - p2))`` over the indicators of all levels but the first,
  ``S = (S1 + S2) / 2`` with ``S_k = diag(p_k) - p_k p_kᵀ`` (non-negative).
  Standard deviations use ``ddof=1``.

P-values are shown as ``"< 0.001"`` below 0.001 and with three decimals otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special, stats
from scipy.stats.contingency import expected_freq

WELCH = "Welch t-test"
MANN_WHITNEY = "Mann-Whitney U"
CHI_SQUARE = "chi-square"
FISHER = "Fisher exact"
ONE_SAMPLE = "one-sample t-test vs 0"
#: Smallest expected count for which the chi-square approximation is used (2 x 2).
MIN_EXPECTED = 5.0


@dataclass(frozen=True)
class TestResult:
    """Outcome of one hypothesis test.

    Attributes
    ----------
    test : str
        Name of the test (``"Welch t-test"``, ``"Mann-Whitney U"``, ``"chi-square"``,
        ``"Fisher exact"``, ``"one-sample t-test vs 0"``).
    statistic : float
        t, U, chi-square or (Fisher) the sample odds ratio; NaN if not computable.
    p : float
        Two-sided p-value; NaN if the test could not be run (see ``note``).
    df : float
        Degrees of freedom (NaN where the test has none).
    note : str
        Why the p-value is missing or a caveat about the test; ``""`` if none.
    """

    __test__ = False  # not a pytest test class

    test: str
    statistic: float
    p: float
    df: float = math.nan
    note: str = ""


# --- formatting ---------------------------------------------------------------------


def format_p(p: float | None, *, prefix: bool = False) -> str:
    """Format a p-value: ``"< 0.001"`` below 0.001, else three decimals.

    Parameters
    ----------
    p : float or None
        The p-value; NaN or None gives ``""``.
    prefix : bool
        Prepend ``"p "`` / ``"p = "``: ``"p < 0.001"``, ``"p = 0.012"``.
    """
    if p is None or not np.isfinite(p):
        return ""
    if p < 0.001:
        return "p < 0.001" if prefix else "< 0.001"
    text = f"{min(p, 1.0):.3f}"
    return f"p = {text}" if prefix else text


def format_smd(smd: float | None) -> str:
    """SMD with two decimals (``""`` if missing)."""
    if smd is None or np.isnan(smd):
        return ""
    return f"{smd:.2f}"


# --- summaries ----------------------------------------------------------------------


def sd(x: np.ndarray) -> float:
    """Sample standard deviation (ddof=1); NaN for fewer than two values."""
    return float(np.std(x, ddof=1)) if len(x) >= 2 else math.nan


def mean_ci(x: np.ndarray, alpha: float = 0.05) -> tuple[float, float]:
    """Two-sided t confidence interval for the mean (NaN for fewer than two values)."""
    n = len(x)
    if n < 2:
        return math.nan, math.nan
    m, se = float(np.mean(x)), sd(x) / math.sqrt(n)
    half = float(stats.t.ppf(1 - alpha / 2, n - 1)) * se
    return m - half, m + half


# --- standardized mean differences --------------------------------------------------


def smd_continuous(x1: np.ndarray, x2: np.ndarray, *,
                   moments: tuple[tuple[float, float], tuple[float, float]] | None = None
                   ) -> float:
    """``(m1 - m2) / sqrt((s1² + s2²) / 2)``; NaN if either group has < 2 values.

    Two constant groups give 0 if their means are equal and ±inf otherwise.
    ``moments`` = ``((mean(x1), sd(x1)), (mean(x2), sd(x2)))`` when already computed
    (as ``float(np.mean(x))`` and :func:`sd`), to save passes over large groups.
    """
    if len(x1) < 2 or len(x2) < 2:
        return math.nan
    (m1, s1), (m2, s2) = moments or ((float(np.mean(x1)), sd(x1)), (float(np.mean(x2)), sd(x2)))
    diff = m1 - m2
    pooled = math.sqrt((s1 ** 2 + s2 ** 2) / 2)
    if pooled == 0:
        return 0.0 if diff == 0 else math.copysign(math.inf, diff)
    return diff / pooled


def smd_binary(p1: float, p2: float) -> float:
    """``(p1 - p2) / sqrt((p1(1 - p1) + p2(1 - p2)) / 2)`` for proportions in [0, 1]."""
    if np.isnan(p1) or np.isnan(p2):
        return math.nan
    diff = p1 - p2
    pooled = math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)
    if pooled == 0:
        return 0.0 if diff == 0 else math.copysign(math.inf, diff)
    return diff / pooled


def smd_categorical(p1: np.ndarray, p2: np.ndarray) -> float:
    """Yang & Dalton multivariate SMD for level proportions ``p1``, ``p2`` (same order).

    Uses the indicators of all levels but the first; a singular covariance matrix is
    inverted with the Moore-Penrose pseudo-inverse. Two levels reduce to ``|smd_binary|``.
    """
    p1, p2 = np.asarray(p1, float)[1:], np.asarray(p2, float)[1:]
    if np.isnan(p1).any() or np.isnan(p2).any() or len(p1) == 0:
        return math.nan
    cov1 = np.diag(p1) - np.outer(p1, p1)
    cov2 = np.diag(p2) - np.outer(p2, p2)
    diff = p1 - p2
    if not diff.any():
        return 0.0
    value = float(diff @ np.linalg.pinv((cov1 + cov2) / 2) @ diff)
    return math.sqrt(max(value, 0.0))


# --- tests --------------------------------------------------------------------------


def welch_test(x1: np.ndarray, x2: np.ndarray, *,
               sds: tuple[float, float] | None = None) -> TestResult:
    """Welch t-test of mean(x1) = mean(x2) (needs two values per group and some spread).

    ``sds`` = ``(sd(x1), sd(x2))`` when already computed.
    """
    if len(x1) < 2 or len(x2) < 2:
        return TestResult(WELCH, math.nan, math.nan,
                          note="Welch t-test needs at least 2 values per group.")
    s1, s2 = sds or (sd(x1), sd(x2))
    if s1 == 0 and s2 == 0:
        return TestResult(WELCH, math.nan, math.nan,
                          note="Welch t-test undefined: no variation within either group.")
    res = stats.ttest_ind(x1, x2, equal_var=False)
    return TestResult(WELCH, float(res.statistic), float(res.pvalue), float(res.df))


def mann_whitney_test(x1: np.ndarray, x2: np.ndarray) -> TestResult:
    """Two-sided Mann-Whitney U test (U of the first sample)."""
    if len(x1) < 1 or len(x2) < 1:
        return TestResult(MANN_WHITNEY, math.nan, math.nan,
                          note="Mann-Whitney U needs at least 1 value per group.")
    res = stats.mannwhitneyu(x1, x2, alternative="two-sided")
    return TestResult(MANN_WHITNEY, float(res.statistic), float(res.pvalue))


def mann_whitney_sorted(x1: np.ndarray, x2: np.ndarray) -> TestResult:
    """:func:`mann_whitney_test` for increasing ``x1`` and ``x2`` (no NaN), in O(n).

    With more than 8 values in each group SciPy's ``method="auto"`` is the normal
    approximation with tie correction and continuity correction; this computes the
    same numbers from the sorted groups (one merge instead of a full ranking): the
    rank sum of half-integers is exact in float64 and every later step is SciPy's
    formula in SciPy's order (``scipy.stats._mannwhitneyu``), so the statistic and
    p-value are identical to :func:`scipy.stats.mannwhitneyu`. Smaller groups are
    passed to SciPy (exact distribution).
    """
    n1, n2 = len(x1), len(x2)
    if n1 <= 8 or n2 <= 8:
        return mann_whitney_test(x1, x2)
    n = n1 + n2
    both = np.concatenate([x1, x2])
    order = np.argsort(both, kind="stable")  # a merge of two sorted runs
    merged = both[order]
    starts = np.flatnonzero(np.r_[True, merged[1:] != merged[:-1]])
    ties = np.diff(starts, append=n)
    if len(starts) == n:  # no ties: ranks are positions, the tie term is 0
        r1 = float(np.sum(np.flatnonzero(order < n1))) + n1
        tie_term = 0.0
    else:
        first_so_far = np.concatenate([[0], np.cumsum(order < n1)])
        from_first = first_so_far[starts + ties] - first_so_far[starts]
        r1 = float(np.sum(from_first * ((starts + 1) + (ties.astype(float) - 1) / 2)))
        t = np.zeros(n)
        t[starts] = ties
        tie_term = np.sum(t ** 3 - t)
    u1 = r1 - n1 * (n1 + 1) / 2
    u = max(u1, n1 * n2 - u1)
    s = math.sqrt(n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.float64(u - n1 * n2 / 2 - 0.5) / s
    p = float(np.clip(special.ndtr(-z) * 2, 0.0, 1.0))
    return TestResult(MANN_WHITNEY, u1, p)


def count_test(table: np.ndarray) -> TestResult:
    """Chi-square (no Yates correction) or, for a 2 x 2 table with an expected count
    below 5, Fisher exact. ``table`` has one row per level and one column per group.

    Rows and columns that are all zero are removed first; if fewer than two rows or
    columns remain there is nothing to test and the p-value is NaN.
    """
    table = np.asarray(table, dtype=float)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return TestResult(CHI_SQUARE, math.nan, math.nan,
                          note="No test: only one level or one group has observations.")
    small = bool((expected_freq(table) < MIN_EXPECTED).any())
    if small and table.shape == (2, 2):
        res = stats.fisher_exact(table.astype(int), alternative="two-sided")
        return TestResult(FISHER, float(res.statistic), float(res.pvalue))
    chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
    note = ("Some expected counts are below 5; the chi-square approximation may be "
            "inaccurate (Fisher exact is used for 2 x 2 tables only)." if small else "")
    return TestResult(CHI_SQUARE, float(chi2), float(p), float(dof), note)


def one_sample_test(x: np.ndarray) -> TestResult:
    """One-sample t-test of mean(x) = 0."""
    if len(x) < 2:
        return TestResult(ONE_SAMPLE, math.nan, math.nan,
                          note="A one-sample t-test needs at least 2 values.")
    if sd(x) == 0:
        return TestResult(ONE_SAMPLE, math.nan, math.nan,
                          note="One-sample t-test undefined: all values are equal.")
    res = stats.ttest_1samp(x, 0.0)
    return TestResult(ONE_SAMPLE, float(res.statistic), float(res.pvalue), float(res.df))


@dataclass(frozen=True)
class MeanDifference:
    """Difference of two means with a Welch (Satterthwaite) confidence interval.

    Attributes
    ----------
    estimate, se, df, ci_low, ci_high, t, p : float
        ``mean(x1) - mean(x2)``, its standard error ``sqrt(s1²/n1 + s2²/n2)``, the
        Welch-Satterthwaite degrees of freedom, the two-sided ``1 - alpha`` interval,
        the t statistic and its two-sided p-value (NaN when not computable).
    test : str
        ``"Welch t-test"``.
    note : str
        Why the values are missing, or ``""``.
    """

    estimate: float
    se: float
    df: float
    ci_low: float
    ci_high: float
    t: float
    p: float
    test: str = WELCH
    note: str = ""


def welch_difference(x1: np.ndarray, x2: np.ndarray, alpha: float = 0.05) -> MeanDifference:
    """``mean(x1) - mean(x2)`` with a Welch confidence interval and p-value."""
    nan = math.nan
    if len(x1) < 2 or len(x2) < 2:
        est = float(np.mean(x1) - np.mean(x2)) if len(x1) and len(x2) else nan
        return MeanDifference(est, nan, nan, nan, nan, nan, nan,
                              note="Welch t-test needs at least 2 values per group.")
    n1, n2 = len(x1), len(x2)
    v1, v2 = sd(x1) ** 2 / n1, sd(x2) ** 2 / n2
    est = float(np.mean(x1) - np.mean(x2))
    se = math.sqrt(v1 + v2)
    if se == 0:
        return MeanDifference(est, 0.0, nan, nan, nan, nan, nan,
                              note="Welch t-test undefined: no variation within either group.")
    df = (v1 + v2) ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1))
    t = est / se
    p = float(2 * stats.t.sf(abs(t), df))
    half = float(stats.t.ppf(1 - alpha / 2, df)) * se
    return MeanDifference(est, se, df, est - half, est + half, t, p)
