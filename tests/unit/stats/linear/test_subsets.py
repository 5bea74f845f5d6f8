"""Level R factors from cell sums, against numpy's QR of the level's own rows."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.stats.linear.fit import r_factor
from analysis.stats.linear.subsets import SubsetFactors


@pytest.fixture(scope="module")
def rows():
    rng = np.random.default_rng(11)
    n = 5000
    a = rng.integers(-1, 3, n)  # three levels and missing
    b = rng.integers(0, 2, n)
    X = np.column_stack([np.ones(n), rng.random(n) < 0.5, rng.normal(50, 10, n),
                         b.astype(float)])
    y = X @ np.array([0.5, 0.4, 0.02, -0.3]) + rng.normal(0, 2, n)
    return X, y, a, b


def _gram(M):
    return M.T @ M


@pytest.mark.parametrize("level", [0, 1, 2])
def test_level_factor_has_the_level_rows_cross_products(rows, level):
    X, y, a, b = rows
    shared = SubsetFactors(X, y, r_factor(X, y), [a, b])
    columns = [0, 1, 2, 4]  # leave column 3 out; 4 is y
    M, n, conditioned = shared.level_factor(0, level, columns)
    Z = np.column_stack([X, y])[a == level][:, columns]
    # reference: numpy's QR of the level's own rows (same cross-products R'R)
    ref = np.linalg.qr(Z, mode="r")
    assert n == len(Z) and conditioned
    np.testing.assert_allclose(_gram(M), _gram(ref), rtol=1e-11, atol=1e-9)


def test_constant_column_within_a_level_is_flagged(rows):
    X, y, a, b = rows
    shared = SubsetFactors(X, y, r_factor(X, y), [a, b])
    # column 3 is b itself: constant (1) on the rows with b == 1, aliased with the intercept
    M, n, conditioned = shared.level_factor(1, 1, [0, 1, 2, 3, 4])
    assert not conditioned
    Z = np.column_stack([X, y])[b == 1]
    # reference: the cross-products of the level's rows still match
    np.testing.assert_allclose(_gram(M), Z.T @ Z, rtol=1e-9, atol=1e-6)
    assert shared.level_factor(0, 7, [0, 4]) is None  # a level with no rows
