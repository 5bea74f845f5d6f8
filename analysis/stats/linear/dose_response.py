"""Progression by number of spotty calcium deposits (0, 1, 2, 3+).

Patients with spotty or no calcification are analysed (category 0 is the no-calcium
group); patients with other calcification are excluded and counted. Per category:
raw mean with SE and t-based CI, and the ANCOVA LS mean (deposit category as the
factor, the default covariates of the outcome). The trend test is the t-test of the
slope of the outcome on the category score 0-3 in an OLS model with the same
covariates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from analysis.data.schema import GROUP, GROUP_LEVELS
from analysis.errors import AnalysisError
from analysis.stats.linear.ancova import ancova_from_fit
from analysis.stats.linear.checks import (
    check_frame,
    check_options,
    check_outcome,
    check_variable,
    resolve_covariates,
)
from analysis.stats.linear.columns import Column, ModelData, column, numeric_values, prepare
from analysis.stats.linear.design import FactorTerm, term_matrix
from analysis.stats.linear.fit import Fit, blas_limit, column_rank, fit, ols, r_factor

CATEGORIES: tuple[str, ...] = ("0", "1", "2", "3+")


@dataclass(frozen=True)
class DoseResponseResult:
    """Result of :func:`dose_response`.

    Attributes
    ----------
    table : DataFrame
        ``category, n, mean, sd, se, ci_low, ci_high`` (raw) and ``ls_mean, ls_se,
        ls_ci_low, ls_ci_high`` (adjusted; NaN when the adjusted model cannot be fitted).
    p_trend : float
    trend_test : str
    slope, slope_ci_low, slope_ci_high : float
        Adjusted change in the outcome per deposit category.
    method : str
    n_used : int
    notes : tuple of str
    """

    table: pd.DataFrame
    p_trend: float
    trend_test: str
    slope: float
    slope_ci_low: float
    slope_ci_high: float
    method: str
    n_used: int
    notes: tuple[str, ...]


def category_codes(values: np.ndarray, count: str) -> np.ndarray:
    """Deposit counts as codes of :data:`CATEGORIES` (0, 1, 2, 3+; NaN for missing)."""
    if np.any(values[~np.isnan(values)] < 0):
        raise AnalysisError(f"'{count}' holds negative counts; fix the data.")
    return np.minimum(np.floor(values), 3.0)  # NaN stays NaN


def category_column(data: pd.DataFrame, count: str,
                    rows: np.ndarray | None = None) -> Column:
    """Deposit count as the factor ``"0", "1", "2", "3+"`` (of ``rows`` only if given).

    The column holds the level codes already (:attr:`Column.values`): no labels are
    written out per patient.
    """
    values = numeric_values(data[count], count)
    codes = category_codes(values if rows is None else values[rows], count)
    return Column(f"{count} category", None, "factor", None, CATEGORIES, (codes, CATEGORIES))


def _raw_table(y: np.ndarray, codes: np.ndarray, ok: np.ndarray, alpha: float) -> pd.DataFrame:
    """Raw mean, SD, SE and t-based CI per category; LS-mean columns left NaN."""
    rows = []
    for i, label in enumerate(CATEGORIES):
        v = y[ok & (codes == i)]
        n = len(v)
        mean = float(v.mean()) if n else np.nan
        sd = float(v.std(ddof=1)) if n > 1 else np.nan
        se = sd / np.sqrt(n) if n > 1 else np.nan
        q = stats.t.ppf(1 - alpha / 2, n - 1) if n > 1 else np.nan
        rows.append({"category": label, "n": n, "mean": mean, "sd": sd, "se": se,
                     "ci_low": mean - q * se, "ci_high": mean + q * se})
    table = pd.DataFrame(rows)
    table[["ls_mean", "ls_se", "ls_ci_low", "ls_ci_high"]] = np.nan
    return table


def _slope_results(X: np.ndarray, y: np.ndarray):
    """statsmodels OLS of ``y`` on ``X``: :func:`analysis.stats.linear.fit.ols` on the R
    factor of the design; statsmodels' pseudo-inverse fit of the rows when the design is
    rank-deficient."""
    with blas_limit():
        r_aug = r_factor(X, y)
        p = X.shape[1]
        if column_rank(r_aug[:p, :p]) == p:
            return ols(r_aug, len(y))
        return sm.OLS(y, X).fit()


def _trend_factor(f: Fit) -> np.ndarray | None:
    """R factor of ``[1 | score | covariates | y]`` from the fit of the category model, or
    None when that model is rank-deficient.

    The score column is ``s_0 + sum_j (s_j - s_0) d_j`` of the category dummies ``d_j``
    (``s_j`` the score of level ``j``), so ``[X_trend | y] = [X | y] T`` for a small
    matrix ``T`` and its R factor is that of ``R T`` (``R`` the fit's R factor): no
    second pass over the rows.
    """
    focal = f.design.focal
    score = np.array([CATEGORIES.index(lev) for lev in focal.levels], dtype=float)
    q = f.r_aug.shape[1]
    k = focal.k
    T = np.zeros((q, q - k + 2))
    T[0, 0] = 1.0
    T[0, 1] = score[0]
    T[1:k, 1] = score[1:] - score[0]
    T[k + np.arange(q - k), 2 + np.arange(q - k)] = 1.0  # covariates, then y
    with blas_limit():
        r_trend = np.linalg.qr(f.r_aug @ T, mode="r")
    p = T.shape[1] - 1
    return r_trend if column_rank(r_trend[:p, :p]) == p else None


def _slope(res, alpha: float) -> tuple[float, float, float, float, float, float]:
    """(coefficient, SE, residual df, p, CI low, CI high) of column 1 of an OLS fit."""
    test = res.t_test(np.eye(len(res.params))[1:2])
    lo, hi = np.asarray(test.conf_int(alpha=alpha))[0]
    return (float(np.squeeze(test.effect)), float(np.squeeze(test.sd)), float(res.df_resid),
            float(np.squeeze(test.pvalue)), float(lo), float(hi))


def _adjusted(md: ModelData, dv: str, table: pd.DataFrame, weights: str, alpha: float,
              notes: list[str]):
    """LS means into ``table`` and the OLS results of the trend model.

    The trend model comes from the category model's R factor when that fit kept every
    covariate (see :func:`_trend_factor`), else from its own fit of the rows.
    """
    f = None
    try:
        f, fitted = fit(md)
        res = ancova_from_fit(f, fitted, dv, weights=weights, alpha=alpha, diagnostics=False)
        for _, r in res.ls_means.iterrows():
            at = table["category"] == r["level"]
            table.loc[at, ["ls_mean", "ls_se", "ls_ci_low", "ls_ci_high"]] = \
                [r["ls_mean"], r["se"], r["ci_low"], r["ci_high"]]
        if len(fitted.covariates) != len(md.covariates):
            f = None  # a covariate aliased: the trend model fits the rows as given
    except AnalysisError as err:
        notes.append(f"Adjusted means not estimated: {err}")
    r_trend = None if f is None else _trend_factor(f)
    if r_trend is not None:
        with blas_limit():
            return ols(r_trend, md.n)
    focal: FactorTerm = md.focal
    score = np.array([CATEGORIES.index(lev) for lev in focal.levels], dtype=float)[focal.codes]
    X = np.column_stack([np.ones(md.n), score] + [term_matrix(t) for t in md.covariates])
    return _slope_results(X, md.y)


def dose_response(data: pd.DataFrame, dv: str, *, count: str = "n_spotty",
                  covar: Sequence[str] | str | None = None, weights: str = "proportional",
                  alpha: float = 0.05) -> DoseResponseResult:
    """Outcome by deposit category with raw and adjusted means and a trend test.

    Parameters
    ----------
    data : DataFrame
    dv : str
        Numeric outcome.
    count : str
        Numeric dictionary variable counting deposits (default ``"n_spotty"``).
    covar : sequence of str, optional
        Covariates of the adjusted means and the trend test (default set if None).
    weights : {"proportional", "equal"}
    alpha : float

    Returns
    -------
    DoseResponseResult
    """
    check_frame(data)
    check_options(weights, alpha)
    check_outcome(data, dv)
    var = check_variable(data, count, "Count variable")
    if not var.is_numeric:
        raise AnalysisError(f"'{count}' is not a count; choose a numeric variable.")
    notes: list[str] = []
    rows = None  # positions of the compared patients (None: every row)
    if GROUP in data.columns:
        in_cmp = data[GROUP].isin(GROUP_LEVELS).to_numpy(dtype=bool)
        n_out = int((~in_cmp).sum())
        if n_out:
            notes.append(f"{n_out} patients outside the {' / '.join(GROUP_LEVELS)} comparison "
                         "(other or missing calcification) are not analysed.")
            rows = np.flatnonzero(in_cmp)
    names, dropped0 = resolve_covariates(data, dv, covar, exclude=(GROUP, count))
    cat = category_column(data, count, rows)

    def col(name: str) -> Column:
        c = column(data, name)
        return c if rows is None else c.take(rows)

    outcome = col(dv)
    # raw summaries: rows with outcome and count
    y_all = outcome.converted().values[0]
    cat_codes = np.nan_to_num(cat.values[0], nan=-1.0).astype(np.intp)
    ok = ~np.isnan(y_all) & (cat_codes >= 0)
    if (~ok).sum():
        notes.append(f"{int((~ok).sum())} patients with a missing {dv} or {count} are not "
                     "in the raw summaries.")
    table = _raw_table(y_all, cat_codes, ok, alpha)

    present = [lab for i, lab in enumerate(CATEGORIES) if (ok & (cat_codes == i)).any()]
    if len(present) < 2:
        raise AnalysisError(f"Only deposit category {', '.join(present) or 'none'} occurs in "
                            "this selection; a dose-response needs at least two. Widen the "
                            "filters.")
    # a category may be small: the model pools the residual variance over all of them
    md = prepare(outcome, cat, [col(c) for c in names], focal_levels=None,
                 min_group_n=1, dropped=dropped0, what="the trend model")
    notes.extend(md.notes)
    # trend: OLS of the outcome on the category score 0-3 plus the covariates
    b, _se, df, p, lo, hi = _slope(_adjusted(md, dv, table, weights, alpha, notes), alpha)
    covs = tuple(t_.name for t_ in md.covariates)
    adj = f"adjusted for {', '.join(covs)}" if covs else "unadjusted"
    test = (f"linear trend test (OLS on deposit category 0-3, {adj}; t-test of the slope, "
            f"df = {df:g})")
    method = (f"Raw mean ± SE per {count} category (0, 1, 2, 3+) and LS means from ANCOVA "
              f"(OLS): {dv} ~ {count} category{''.join(' + ' + c for c in covs)} "
              f"({weights} weights); trend: {dv} ~ category score 0-3"
              f"{''.join(' + ' + c for c in covs)}; n = {md.n}")
    return DoseResponseResult(table=table, p_trend=p, trend_test=test, slope=b,
                              slope_ci_low=lo, slope_ci_high=hi,
                              method=method, n_used=md.n, notes=tuple(notes))
