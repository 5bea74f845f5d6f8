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
from analysis.stats.linear.ancova import ancova_from_model_data
from analysis.stats.linear.checks import (
    check_frame,
    check_options,
    check_outcome,
    check_variable,
    resolve_covariates,
)
from analysis.stats.linear.columns import Column, column, numeric_values, prepare
from analysis.stats.linear.design import FactorTerm, term_matrix
from analysis.stats.linear.fit import blas_limit, column_rank, ols, r_factor

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


def category_column(data: pd.DataFrame, count: str) -> Column:
    """Deposit count as the factor ``"0", "1", "2", "3+"``."""
    values = numeric_values(data[count], count)
    if np.any(values[~np.isnan(values)] < 0):
        raise AnalysisError(f"'{count}' holds negative counts; fix the data.")
    idx = np.minimum(np.floor(np.nan_to_num(values, nan=0.0)), 3).astype(int)
    labels = np.array(CATEGORIES, dtype=object)[idx]
    labels[np.isnan(values)] = None
    series = pd.Series(pd.Categorical(labels, categories=list(CATEGORIES)), index=data.index)
    return Column(f"{count} category", series, "factor", None, CATEGORIES)


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


def _slope(X: np.ndarray, y: np.ndarray, alpha: float) -> tuple[float, float, float, float,
                                                                float, float]:
    """(coefficient, SE, residual df, p, CI low, CI high) of column 1 of ``X``.

    statsmodels OLS (:func:`analysis.stats.linear.fit.ols` on the R factor of the
    design); statsmodels' pseudo-inverse fit of the rows when the design is
    rank-deficient.
    """
    with blas_limit():
        r_aug = r_factor(X, y)
        p = X.shape[1]
        if column_rank(r_aug[:p, :p]) == p:
            res = ols(r_aug, len(y))
        else:
            res = sm.OLS(y, X).fit()
        test = res.t_test(np.eye(p)[1:2])
    lo, hi = np.asarray(test.conf_int(alpha=alpha))[0]
    return (float(np.squeeze(test.effect)), float(np.squeeze(test.sd)), float(res.df_resid),
            float(np.squeeze(test.pvalue)), float(lo), float(hi))


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
    frame = data
    if GROUP in data.columns:
        g = data[GROUP].astype("str").to_numpy(dtype=object)
        in_cmp = np.isin(g, list(GROUP_LEVELS))
        n_out = int((~in_cmp).sum())
        if n_out:
            notes.append(f"{n_out} patients outside the {' / '.join(GROUP_LEVELS)} comparison "
                         "(other or missing calcification) are not analysed.")
            frame = data.iloc[np.flatnonzero(in_cmp)]
    names, dropped0 = resolve_covariates(frame, dv, covar, exclude=(GROUP, count))
    cat = category_column(frame, count)

    # raw summaries: rows with outcome and count
    y_all = numeric_values(frame[dv], dv)
    cat_codes = cat.series.cat.codes.to_numpy()
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
    md = prepare(column(frame, dv), cat, [column(frame, c) for c in names], focal_levels=None,
                 min_group_n=1, dropped=dropped0, what="the trend model")
    notes.extend(md.notes)
    try:
        res = ancova_from_model_data(md, dv, weights=weights, alpha=alpha, diagnostics=False)
        for _, r in res.ls_means.iterrows():
            at = table["category"] == r["level"]
            table.loc[at, ["ls_mean", "ls_se", "ls_ci_low", "ls_ci_high"]] = \
                [r["ls_mean"], r["se"], r["ci_low"], r["ci_high"]]
    except AnalysisError as err:
        notes.append(f"Adjusted means not estimated: {err}")

    # trend: OLS of the outcome on the category score 0-3 plus the covariates
    focal: FactorTerm = md.focal
    score = np.array([CATEGORIES.index(lev) for lev in focal.levels], dtype=float)[focal.codes]
    X = np.column_stack([np.ones(md.n), score] + [term_matrix(t) for t in md.covariates])
    b, _se, df, p, lo, hi = _slope(X, md.y, alpha)
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
