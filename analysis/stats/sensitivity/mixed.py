"""The adjusted comparison with trial as a random intercept (linear mixed model, REML).

statsmodels ``MixedLM`` has a known failure (statsmodels issue #10239): when the
variance component of the grouping factor falls to about zero, the fixed effects of
regressors that vary only between groups can come back exactly 0.0 while the fit
reports convergence. :func:`random_trial` checks every fit for it: a variance
component below :data:`MIN_RELATIVE_VARIANCE` (1e-6) of the residual variance, a fixed
effect exactly 0.0, fixed effects that differ from the GLS solution at the fit's own
variance estimates, no convergence, or a non-finite standard error. It then reports
the fixed-effect model (:func:`ancova` with trial as a factor) instead, saying so in
the notes.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.regression.mixed_linear_model import MixedLM

from analysis.errors import AnalysisError
from analysis.stats.sensitivity.common import (
    SensitivityResult,
    covariate_names,
    covariate_text,
    design_and_contrast,
    model_data,
    t_interval,
    weighting_text,
)
from analysis.stats.sensitivity.linear_api import ancova

ANALYSIS = "Trial as random intercept (REML)"
TEST = "Wald z-test of LS-mean difference (linear mixed model, REML)"
TRIAL = "trial"
#: Variance component / residual variance below which the fit is not trusted (#10239).
#: On a dataset with no between-trial variance, L-BFGS returns exactly 0 (and an
#: intercept of 1e-15 instead of -1.26), Powell about 1e-9 and Nelder-Mead 3e-8 of the
#: residual variance: a threshold of 1e-6 catches all three. A trial variance that
#: small is negligible (intraclass correlation below 1e-6), so nothing is lost by
#: reporting the fixed-effect model instead.
MIN_RELATIVE_VARIANCE = 1e-6


@dataclass(frozen=True)
class MixedResult(SensitivityResult):
    """:class:`SensitivityResult` of :func:`random_trial` with the variance components.

    Attributes
    ----------
    trial_variance, residual_variance : float
        REML estimates (NaN after a fall-back).
    fell_back : bool
        True when the fixed-effect model is reported instead (see the notes).
    fixed_effects : DataFrame
        ``term, estimate, se`` of the mixed model's fixed effects (empty after a
        fall-back).
    """

    trial_variance: float = float("nan")
    residual_variance: float = float("nan")
    fell_back: bool = False
    fixed_effects: pd.DataFrame | None = None


#: Optimisers tried, each from statsmodels' starting values; the converged fit with the
#: highest finite REML log-likelihood is kept. Powell with tight tolerances reaches
#: lme4's optimum on the bundled cohort (its default BFGS stops early there, and L-BFGS
#: runs to the zero-variance boundary and reports convergence).
OPTIMISERS: tuple[dict, ...] = (
    {"method": "powell", "xtol": 1e-10, "ftol": 1e-12, "maxiter": 5000},
    {"method": "nm", "xatol": 1e-10, "fatol": 1e-12, "maxiter": 5000},
)


def _fit(y: np.ndarray, X: np.ndarray, groups: np.ndarray):
    """The best REML fit over :data:`OPTIMISERS` (None if none converged)."""
    model = MixedLM(y, X, groups=groups)
    best = None
    for options in OPTIMISERS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence is judged from the results
            res = model.fit(reml=True, **options)
        if res.converged and np.isfinite(res.llf) and (best is None or res.llf > best.llf):
            best = res
    return best


def _gls_parts(X: np.ndarray, y: np.ndarray, groups: np.ndarray,
               gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """``X' V^-1 X`` and ``X' V^-1 y`` for ``V_g = I + gamma 11'`` (random intercept).

    ``V_g^-1 = I - gamma / (1 + n_g gamma) 11'``, so each group subtracts a rank-one
    term built from its column sums.
    """
    xtvx, xtvy = X.T @ X, X.T @ y
    for g in np.unique(groups):
        at = groups == g
        s, sy, k = X[at].sum(axis=0), float(y[at].sum()), int(at.sum())
        shrink = gamma / (1.0 + k * gamma)
        xtvx -= shrink * np.outer(s, s)
        xtvy -= shrink * s * sy
    return xtvx, xtvy


def gls_covariance(X: np.ndarray, groups: np.ndarray, trial_variance: float,
                   residual_variance: float) -> np.ndarray:
    """Covariance of the fixed effects, ``sigma² (X' V^-1 X)^-1``, at the variance estimates.

    ``V_g = I + gamma 11'`` with ``gamma = tau² / sigma²``. This is what lme4's ``vcov()``
    reports (statsmodels' ``cov_params()`` comes from the numerical Hessian of all
    parameters and differs from it in the fourth digit on the bundled cohort).
    """
    xtvx, _ = _gls_parts(X, np.zeros(len(X)), groups, trial_variance / residual_variance)
    return residual_variance * np.linalg.inv(xtvx)


def gls_fixed_effects(X: np.ndarray, y: np.ndarray, groups: np.ndarray,
                      trial_variance: float, residual_variance: float) -> np.ndarray:
    """``(X' V^-1 X)^-1 X' V^-1 y``: the fixed effects implied by the variance estimates."""
    xtvx, xtvy = _gls_parts(X, y, groups, trial_variance / residual_variance)
    return np.linalg.solve(xtvx, xtvy)


def unreliable_fit(res, k_fe: int, gls: np.ndarray | None = None) -> str | None:
    """Why a MixedLM fit must not be trusted, or None (the checks of the module docstring).

    ``gls``, when given, holds the fixed effects implied by the fit's own variance
    estimates (:func:`gls_fixed_effects`); fixed effects that differ from them (beyond
    1e-6 of their size plus their SE) are the zeroed estimates of issue #10239.
    """
    if res is None:
        return "no optimiser reached a converged REML fit with a finite likelihood"
    fe = np.asarray(res.fe_params, dtype=float)
    vc = float(np.asarray(res.cov_re)[0, 0])
    scale = float(res.scale)
    se = np.asarray(res.bse_fe, dtype=float)
    if not res.converged:
        return "the REML optimisation did not converge"
    if not np.isfinite(vc) or vc < MIN_RELATIVE_VARIANCE * scale:
        return (f"the between-trial variance is estimated as about zero ({vc:.3g}, "
                f"residual variance {scale:.3g}); statsmodels may then zero fixed effects "
                "(issue #10239)")
    if np.any(fe[:k_fe] == 0.0):
        return "a fixed effect came back exactly 0.0 (statsmodels issue #10239)"
    if not np.all(np.isfinite(se)):
        return "the fixed-effect standard errors are not finite"
    if gls is not None and np.any(np.abs(fe - gls) > 1e-6 * (np.abs(gls) + se)):
        return ("the fixed effects disagree with those implied by the variance estimates "
                "(statsmodels issue #10239)")
    return None


def random_trial(data: pd.DataFrame, dv: str, *, covar: Sequence[str] | str | None = None,
                 weights: str = "proportional", alpha: float = 0.05,
                 min_group_n: int | None = None) -> MixedResult:
    """Spotty - none LS-mean difference with trial as a random intercept.

    ``dv ~ calcification + covariates + (1 | trial)`` by statsmodels ``MixedLM``
    (REML; the optimisers of :data:`OPTIMISERS`); trial leaves the fixed effects (it is
    the grouping factor even when not among ``covar``; rows with a missing trial are
    excluded). The contrast ``L[spotty] - L[none]`` of the fixed-effect LS-means matrix
    is tested with a Wald z-test on the GLS covariance of the fixed effects
    (:func:`gls_covariance`, as lme4 reports it). An unreliable fit (module docstring), or
    a selection with a single trial, is replaced by the fixed-effect ANCOVA with a note.

    Parameters
    ----------
    data : DataFrame
    dv : str
        Numeric outcome.
    covar : sequence of str, optional
        Covariates; default :func:`analysis.data.schema.default_covariates` of ``dv``.
    weights : {"proportional", "equal"}
    alpha : float
    min_group_n : int, optional

    Returns
    -------
    MixedResult
    """
    md, names = model_data(data, dv, covar, weights=weights, alpha=alpha,
                           min_group_n=min_group_n, extra=(TRIAL,))
    trial = pd.Series(data[TRIAL].iloc[md.rows]).astype("str").to_numpy()
    notes = list(md.notes)
    chosen = [TRIAL] if covar is None else ([covar] if isinstance(covar, str) else list(covar))
    if TRIAL not in chosen:
        notes.append("Trial was not among the chosen covariates; it enters as the random "
                     "intercept here.")
    n_trials = len(np.unique(trial))
    if n_trials < 2:
        return _fallback(data, dv, names, weights, alpha, min_group_n, notes,
                         "only one trial is in the selection, so a between-trial variance "
                         "cannot be estimated")
    X, c, cols, more = design_and_contrast(md, weights)
    fe_cols = [j for j, n in enumerate(cols) if not n.startswith(f"{TRIAL}[")]
    X, c = X[:, fe_cols], c[fe_cols]
    try:
        res = _fit(md.y, X, trial)
        gls = None if res is None else gls_fixed_effects(
            X, md.y, trial, float(np.asarray(res.cov_re)[0, 0]), float(res.scale))
        why = unreliable_fit(res, X.shape[1], gls)
    except (np.linalg.LinAlgError, ValueError) as err:
        why = f"the mixed model could not be fitted ({type(err).__name__})"
    if why is not None:
        return _fallback(data, dv, names, weights, alpha, min_group_n, notes, why)
    notes += more
    if n_trials < 5:
        notes.append(f"Only {n_trials} trials: the between-trial variance is estimated "
                     "from few groups and is imprecise.")
    fe = np.asarray(res.fe_params, dtype=float)
    tau2, sigma2 = float(np.asarray(res.cov_re)[0, 0]), float(res.scale)
    V = gls_covariance(X, trial, tau2, sigma2)
    est = float(c @ fe)
    se = float(np.sqrt(c @ V @ c))
    lo, hi, p = t_interval(est, se, np.inf, alpha)
    covs = tuple(n for n in covariate_names(md) if n != TRIAL)
    method = (f"Linear mixed model (REML, statsmodels MixedLM) {dv} ~ calcification + "
              f"{' + '.join(covs) or '1'} + (1 | trial); covariates: {covariate_text(covs)}, "
              f"trial as a random intercept ({n_trials} trials); {weighting_text(weights)}; "
              f"n = {md.n}")
    fixed = pd.DataFrame({"term": [cols[j] for j in fe_cols], "estimate": fe,
                          "se": np.sqrt(np.diag(V))})
    return MixedResult(
        analysis=ANALYSIS, estimate=est, se=se, ci_low=lo, ci_high=hi, p=p, test=TEST,
        df=float("inf"), n=md.n, method=method, notes=tuple(notes), covariates=covs, dv=dv,
        weights=weights, alpha=float(alpha),
        trial_variance=tau2, residual_variance=sigma2,
        fell_back=False, fixed_effects=fixed)


def _fallback(data: pd.DataFrame, dv: str, names: list[str], weights: str, alpha: float,
              min_group_n: int | None, notes: list[str], why: str) -> MixedResult:
    """The fixed-effect ANCOVA (trial as a factor) in place of an unreliable mixed model."""
    covar = names if TRIAL in names else [*names, TRIAL]
    try:
        res = ancova(data, dv, covar=covar, weights=weights, alpha=alpha,
                     min_group_n=min_group_n, diagnostics=False)
    except AnalysisError as err:
        raise AnalysisError(f"The random-trial model was not reliable ({why}) and the "
                            f"fixed-effect model failed too: {err}") from None
    row = res.contrast.iloc[0]
    notes = [*notes, f"Random-intercept model not reported: {why}. The fixed-effect model "
                     "(trial as a factor) is shown instead."]
    return MixedResult(
        analysis=ANALYSIS, estimate=float(row["estimate"]), se=float(row["se"]),
        ci_low=float(row["ci_low"]), ci_high=float(row["ci_high"]), p=float(row["p"]),
        test=f"{row['test']} (fixed-effect fall-back)", df=float(row["df"]), n=int(res.n_used),
        method=f"Fall-back to the fixed-effect model: {res.method}",
        notes=tuple(notes) + tuple(n for n in res.notes if n not in notes),
        covariates=tuple(res.covariates), dv=dv, weights=weights, alpha=float(alpha),
        fell_back=True, fixed_effects=pd.DataFrame(columns=["term", "estimate", "se"]))
