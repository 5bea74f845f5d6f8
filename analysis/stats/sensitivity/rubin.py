"""Rubin's rules for pooling one estimate over multiple imputations.

With ``m`` imputations giving estimates ``q_i`` and squared standard errors ``u_i``
(Rubin 1987; van Buuren, *Flexible Imputation of Missing Data*, 2nd ed., section 2.3):

* pooled estimate ``q = mean(q_i)``;
* within-imputation variance ``W = mean(u_i)``;
* between-imputation variance ``B = sum((q_i - q)²) / (m - 1)``;
* total variance ``T = W + (1 + 1/m) B``;
* ``lambda = (1 + 1/m) B / T`` (proportion of variance due to missingness),
  ``r = (1 + 1/m) B / W`` (relative increase in variance);
* Barnard & Rubin (1999) degrees of freedom, with ``nu_com`` the complete-data df:
  ``nu_old = (m - 1) / lambda²``, ``nu_obs = (nu_com + 1) / (nu_com + 3) * nu_com * (1 - lambda)``,
  ``nu = nu_old nu_obs / (nu_old + nu_obs)`` (``nu = nu_obs`` when ``B = 0``);
* fraction of missing information ``fmi = (r + 2 / (nu + 3)) / (r + 1)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.errors import AnalysisError


@dataclass(frozen=True)
class Pooled:
    """Rubin's-rules pooled estimate (see the module docstring for each quantity)."""

    estimate: float
    se: float
    df: float
    within: float
    between: float
    total: float
    riv: float
    lambda_: float
    fmi: float
    m: int


def barnard_rubin_df(lambda_: float, m: int, df_complete: float) -> float:
    """Barnard-Rubin small-sample degrees of freedom (module docstring)."""
    nu_obs = (df_complete + 1.0) / (df_complete + 3.0) * df_complete * (1.0 - lambda_)
    if lambda_ == 0.0:
        return float(nu_obs)
    nu_old = (m - 1.0) / lambda_ ** 2
    return float(nu_old * nu_obs / (nu_old + nu_obs))


def pool(estimates: np.ndarray, variances: np.ndarray, df_complete: float) -> Pooled:
    """Pool ``m`` estimates and their squared SEs by Rubin's rules.

    Parameters
    ----------
    estimates, variances : array of shape (m,)
        Per-imputation estimate and squared standard error.
    df_complete : float
        Residual degrees of freedom of the complete-data analysis (``inf`` for a z-test).

    Returns
    -------
    Pooled
    """
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    m = len(q)
    if m < 2 or u.shape != q.shape:
        raise AnalysisError("Pooling needs at least 2 imputations, each with an estimate and "
                            "a variance.")
    if not (np.all(np.isfinite(q)) and np.all(np.isfinite(u)) and np.all(u >= 0)):
        raise AnalysisError("An imputed analysis gave no finite estimate or variance; "
                            "check the selection.")
    qbar = float(q.mean())
    W = float(u.mean())
    B = float(np.sum((q - qbar) ** 2) / (m - 1))
    T = W + (1.0 + 1.0 / m) * B
    lam = (1.0 + 1.0 / m) * B / T if T > 0 else 0.0
    riv = (1.0 + 1.0 / m) * B / W if W > 0 else float("inf")
    if np.isinf(df_complete):
        df = float("inf") if lam == 0.0 else (m - 1.0) / lam ** 2
    else:
        df = barnard_rubin_df(lam, m, float(df_complete))
    fmi = (riv + 2.0 / (df + 3.0)) / (riv + 1.0) if np.isfinite(riv) else 1.0
    return Pooled(estimate=qbar, se=float(np.sqrt(T)), df=df, within=W, between=B, total=T,
                  riv=float(riv), lambda_=float(lam), fmi=float(fmi), m=m)
