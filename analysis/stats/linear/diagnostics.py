"""Model diagnostics of an OLS fit: residuals, normality, heteroscedasticity, slopes,
influence.

Every test is statsmodels': Jarque-Bera (``stats.stattools.jarque_bera``), Koenker's
studentised Breusch-Pagan (the auxiliary regression of ``het_breuschpagan``, fitted by
:func:`analysis.stats.linear.fit.ols`), homogeneity of slopes (``compare_f_test`` of the
models with and without the focal x baseline products); Cook's distance is
``OLSResults.get_influence().cooks_distance`` written out (:func:`cooks_distance`).

Undefined Cook's distance: a patient with leverage 1 (e.g. the only patient of a trial
level) is fitted exactly, whatever their outcome, so their Cook's distance is 0/0.
R's ``cooks.distance`` reports NaN (or Inf) there; statsmodels returns rounding noise
or inf. Here it is NaN, left out of the maximum and of the count of influential
patients, and the note says how many patients it concerns. Leverage counts as 1 within
:data:`LEVERAGE_ONE_TOL` (R's ``lm.influence`` uses ``10 * .Machine$double.eps`` on its
QR-based hat values; the tolerance here is looser, for the rounding of
``X R^-1`` over many rows).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from scipy.linalg import solve_triangular
from statsmodels.stats.stattools import jarque_bera

from analysis.stats.linear.columns import ModelData
from analysis.stats.linear.design import NumericTerm
from analysis.stats.linear.fit import Fit, blas_limit, column_rank, ols, r_factor

#: Leverage within this of 1 is taken as 1 (Cook's distance undefined).
LEVERAGE_ONE_TOL = 1e-10

COLUMNS = ["statistic", "value", "note"]
CHUNK_ROWS = 32768


def leverage(f: Fit) -> np.ndarray:
    """Diagonal of the hat matrix, ``h_i = ||R^-T x_i||²`` with ``R`` the fit's R factor."""
    X = f.design.matrix()
    p = X.shape[1]
    r_inv = solve_triangular(f.r_aug[:p, :p], np.eye(p))
    h = np.empty(X.shape[0])
    for start in range(0, len(h), CHUNK_ROWS):  # a chunk at a time stays in cache
        B = X[start:start + CHUNK_ROWS] @ r_inv
        h[start:start + CHUNK_ROWS] = np.einsum("ij,ij->i", B, B)
    return h


def cooks_distance(f: Fit) -> tuple[np.ndarray, int]:
    """Cook's distance per patient (NaN where the leverage is 1) and that NaN count.

    ``D_i = e_i² h_i / (p s² (1 - h_i)²)``: statsmodels
    ``OLSResults.get_influence().cooks_distance[0]`` (Eubank p. 93), written out
    because ``get_influence`` also computes an n x p pseudo-inverse and an F p-value
    per patient (seconds at a million rows); the tests check it against statsmodels.
    """
    h = leverage(f)
    one = h > 1.0 - LEVERAGE_ONE_TOL
    e = np.asarray(f.resid)
    with np.errstate(divide="ignore", invalid="ignore"):
        cooks = e * e * h / (len(f.params) * f.scale * (1.0 - h) ** 2)
    cooks[one] = np.nan
    return cooks, int(one.sum())


def auxiliary_factor(f: Fit, prod: np.ndarray | None) -> np.ndarray:
    """R factor of ``[X | prod | y | e²]`` (``prod`` may be None): one pass over the rows
    for both auxiliary models, each of which takes the R factor of its own columns."""
    X = f.design.matrix()
    e2 = np.asarray(f.resid) ** 2
    return r_factor(X, prod, f.y, e2) if prod is not None else r_factor(X, f.y, e2)


def _columns_factor(r_wide: np.ndarray, columns: list[int]) -> np.ndarray:
    """R factor of some columns, from the R factor of all of them (``X[:, s] = Q R[:, s]``)."""
    return np.linalg.qr(r_wide[:, columns], mode="r")


def breusch_pagan(f: Fit, r_wide: np.ndarray) -> tuple[float, float, int]:
    """Koenker's studentised Breusch-Pagan test on the model terms: (LM, p, df).

    statsmodels ``het_breuschpagan(resid, X)`` (robust): LM = n R² of the squared
    residuals regressed on the design, chi-square with p - 1 df. ``r_wide`` is
    :func:`auxiliary_factor` (squared residuals last).
    """
    p = f.design.matrix().shape[1]
    aux = ols(_columns_factor(r_wide, [*range(p), r_wide.shape[1] - 1]), f.n)
    e2 = np.asarray(f.resid) ** 2
    d = e2 - e2.mean()
    lm = f.n * (1.0 - float(aux.ssr) / float(np.einsum("i,i->", d, d)))
    return lm, float(stats.chi2.sf(lm, p - 1)), p - 1


def slopes_test(f: Fit, r_wide: np.ndarray) -> tuple[float, float, int, float]:
    """F-test of adding the focal x baseline products to the model: (F, p, df1, df2).

    ``r_wide`` is :func:`auxiliary_factor` with the products. NaN when the products
    are aliased with the model (e.g. the baseline constant within a group).
    """
    k = r_wide.shape[1] - 2  # X and the products; then y, e²
    r_aug = _columns_factor(r_wide, list(range(k + 1)))
    if column_rank(r_aug[:k, :k]) < k:
        nan = float("nan")
        return nan, nan, 0, nan
    wider = ols(r_aug, f.n)
    F, p, q = wider.compare_f_test(f.results)
    return float(F), float(p), int(q), float(wider.df_resid)


def _residual_rows(f: Fit) -> list[tuple[str, float, str]]:
    r = np.asarray(f.resid)
    q = np.quantile(r, [0.0, 0.25, 0.5, 0.75, 1.0])
    jb, jb_p, skew, kurt = jarque_bera(r)
    return [
        ("residual SD", float(np.sqrt(f.scale)), f"root mean squared error, df = {f.df_resid:g}"),
        ("residual min", float(q[0]), ""), ("residual Q1", float(q[1]), ""),
        ("residual median", float(q[2]), ""), ("residual Q3", float(q[3]), ""),
        ("residual max", float(q[4]), ""),
        ("R²", f.rsquared, ""), ("adjusted R²", f.rsquared_adj, ""),
        ("residual skewness", float(skew), "0 for a normal distribution"),
        ("residual kurtosis", float(kurt), "Pearson kurtosis; 3 for a normal distribution"),
        ("normality p", float(jb_p), f"Jarque-Bera test of residual normality (JB = {jb:.3g})"),
    ]


def _influence_rows(f: Fit) -> list[tuple[str, float, str]]:
    cooks, n_undefined = cooks_distance(f)
    defined = cooks[~np.isnan(cooks)]
    n = f.n
    extra = ""
    if n_undefined:
        extra = (f"; undefined (leverage 1, e.g. alone in a factor level) for {n_undefined} "
                 f"patient{'s' if n_undefined > 1 else ''}, left out")
    return [
        ("max Cook's distance", float(defined.max()) if defined.size else float("nan"),
         "largest influence of one patient" + extra),
        ("n influential", float(np.sum(defined > 4.0 / n)),
         "patients with Cook's distance > 4/n" + extra),
    ]


def diagnostics_table(f: Fit, data: ModelData, slope_covariate: str | None) -> pd.DataFrame:
    """Residual summary, fit, normality, heteroscedasticity, slopes, influence.

    The two auxiliary regressions (squared residuals on the design; the model with
    the focal x ``slope_covariate`` products) share one pass over the rows. Returns
    ``statistic, value, note`` rows.
    """
    with blas_limit(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # leverage 1: handled, see above
        rows = _residual_rows(f)
        term = next((t for t in data.covariates
                     if isinstance(t, NumericTerm) and t.name == slope_covariate), None)
        prod = None if term is None else data.focal.dummies() * term.values[:, None]
        r_wide = auxiliary_factor(f, prod)
        lm, lm_p, lm_df = breusch_pagan(f, r_wide)
        rows.append(("heteroscedasticity p", lm_p,
                     f"Breusch-Pagan test, studentised (Koenker), on the model terms "
                     f"(LM = {lm:.3g}, df = {lm_df})"))
        if term is None:
            rows.append(("homogeneity of slopes p", float("nan"),
                         f"not tested: {slope_covariate or 'no baseline covariate'} "
                         "is not a numeric covariate of this model"))
        else:
            F, p_slopes, q_extra, df_f = slopes_test(f, r_wide)
            rows.append(("homogeneity of slopes p", p_slopes,
                         f"F-test comparing models with and without the {data.focal.name} x "
                         f"{term.name} interaction (F = {F:.3g}, df = {q_extra}, {df_f:g})"))
        rows += _influence_rows(f)
    return pd.DataFrame(rows, columns=COLUMNS)


def empty_diagnostics() -> pd.DataFrame:
    """The diagnostics frame when diagnostics were not requested."""
    return pd.DataFrame({"statistic": pd.Series(dtype="str"),
                         "value": pd.Series(dtype=float),
                         "note": pd.Series(dtype="str")})
