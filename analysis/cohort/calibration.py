"""Population calibration of PAV change, and the default adjustment model it is judged by.

The published ΔPAV numbers are LS means ± SE of the default adjustment model
(OLS ``delta_pav ~ group + pav_baseline + trial + age + sex + diabetes + prior_mi +
hdl_c``, proportional weights). The generator's PAV change is
``struct + c_group + sigma x noise`` (``draw.delta_struct``); this module solves the
*population* constants ``c_none``, ``c_spotty`` and ``sigma`` once per parameter set on
a large fixed draw (``dpav_calibration_n`` patients at ``dpav_calibration_seed``, in
the published 922 : 425 proportion), so that the population LS means are +0.02 / +0.43
and the population residual SD is ``dpav_residual_sd``. Samples are never shifted or
scaled afterwards: at any seed their LS means vary by about their SEs.

Why a group constant works: the spotty indicator is in the model, so adding a constant
to one group's outcome moves that group's LS mean by exactly that constant and nothing
else; the noise is independent of everything, so it adds its variance to the residual.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import statsmodels.api as sm

from analysis.cohort.draw import NONE, SPOTTY, State, delta_struct, draw_group
from analysis.cohort.moments import SimulationError
from analysis.cohort.params import SimulationParams
from analysis.stats.linear.fit import blas_limit


def default_design(states: list[State], n_trials: int) -> np.ndarray:
    """Design rows of the default adjustment model for the ``states`` (none, spotty).

    Columns: intercept, spotty indicator, baseline PAV, trial dummies (first trial the
    reference), age, male, diabetes, prior MI, HDL-C.
    """
    blocks = []
    for g, st in zip((NONE, SPOTTY), states, strict=True):
        n = st["n"]
        X = np.empty((n, 3 + (n_trials - 1) + 5))
        X[:, 0] = 1.0
        X[:, 1] = float(g == SPOTTY)
        X[:, 2] = st["pav"]
        for t in range(1, n_trials):
            X[:, 2 + t] = st["trial"] == t
        for j, name in enumerate(("age", "male", "diabetes", "prior_mi", "hdl"),
                                 start=2 + n_trials):
            X[:, j] = st[name]
        blocks.append(X)
    return np.vstack(blocks)


@dataclass(frozen=True)
class LsFit:
    """Least-squares fit of the default model: LS means (none, spotty) and their SEs."""

    beta: np.ndarray
    ls_mean: tuple[float, float]
    ls_se: tuple[float, float]
    diff_se: float
    sigma: float
    df: int


def ls_fit(X: np.ndarray, y: np.ndarray, group_col: int = 1) -> LsFit:
    """OLS (statsmodels, QR); LS means with proportional weights (the mean design row).

    Parameters
    ----------
    X : numpy.ndarray
        Full-rank design matrix; column ``group_col`` is the spotty indicator.
    y : numpy.ndarray
        Outcome.

    Raises
    ------
    SimulationError
        If the design is rank deficient (a trial with no patients, say).
    """
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise SimulationError("The adjustment model cannot be fitted (a trial or covariate "
                              "level has no patients); use a larger n.")
    with blas_limit():
        res = sm.OLS(y, X).fit(method="qr")
    means, ses = [], []
    for value in (0.0, 1.0):
        L = X.mean(axis=0)
        L[group_col] = value
        est = res.t_test(L[None, :])
        means.append(float(np.squeeze(est.effect)))
        ses.append(float(np.squeeze(est.sd)))
    c = np.zeros(X.shape[1])
    c[group_col] = 1.0
    diff_se = float(np.squeeze(res.t_test(c[None, :]).sd))
    return LsFit(np.asarray(res.params), tuple(means), tuple(ses), diff_se,
                 float(np.sqrt(res.scale)), int(res.df_resid))


@lru_cache(maxsize=8)
def delta_constants(p: SimulationParams) -> tuple[float, float, float]:
    """Population ``(c_none, c_spotty, sigma)`` of PAV change (see the module docstring).

    Returns
    -------
    tuple of float
        Group constants and noise SD such that, on the calibration draw, the default
        model's LS means are ``p.dpav_ls_mean`` and its residual SD is
        ``p.dpav_residual_sd``.
    """
    share = p.n_spotty / (p.n_spotty + p.n_none)
    sizes = (int(round(p.dpav_calibration_n * (1 - share))),
             int(round(p.dpav_calibration_n * share)))
    states = [draw_group(n, g, p.dpav_calibration_seed, {}, p)
              for g, n in zip((NONE, SPOTTY), sizes, strict=True)]
    y = np.concatenate([delta_struct(st, g, p) for g, st in zip((NONE, SPOTTY), states,
                                                                 strict=True)])
    fit = ls_fit(default_design(states, len(p.trials)), y)
    # residual variance of the structure alone, on the population scale (df ~ n)
    var_struct = fit.sigma ** 2
    if var_struct >= p.dpav_residual_sd ** 2:
        raise SimulationError("The PAV-change structure alone varies more than "
                              "dpav_residual_sd allows; lower its effects.")
    sigma = float(np.sqrt(p.dpav_residual_sd ** 2 - var_struct))
    return (p.dpav_ls_mean[NONE] - fit.ls_mean[0], p.dpav_ls_mean[SPOTTY] - fit.ls_mean[1],
            sigma)


def intensive_effect(st: State, column: str, cut: float, n_trials: int,
                     delta: np.ndarray) -> float:
    """Adjusted intensive - standard difference in PAV change within one group.

    OLS of ``delta`` on ``column < cut`` and the default covariates (baseline PAV, trial,
    age, sex, diabetes, prior MI, HDL-C), the group indicator left out (constant).
    """
    X = default_design([st, st], n_trials)[: st["n"]]
    X = np.column_stack([(st[column] < cut).astype(float), np.delete(X, 1, axis=1)])
    keep = np.abs(X).sum(axis=0) > 0  # a trial absent from the group
    with blas_limit():
        return float(sm.OLS(delta, X[:, keep]).fit(method="qr").params[0])
