"""Rubin's rules and the Barnard-Rubin df, by hand on tiny fixed imputations."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import AnalysisError
from analysis.stats.sensitivity.rubin import barnard_rubin_df, pool


def test_pool_by_hand():
    # m = 3 estimates 1, 2, 3 with squared SEs 0.5, 0.5, 0.5; complete-data df 10
    res = pool(np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.5, 0.5]), 10.0)
    # hand: qbar = 2, W = 0.5, B = (1 + 0 + 1) / 2 = 1, T = 0.5 + (4/3) * 1 = 11/6
    assert res.estimate == pytest.approx(2.0)
    assert res.within == pytest.approx(0.5)
    assert res.between == pytest.approx(1.0)
    assert res.total == pytest.approx(11 / 6)
    assert res.se == pytest.approx(np.sqrt(11 / 6))
    # lambda = (4/3) / (11/6) = 8/11; r = (4/3) / 0.5 = 8/3
    lam = 8 / 11
    assert res.lambda_ == pytest.approx(lam)
    assert res.riv == pytest.approx(8 / 3)
    # Barnard-Rubin: nu_old = 2 / lambda², nu_obs = 11/13 * 10 * (1 - lambda)
    nu_old = 2 / lam ** 2
    nu_obs = 11 / 13 * 10 * (1 - lam)
    assert res.df == pytest.approx(nu_old * nu_obs / (nu_old + nu_obs))
    # fmi = (r + 2 / (nu + 3)) / (r + 1)
    assert res.fmi == pytest.approx((8 / 3 + 2 / (res.df + 3)) / (8 / 3 + 1))


def test_identical_imputations_have_no_between_variance():
    res = pool(np.full(5, 0.4), np.full(5, 0.02), 100.0)
    assert res.between == 0.0 and res.se == pytest.approx(np.sqrt(0.02))
    # lambda = 0: the df is the observed-data df (101 / 103) * 100
    assert res.df == pytest.approx(101 / 103 * 100)
    assert barnard_rubin_df(0.0, 5, 100.0) == pytest.approx(101 / 103 * 100)


def test_z_reference_uses_rubins_df():
    res = pool(np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.5, 0.5]), np.inf)
    # Rubin (1987): (m - 1) / lambda²
    assert res.df == pytest.approx(2 / (8 / 11) ** 2)


@pytest.mark.parametrize("q, u", [([1.0], [0.1]), ([1.0, np.nan], [0.1, 0.1]),
                                  ([1.0, 2.0], [0.1, -0.1]), ([1.0, 2.0], [0.1])])
def test_bad_input_is_refused(q, u):
    with pytest.raises(AnalysisError):
        pool(np.array(q), np.array(u), 10.0)
