"""The comparison by propensity-score (inverse probability of treatment) weighting.

1. Propensity score ``e = P(spotty | covariates)`` from a logistic model (statsmodels
   ``GLM``, binomial family, logit link) on the chosen covariates (factors as
   treatment-coded dummies, numeric covariates linearly).
2. Stabilised ATE weights (Robins, Hernán & Brumback 2000; Xu et al. 2010):
   ``w = P(spotty) / e`` for spotty patients, ``(1 - P(spotty)) / (1 - e)`` for none,
   ``P(spotty)`` the observed share of spotty patients.
3. Truncation (Cole & Hernán 2008): weights below the ``trim``-th or above the
   ``(100 - trim)``-th percentile of all weights (NumPy's linear interpolation, R's
   ``quantile`` type 7) are set to those percentiles. ``trim = 0`` keeps them as they are.
4. Outcome: weighted least squares (statsmodels ``WLS``) of the outcome on the group and
   the same covariates (regression adjustment in the weighted sample), spotty - none
   LS-mean contrast by ``t_test`` on the **HC0** sandwich covariance (White 1980; R
   ``sandwich::vcovHC(type = "HC0")`` of ``lm(weights = w)``), t reference with the
   residual df. This SE treats the weights as known (it ignores the estimation of the
   propensity score), which is usually conservative for the ATE.

Balance (:func:`balance_table`): standardised mean difference, spotty minus none, of
every design column of the covariates, before and after weighting, by the weighted
formula of Austin & Stuart (2015, Stat Med 34:3661)::

    SMD = (m_s - m_n) / sqrt((v_s + v_n) / 2)
    m = sum(w x) / sum(w)
    v = sum(w) / (sum(w)² - sum(w²)) * sum(w (x - m)²)      numeric columns
    v = m (1 - m)                                           0/1 indicator columns

With all weights 1 (before weighting) these are the usual means, ``n - 1`` sample
variances and proportions, as in Table 1.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    PerfectSeparationError,
    PerfectSeparationWarning,
)

from analysis import settings
from analysis.errors import AnalysisError
from analysis.stats.sensitivity.common import (
    SensitivityResult,
    covariate_names,
    covariate_text,
    design_and_contrast,
    full_rank_columns,
    model_data,
    weighting_text,
)

ANALYSIS = "Propensity-score weighting (stabilised ATE)"
TEST = "t-test of weighted LS-mean difference, HC0 robust SE (residual df)"


@dataclass(frozen=True)
class PropensityResult(SensitivityResult):
    """:class:`SensitivityResult` of :func:`propensity_weighted` with its diagnostics.

    Attributes
    ----------
    balance : DataFrame
        ``term, smd_before, smd_after`` (see :func:`balance_table`).
    weight_summary : DataFrame
        ``statistic, value``: propensity-score range per group, weight range, the
        truncation bounds, the effective sample size ``(sum w)² / sum w²``.
    trim : float
        Percent truncated at each end of the weight distribution.
    """

    balance: pd.DataFrame | None = None
    weight_summary: pd.DataFrame | None = None
    trim: float = 1.0


def _check_trim(trim: object) -> float:
    if isinstance(trim, bool) or not isinstance(trim, int | float) \
            or not (0.0 <= float(trim) < 50.0):
        raise AnalysisError(f"trim must be a percentage from 0 up to (not including) 50, "
                            f"not {trim!r}.")
    return float(trim)


def stabilised_weights(treated: np.ndarray, ps: np.ndarray) -> np.ndarray:
    """Stabilised ATE weights ``P(T) / e`` (treated) and ``(1 - P(T)) / (1 - e)`` (control)."""
    share = float(np.mean(treated))
    return np.where(treated == 1, share / ps, (1.0 - share) / (1.0 - ps))


def truncate(w: np.ndarray, trim: float) -> tuple[np.ndarray, float, float]:
    """Weights clipped to their ``trim`` and ``100 - trim`` percentiles, and the bounds."""
    if trim == 0:
        return w, float(np.min(w)), float(np.max(w))
    lo, hi = np.percentile(w, [trim, 100.0 - trim])
    return np.clip(w, lo, hi), float(lo), float(hi)


def weighted_smd(x: np.ndarray, treated: np.ndarray, w: np.ndarray) -> float:
    """Austin & Stuart (2015) weighted SMD of ``x``, treated minus control (module docstring)."""
    binary = bool(np.all((x == 0) | (x == 1)))
    parts = []
    for g in (1, 0):
        xs, ws = x[treated == g], w[treated == g]
        m = float(np.sum(ws * xs) / np.sum(ws))
        if binary:
            v = m * (1.0 - m)
        else:
            sw, sw2 = float(np.sum(ws)), float(np.sum(ws * ws))
            v = sw / (sw * sw - sw2) * float(np.sum(ws * (xs - m) ** 2))
        parts.append((m, v))
    (m1, v1), (m0, v0) = parts
    pooled = np.sqrt((v1 + v0) / 2.0)
    if pooled == 0:
        return 0.0 if m1 == m0 else float(np.copysign(np.inf, m1 - m0))
    return float((m1 - m0) / pooled)


def balance_table(Z: np.ndarray, names: Sequence[str], treated: np.ndarray,
                  w: np.ndarray) -> pd.DataFrame:
    """``term, smd_before, smd_after`` for each column of ``Z`` (unweighted and weighted)."""
    ones = np.ones(len(treated))
    return pd.DataFrame({
        "term": list(names),
        "smd_before": [weighted_smd(Z[:, j], treated, ones) for j in range(Z.shape[1])],
        "smd_after": [weighted_smd(Z[:, j], treated, w) for j in range(Z.shape[1])],
    })


def _propensity(Z: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Fitted P(spotty) of the logistic model on ``[1, Z]``.

    Perfect separation (an error or a warning of statsmodels) and non-convergence
    raise :class:`AnalysisError`; other warnings are ignored.
    """
    exog = np.column_stack([np.ones(len(treated)), Z])
    advice = "Use fewer covariates or widen the filters."
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = sm.GLM(treated.astype(float), exog, family=sm.families.Binomial()).fit()
        except (PerfectSeparationError, np.linalg.LinAlgError):
            fit = None
    bad = [w for w in caught if issubclass(w.category, (PerfectSeparationWarning,
                                                         ConvergenceWarning))]
    if fit is None or bad:
        raise AnalysisError("The propensity-score model could not be fitted on this "
                            "selection (a covariate may separate the groups perfectly). "
                            + advice)
    ps = np.asarray(fit.fittedvalues, dtype=float)
    if np.any(ps <= 1e-12) or np.any(ps >= 1 - 1e-12):
        raise AnalysisError("Some propensity scores are 0 or 1 (the groups do not overlap). "
                            + advice)
    return ps


def _covariate_columns(md) -> tuple[np.ndarray, list[str]]:
    """The covariate design columns (no intercept, no group), aliased ones left out."""
    design = md.design()
    X = np.asarray(design.matrix(), dtype=float)
    names = list(design.column_names())
    if X.shape[1] <= 2:
        raise AnalysisError("Propensity-score weighting needs at least one covariate; "
                            "choose covariates.")
    keep = full_rank_columns(np.column_stack([X[:, 0], X[:, 2:]]), required=1)[1:] + 1
    return X[:, keep], [names[j] for j in keep]


def propensity_weighted(data: pd.DataFrame, dv: str, *,
                        covar: Sequence[str] | str | None = None,
                        weights: str = "proportional", alpha: float = 0.05,
                        trim: float | None = None, adjust: bool = True,
                        min_group_n: int | None = None) -> PropensityResult:
    """Spotty - none difference in the propensity-score weighted sample (module docstring).

    Parameters
    ----------
    data : DataFrame
    dv : str
        Numeric outcome.
    covar : sequence of str, optional
        Covariates of the propensity model (and of the outcome model when ``adjust``);
        default :func:`analysis.data.schema.default_covariates` of ``dv``.
    weights : {"proportional", "equal"}
        LS-mean weighting (the difference of a main-effects model does not depend on it).
    alpha : float
    trim : float, optional
        Percent of the weights truncated at each end; default
        ``settings.current().ps_trim`` (``EXPLORER_PS_TRIM``, 1 = 1st / 99th percentiles).
    adjust : bool
        Keep the covariates in the weighted outcome model (default) or fit the group alone.
    min_group_n : int, optional

    Returns
    -------
    PropensityResult
    """
    trim = _check_trim(settings.current().ps_trim if trim is None else trim)
    md, _ = model_data(data, dv, covar, weights=weights, alpha=alpha, min_group_n=min_group_n)
    treated = np.asarray(md.focal.codes, dtype=int)  # 0 = none, 1 = spotty
    Z, z_names = _covariate_columns(md)
    ps = _propensity(Z, treated)  # before the outcome design, which would drop a separator
    X, c, cols, notes = design_and_contrast(md, weights)
    raw = stabilised_weights(treated, ps)
    w, lo, hi = truncate(raw, trim)
    n_clipped = int(np.sum((raw < lo) | (raw > hi)))
    Xo, co = (X, c) if adjust else (X[:, :2], c[:2])
    res = sm.WLS(md.y, Xo, weights=w).fit(cov_type="HC0", use_t=True)
    tt = res.t_test(co[None, :])
    ci = np.asarray(tt.conf_int(alpha=alpha))[0]
    ess = float(np.sum(w) ** 2 / np.sum(w * w))
    summary = pd.DataFrame([
        ("propensity score min (none)", float(ps[treated == 0].min())),
        ("propensity score max (none)", float(ps[treated == 0].max())),
        ("propensity score min (spotty)", float(ps[treated == 1].min())),
        ("propensity score max (spotty)", float(ps[treated == 1].max())),
        ("weight min before truncation", float(raw.min())),
        ("weight max before truncation", float(raw.max())),
        ("truncation lower bound", lo), ("truncation upper bound", hi),
        ("weights truncated", float(n_clipped)), ("effective sample size", ess),
    ], columns=["statistic", "value"])
    covs = covariate_names(md)
    trimmed = (f"truncated at percentiles {trim:g} and {100 - trim:g} "
               f"({n_clipped} weights)" if trim else "not truncated")
    outcome = (f"{dv} ~ calcification + {' + '.join(covs)}" if adjust
               else f"{dv} ~ calcification")
    method = (f"Propensity-score weighting: logistic model (GLM binomial) of spotty vs none "
              f"on {covariate_text(covs)}; stabilised ATE weights {trimmed}; weighted least "
              f"squares {outcome} with HC0 robust SE; {weighting_text(weights)}; n = {md.n} "
              f"(effective n = {ess:.0f})")
    notes = [*md.notes, *notes, "The HC0 standard error treats the weights as known (the "
             "propensity model's uncertainty is not propagated)."]
    return PropensityResult(
        analysis=ANALYSIS, estimate=float(np.ravel(tt.effect)[0]),
        se=float(np.ravel(tt.sd)[0]), ci_low=float(ci[0]), ci_high=float(ci[1]),
        p=float(np.ravel(tt.pvalue)[0]), test=TEST, df=float(res.df_resid), n=md.n,
        method=method, notes=tuple(notes), covariates=covs, dv=dv, weights=weights,
        alpha=float(alpha), balance=balance_table(Z, z_names, treated, w),
        weight_summary=summary, trim=trim)
