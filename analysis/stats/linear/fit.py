"""The statsmodels OLS fit of a NumPy design, with the BLAS threads capped.

:func:`fit` hands the design of :class:`~analysis.stats.linear.columns.ModelData` to
``statsmodels.api.OLS(...).fit(method="qr")``; LS means, contrasts and tests then come
from the fitted results (``t_test``, ``f_test``, ``compare_f_test``).

Rows are reduced first, without changing any estimate: the ``R`` factor of the QR
decomposition of ``[X | y]`` (computed by LAPACK's ``dgeqrf`` over blocks of rows,
each block stacked under the ``R`` so far) is an orthogonal rotation ``Q'[X | y]`` of
the data with its zero rows left out, and least squares is invariant under such a
rotation. statsmodels therefore fits ``y_r = R[:, p]`` on ``X_r = R[:, :p]`` (``p + 1``
rows) and returns the coefficients, ``(X'X)^-1``, residual sum of squares, standard
errors, t- and F-tests of the full data, once its residual degrees of freedom are set
to ``n - p``. Why: statsmodels' ``fit(method="qr")`` also computes the pseudo-inverse
of the whole design (an SVD), so a direct fit of a million rows takes seconds where the
blocked reduction takes a tenth of one (benchmarks/bench_models.py). Quantities that
need the rows (residuals, R², influence) are computed from the full design with the
fitted coefficients (:class:`Fit`, :mod:`analysis.stats.linear.diagnostics`).

Judgement call. The model core was to be ``sm.OLS(y, X).fit()`` on the design; it is
statsmodels OLS on the design *reduced to its R factor*, at every n (one code path, so
the small cohorts test the path the large ones take). Same: coefficients,
``cov_params``, standard errors, ``ssr``, ``scale``, residual df and every ``t_test`` /
``f_test`` / ``compare_f_test`` (``tests/unit/stats/linear/test_fit.py`` compares them
with ``sm.OLS(y, X).fit()`` on all rows, to 1e-10). Different: the statsmodels
results object has ``p + 1`` rows, so its ``nobs``, ``resid``, ``rsquared``,
likelihood and ``get_influence()`` are not the data's; nothing here reads them (R²,
residuals, leverage and Cook's distance come from :class:`Fit` and
:mod:`analysis.stats.linear.diagnostics` on all rows). Why: on a 13-column design a
direct ``fit(method="qr")`` took 0.29 s at 100,000 rows and 4.3 s at 1,000,000, the
reduction and fit 0.025 s and 0.13 s (one run on a busy shared machine, BLAS capped at
one thread; the pseudo-inverse default took 0.14 s and 3.0 s). The same identity lets
other models reuse a fit instead of passing over the rows again: a model whose
columns are linear combinations of ``[X | y]``'s has the R factor of ``R T``
(the dose-response trend, the subgroup interaction models).

BLAS threads are capped (:func:`blas_limit`, threadpoolctl) while a model is fitted:
OpenBLAS otherwise splits each small product over every core, and on a machine whose
cores are busy the threads wait for each other far longer than the work takes.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.linalg import lapack
from threadpoolctl import ThreadpoolController

from analysis.errors import AnalysisError
from analysis.stats.linear.columns import ModelData
from analysis.stats.linear.describe import COEF_TEST
from analysis.stats.linear.design import Design, Term

#: BLAS threads while a model is fitted (see the module docstring).
BLAS_THREADS = 1
#: Rows per block of the R-factor reduction: a block of ~20 columns stays in cache.
BLOCK_ROWS = 4096


@functools.cache
def _controller() -> ThreadpoolController:
    # inspecting the loaded libraries takes milliseconds: once per process
    return ThreadpoolController()


def blas_limit():
    """Context manager capping the BLAS threads at :data:`BLAS_THREADS` (threadpoolctl)."""
    return _controller().limit(limits=BLAS_THREADS, user_api="blas")


def r_factor(*columns: np.ndarray) -> np.ndarray:
    """The ``R`` of the QR decomposition of the columns side by side, by blocks of rows.

    ``columns`` are 2-D blocks of columns or 1-D columns with the same rows (e.g.
    ``r_factor(X, y)`` for ``[X | y]``; nothing is copied side by side). Each block of
    rows is stacked under the ``R`` so far and factorised again by LAPACK ``dgeqrf``
    (scipy's binding, the routine ``numpy.linalg.qr`` calls, without numpy's copies and
    checks per block: half the time at a million rows); the result equals the ``R`` of
    all rows up to the signs of its rows (which least squares does not see).
    """
    parts = [c[:, None] if c.ndim == 1 else c for c in columns]
    n = parts[0].shape[0]
    widths = np.cumsum([0] + [c.shape[1] for c in parts])
    q = int(widths[-1])
    block = np.empty((q + BLOCK_ROWS, q), order="F")
    top = 0
    for start in range(0, n, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, n)
        m = top + stop - start
        for c, a, b in zip(parts, widths[:-1], widths[1:], strict=True):
            block[top:m, a:b] = c[start:stop]
        factored, _tau, _work, info = lapack.dgeqrf(block[:m])
        if info != 0:  # only for invalid arguments, which the shapes above rule out
            raise RuntimeError(f"LAPACK dgeqrf failed (info = {info})")
        top = min(m, q)
        block[:top] = np.triu(factored[:top])
    return np.array(block[:top])


def column_rank(R: np.ndarray) -> int:
    """Rank of a (small) matrix, NumPy's default tolerance; 0 with no columns."""
    return int(np.linalg.matrix_rank(R)) if R.shape[1] else 0


def ols(r_aug: np.ndarray, n: int):
    """statsmodels OLS results of the data whose ``[X | y]`` has the R factor ``r_aug``.

    ``n`` is the number of rows; the residual df is ``n - p``. Use the coefficients,
    covariance, ``ssr``, ``scale``, ``t_test``, ``f_test`` and ``compare_f_test`` of
    the result; its ``nobs`` and the statistics built on it (R², likelihood) describe
    the reduced rows, not the data (:class:`Fit` has R² of the data).
    """
    p = r_aug.shape[1] - 1
    model = sm.OLS(r_aug[:, p], r_aug[:, :p], hasconst=True)
    model.df_resid = float(n - p)
    model.df_model = float(p - 1)
    return model.fit(method="qr")


@dataclass(frozen=True, eq=False)
class Fit:
    """An OLS fit of a :class:`Design`: the statsmodels results and the data.

    Attributes
    ----------
    design : Design
    y : ndarray
    results : statsmodels RegressionResults
        Of the reduced rows (see the module docstring); ``t_test``/``f_test`` as usual.
    tss : float
        Centred total sum of squares of ``y``.
    r_aug : ndarray
        The R factor of ``[X | y]`` (what statsmodels fitted).
    """

    design: Design
    y: np.ndarray
    results: object
    tss: float
    r_aug: np.ndarray

    @property
    def params(self) -> np.ndarray:
        return np.asarray(self.results.params)

    @property
    def cov(self) -> np.ndarray:
        """``scale * (X'X)^-1``."""
        return np.asarray(self.results.cov_params())

    @property
    def xtx_inv(self) -> np.ndarray:
        return np.asarray(self.results.normalized_cov_params)

    @property
    def df_resid(self) -> float:
        return float(self.results.df_resid)

    @property
    def scale(self) -> float:
        return float(self.results.scale)

    @property
    def ssr(self) -> float:
        return float(self.results.ssr)

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def rsquared(self) -> float:
        return 1.0 - self.ssr / self.tss

    @property
    def rsquared_adj(self) -> float:
        # statsmodels: 1 - (nobs - k_constant) / df_resid * (1 - R²), one constant
        return 1.0 - (self.n - 1.0) / self.df_resid * (1.0 - self.rsquared)

    @functools.cached_property
    def resid(self) -> np.ndarray:
        """Residuals ``y - X b`` of the data (computed on first use)."""
        with blas_limit():
            return self.y - self.design.matrix() @ self.params


def _centred_ss(y: np.ndarray) -> float:
    d = y - y.mean()
    return float(np.einsum("i,i->", d, d))


def _term_blocks(design: Design) -> tuple[int, list[tuple[Term, list[int]]]]:
    """Columns of the focal/modifier part and ``(term, columns)`` of each covariate."""
    n_base = len(design.column_names()) - sum(len(t.column_names()) for t in design.covariates)
    blocks, start = [], n_base
    for term in design.covariates:
        k = len(term.column_names())
        blocks.append((term, list(range(start, start + k))))
        start += k
    return n_base, blocks


def _drop_aliased(data: ModelData, r_aug: np.ndarray) -> tuple[ModelData, np.ndarray]:
    """Covariates aliased with earlier terms dropped (and named); the reduced R.

    The R factor of a subset of the columns is that of the same columns of ``r_aug``
    (``X[:, s] = Q R[:, s]``), so no pass over the rows is needed.
    """
    design = data.design()
    n_base, blocks = _term_blocks(design)
    current = list(range(n_base))
    if column_rank(np.linalg.qr(r_aug[:, current], mode="r")) < n_base:
        where = data.focal.name if data.modifier is None else \
            f"{data.focal.name} x {data.modifier.name}"
        raise AnalysisError(f"Some {where} combinations have no patients in this selection, "
                            "so the model cannot be estimated. Widen the filters.")
    kept: list[Term] = []
    dropped, notes = list(data.dropped), list(data.notes)
    for term, cols in blocks:
        trial = current + cols
        if column_rank(np.linalg.qr(r_aug[:, trial], mode="r")) == len(trial):
            kept.append(term)
            current = trial
        else:
            reason = f"{term.name}: aliased with other model terms in the selection"
            dropped.append(reason)
            notes.append(f"Covariate {reason}; left out of the model.")
    reduced = np.linalg.qr(r_aug[:, current + [r_aug.shape[1] - 1]], mode="r")
    return (ModelData(data.y, data.focal, tuple(kept), data.modifier, tuple(dropped),
                      data.excluded, tuple(notes), data.rows), reduced)


def fit(data: ModelData) -> tuple[Fit, ModelData]:
    """statsmodels OLS fit of the model data; aliased covariates dropped and reported.

    Returns the fit and the (possibly reduced) model data.

    Raises
    ------
    AnalysisError
        Fewer rows than coefficients, or focal (x modifier) cells with no patients.
    """
    design = data.design()
    X = design.matrix()
    if X.shape[0] <= X.shape[1]:
        raise AnalysisError(f"{X.shape[0]} patients are too few for {X.shape[1]} model "
                            "coefficients; widen the filters or use fewer covariates.")
    with blas_limit():
        r_aug = r_factor(X, data.y)
        p = X.shape[1]
        if column_rank(r_aug[:p, :p]) < p:
            data, r_aug = _drop_aliased(data, r_aug)
            design = data.design()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a zero residual on tiny data
            results = ols(r_aug, data.n)
    return Fit(design, data.y, results, _centred_ss(data.y), r_aug), data


# --- linear combinations of the coefficients ------------------------------------------
@dataclass(frozen=True)
class Estimates:
    """``L @ beta`` with SE, t, two-sided p and t-based CI (residual df)."""

    estimate: np.ndarray
    se: np.ndarray
    t: np.ndarray
    p: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    df: float


def estimates(f: Fit, L: np.ndarray, alpha: float = 0.05) -> Estimates:
    """t-tests and (1 - alpha) CIs of the rows of ``L`` (statsmodels ``t_test``)."""
    test = f.results.t_test(np.atleast_2d(L))
    ci = np.asarray(test.conf_int(alpha=alpha))
    return Estimates(np.ravel(test.effect), np.ravel(test.sd), np.ravel(test.tvalue),
                     np.ravel(test.pvalue), ci[:, 0], ci[:, 1], float(test.df_denom))


def selector(columns: Sequence[int], p: int) -> np.ndarray:
    """Rows of the identity picking ``columns`` out of ``p`` coefficients."""
    R = np.zeros((len(columns), p))
    R[np.arange(len(columns)), list(columns)] = 1.0
    return R


def coefficient_table(f: Fit, alpha: float) -> pd.DataFrame:
    """``term, estimate, se, t, p, ci_low, ci_high, test`` of a fit."""
    p = len(f.params)
    est = estimates(f, np.eye(p), alpha)
    return pd.DataFrame({
        "term": f.design.column_names(), "estimate": est.estimate, "se": est.se,
        "t": est.t, "p": est.p, "ci_low": est.ci_low, "ci_high": est.ci_high,
        "test": [COEF_TEST] * p,
    })
