"""The statsmodels fit on the R-factor reduction, against statsmodels on all rows.

References: ``statsmodels.api.OLS(y, X).fit()`` on the full design (the fit the
reduction must reproduce), ``numpy.linalg.qr`` of all rows at once, and
threadpoolctl's own report of the BLAS threads.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from threadpoolctl import threadpool_info

from analysis.stats.linear import fit as fit_module
from analysis.stats.linear.fit import BLOCK_ROWS, blas_limit, ols, r_factor


@pytest.fixture(scope="module")
def design():
    """3 blocks and a short one of rows: intercept, a binary and two numeric columns."""
    rng = np.random.default_rng(7)
    n = 3 * BLOCK_ROWS + 17
    X = np.column_stack([np.ones(n), rng.random(n) < 0.3, rng.normal(50, 10, n),
                         rng.normal(0, 1, n)]).astype(float)
    y = X @ np.array([1.0, -0.7, 0.05, 2.0]) + rng.normal(0, 1.5, n)
    return X, y


def test_r_factor_equals_numpy_qr_up_to_row_signs(design):
    X, y = design
    R = r_factor(X, y)
    # reference: numpy's QR of all rows at once
    ref = np.linalg.qr(np.column_stack([X, y]), mode="r")
    signs = np.sign(np.diag(R)) * np.sign(np.diag(ref))
    np.testing.assert_allclose(R * signs[:, None], ref, rtol=1e-10, atol=1e-8)


def test_reduced_fit_equals_statsmodels_on_all_rows(design):
    X, y = design
    res = ols(r_factor(X, y), len(y))
    ref = sm.OLS(y, X).fit()  # reference: statsmodels on the full design
    np.testing.assert_allclose(res.params, ref.params, rtol=1e-10)
    np.testing.assert_allclose(res.bse, ref.bse, rtol=1e-10)
    assert res.df_resid == ref.df_resid
    assert res.ssr == pytest.approx(ref.ssr, rel=1e-10)
    L = np.array([[0.0, 1.0, -1.0, 0.0], [1.0, 0.0, 50.0, 0.0]])
    np.testing.assert_allclose(res.t_test(L).pvalue, ref.t_test(L).pvalue, rtol=1e-8)
    R = np.eye(4)[1:3]
    assert float(res.f_test(R).pvalue) == pytest.approx(float(ref.f_test(R).pvalue), rel=1e-8)


def test_blas_threads_capped_inside_the_limit():
    with blas_limit():
        blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
        # reference: threadpoolctl's report of the loaded BLAS libraries
        assert blas and all(i["num_threads"] == fit_module.BLAS_THREADS for i in blas)
