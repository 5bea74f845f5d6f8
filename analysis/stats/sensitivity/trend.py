"""Trend over the number of spotty deposits as a linear contrast of LS means.

The deposit count is grouped as in :mod:`analysis.stats.linear.dose_response`
(``0, 1, 2, 3+``; category 0 is the no-calcium group) and enters the adjusted model as
a factor in place of the calcification group. The trend is the linear contrast of the
category LS means with the centred category scores, scaled to a slope:
``c_j = (s_j - mean(s)) / sum((s - mean(s))²)`` with ``s = 0, 1, 2, 3``, i.e. the
weights ``(-3, -1, 1, 3) / 10`` when all four categories occur. ``c'μ`` is then the
least-squares slope of the LS means on the category score: the adjusted change in the
outcome per deposit category.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm

from analysis.errors import AnalysisError
from analysis.stats.sensitivity.common import (
    SensitivityResult,
    covariate_names,
    covariate_text,
    full_rank_columns,
    model_data,
    weighting_text,
)

ANALYSIS = "Trend over deposits (LS-mean contrast)"
CATEGORIES: tuple[str, ...] = ("0", "1", "2", "3+")
ESTIMAND = "slope of LS means per deposit category (0, 1, 2, 3+)"


def trend_weights(present: Sequence[int]) -> np.ndarray:
    """Centred scores of the present categories, scaled so that ``c'μ`` is the slope.

    ``present`` holds the category scores (0-3) that occur; with all four the weights
    are ``(-3, -1, 1, 3) / 10``.
    """
    s = np.asarray(present, dtype=float)
    d = s - s.mean()
    return d / float(d @ d)


def _category_codes(values: np.ndarray, count: str) -> np.ndarray:
    if np.any(values < 0) or np.any(values != np.floor(values)):
        raise AnalysisError(f"'{count}' must hold whole non-negative counts; fix the data.")
    return np.minimum(values, 3).astype(int)


def deposit_trend(data: pd.DataFrame, dv: str, *, covar: Sequence[str] | str | None = None,
                  weights: str = "proportional", alpha: float = 0.05,
                  count: str = "n_spotty", min_group_n: int | None = None) -> SensitivityResult:
    """Linear trend of the adjusted outcome over deposit categories 0, 1, 2, 3+.

    OLS (statsmodels) of ``dv ~ deposit category + covariates`` on the complete cases of
    the spotty / none comparison; LS means per category over the reference grid
    (``weights``); the trend is ``t_test(c'L)`` with the slope-scaled centred scores of
    the module docstring (residual df). Unlike the other analyses, the estimate is a
    slope per category step, not the spotty - none difference.

    Parameters
    ----------
    data : DataFrame
    dv : str
        Numeric outcome.
    covar : sequence of str, optional
        Covariates; default :func:`analysis.data.schema.default_covariates` of ``dv``.
    weights : {"proportional", "equal"}
        Weighting of factor-covariate levels in the LS means.
    alpha : float
    count : str
        Deposit count variable (default ``"n_spotty"``).
    min_group_n : int, optional
        Smallest spotty / none group (default from settings).

    Returns
    -------
    SensitivityResult
        ``estimand`` names the slope.

    Raises
    ------
    AnalysisError
        Bad inputs, negative or fractional counts, fewer than two categories.
    """
    md, _ = model_data(data, dv, covar, weights=weights, alpha=alpha,
                       min_group_n=min_group_n, extra=(count,))
    design = md.design()
    names = list(design.column_names())
    X0 = np.asarray(design.matrix(), dtype=float)
    cov_cols = [j for j, n in enumerate(names) if j >= 2 and n != count]
    cov_avg = np.asarray(design.lsmeans_matrix(weights), dtype=float)[0, cov_cols]

    counts = pd.to_numeric(data[count].iloc[md.rows], errors="coerce").to_numpy(dtype=float)
    cat = _category_codes(counts, count)
    present = np.unique(cat)
    if len(present) < 2:
        raise AnalysisError(f"Only deposit category {CATEGORIES[present[0]]} occurs in this "
                            "selection; a trend needs at least two. Widen the filters.")
    dummies = (cat[:, None] == present[None, 1:]).astype(float)
    X = np.column_stack([np.ones(md.n), dummies, X0[:, cov_cols]])
    k = len(present)
    keep = full_rank_columns(X, required=k)
    notes = list(md.notes)
    if len(keep) < X.shape[1]:
        notes.append("Some covariate columns are aliased with other terms in this selection "
                     "and were left out of the trend model.")
    # LS-mean rows: intercept, category indicator, averaged covariate part
    L = np.column_stack([np.ones(k), np.eye(k)[:, 1:], np.tile(cov_avg, (k, 1))])[:, keep]
    c = trend_weights(present)
    res = sm.OLS(md.y, X[:, keep]).fit()
    tt = res.t_test((c @ L)[None, :])
    ci = np.asarray(tt.conf_int(alpha=alpha))[0]
    shown = ", ".join(f"{w:.4g}" for w in c)
    test = (f"t-test of the linear contrast of LS means (weights {shown} on categories "
            f"{', '.join(CATEGORIES[i] for i in present)}; residual df)")
    if len(present) < len(CATEGORIES):
        notes.append(f"Deposit categories {', '.join(CATEGORIES[i] for i in present)} occur "
                     "in this selection; the contrast uses their centred scores.")
    covs = tuple(n for n in covariate_names(md) if n != count)
    method = (f"ANCOVA (OLS) {dv} ~ {count} category (0, 1, 2, 3+) + "
              f"{' + '.join(covs) or '1'}; covariates: {covariate_text(covs)}; "
              f"{weighting_text(weights)}; trend = linear contrast of the category LS means "
              f"with centred scores scaled to a slope per category; n = {md.n}")
    return SensitivityResult(
        analysis=ANALYSIS, estimate=float(np.ravel(tt.effect)[0]),
        se=float(np.ravel(tt.sd)[0]), ci_low=float(ci[0]), ci_high=float(ci[1]),
        p=float(np.ravel(tt.pvalue)[0]), test=test, df=float(res.df_resid), n=md.n,
        method=method, notes=tuple(notes), covariates=covs, dv=dv, weights=weights,
        alpha=float(alpha), estimand=ESTIMAND)
