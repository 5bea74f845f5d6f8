"""The adjusted comparison with heteroscedasticity-robust (HC3) standard errors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm

from analysis.stats.sensitivity.common import (
    SensitivityResult,
    covariate_names,
    covariate_text,
    design_and_contrast,
    model_data,
    weighting_text,
)

ANALYSIS = "Robust SE (HC3)"
TEST = "t-test of LS-mean difference, HC3 robust SE (residual df)"


def robust_hc3(data: pd.DataFrame, dv: str, *, covar: Sequence[str] | str | None = None,
               weights: str = "proportional", alpha: float = 0.05,
               min_group_n: int | None = None) -> SensitivityResult:
    """Spotty - none LS-mean difference with HC3 heteroscedasticity-robust SEs.

    The same OLS model as :func:`analysis.stats.linear.ancova.ancova`
    (``dv ~ calcification + covariates``, complete cases), fitted by statsmodels
    ``OLS(...).fit(cov_type="HC3", use_t=True)``; the contrast ``L[spotty] - L[none]`` of
    the LS-means matrix is tested by ``t_test(L)`` on the HC3 covariance (MacKinnon &
    White 1985: squared residuals divided by ``(1 - h_ii)²``), with the residual degrees
    of freedom for the t reference (as ``lmtest::coeftest`` does with ``sandwich::vcovHC``).

    Parameters
    ----------
    data : DataFrame
        Patient rows with dictionary column names.
    dv : str
        Numeric outcome, e.g. ``"delta_pav"``.
    covar : sequence of str, optional
        Covariates; default :func:`analysis.data.schema.default_covariates` of ``dv``.
    weights : {"proportional", "equal"}
        LS-mean weighting (the difference of a main-effects model does not depend on it).
    alpha : float
        1 - confidence level.
    min_group_n : int, optional
        Smallest analysed group; default from settings.

    Returns
    -------
    SensitivityResult

    Raises
    ------
    AnalysisError
        Unknown names, a non-numeric outcome, bad options, a too-small group.
    """
    md, _ = model_data(data, dv, covar, weights=weights, alpha=alpha, min_group_n=min_group_n)
    X, c, _names, notes = design_and_contrast(md, weights)
    res = sm.OLS(md.y, X).fit(cov_type="HC3", use_t=True)
    tt = res.t_test(c[None, :])
    frame = tt.summary_frame(alpha=alpha)
    est, se = float(np.ravel(tt.effect)[0]), float(np.ravel(tt.sd)[0])
    covs = covariate_names(md)
    method = (f"ANCOVA (OLS) {dv} ~ calcification + {' + '.join(covs) or '1'} with HC3 "
              f"heteroscedasticity-robust covariance; covariates: {covariate_text(covs)}; "
              f"{weighting_text(weights)}; n = {md.n}")
    return SensitivityResult(
        analysis=ANALYSIS, estimate=est, se=se,
        ci_low=float(frame.iloc[0, -2]), ci_high=float(frame.iloc[0, -1]),
        p=float(np.ravel(tt.pvalue)[0]), test=TEST, df=float(res.df_resid), n=md.n,
        method=method, notes=tuple(md.notes) + tuple(notes), covariates=covs, dv=dv,
        weights=weights, alpha=float(alpha))
