"""Binned KDE against scipy.stats.gaussian_kde, to the error bound its module states."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.stats import binned_kde
from analysis.stats import distributions as dist


def _exact_and_binned(x: np.ndarray, points: int = 200):
    fit = stats.gaussian_kde(x)  # reference: SciPy's exact kernel sum, Scott's bandwidth
    h = float(np.sqrt(fit.covariance[0, 0]))
    grid = np.linspace(x.min() - 3 * h, x.max() + 3 * h, points)
    return fit(grid), binned_kde.binned_density(x, h, grid), h, grid


@pytest.mark.parametrize("kind", ["normal", "skewed mixture", "integers (ties)"])
def test_binned_density_is_within_the_stated_bound_of_scipy(kind):
    rng = np.random.default_rng(7)
    x = {"normal": rng.normal(0.4, 2.0, 20_000),
         "skewed mixture": np.r_[rng.normal(0, 1, 15_000), rng.exponential(3, 5_000)],
         "integers (ties)": rng.integers(0, 5, 20_000).astype(float)}[kind]
    exact, binned, h, grid = _exact_and_binned(x)
    _r, delta = binned_kde.fine_spacing(grid, h)
    bound = binned_kde.error_bound(h, delta)
    assert delta <= h / binned_kde.BIN_FRACTION
    assert bound <= 2.0e-5 / h  # the bound the docstrings quote
    assert np.abs(binned - exact).max() <= bound
    assert (binned >= 0).all()


def test_the_bound_is_not_vacuous():
    # A coarse fine grid (one bin per output step) is visibly worse than the bound
    # for the fine one: the bound is what makes the refinement necessary.
    x = np.random.default_rng(3).normal(size=20_000)
    exact, binned, h, grid = _exact_and_binned(x)
    step = grid[1] - grid[0]
    assert np.abs(binned - exact).max() < 0.01 * binned_kde.error_bound(h, step)


def test_too_fine_a_grid_falls_back_to_none():
    x = np.r_[np.zeros(10), 1e9]  # spread over ~1e9 bandwidths
    h = 0.01
    grid = np.linspace(-1, 1e9 + 1, 200)
    assert binned_kde.binned_density(x, h, grid) is None


def test_kde_of_a_large_group_uses_the_binned_estimate(frame_from):
    rng = np.random.default_rng(11)
    n = 2 * (dist.KDE_EXACT_MAX_N + 1)
    frame = frame_from({"patient_id": [f"P{i}" for i in range(n)],
                        "calcification": ["none"] * (n // 2) + ["spotty"] * (n - n // 2),
                        "pav_baseline": rng.normal(35, 8, n).tolist(),
                        "pav_followup": rng.normal(35.5, 8, n).tolist()})
    res = dist.kde(frame, "delta_pav")
    for level in ("none", "spotty"):
        part = res[res["level"] == level]
        x = frame.loc[frame["calcification"] == level, "delta_pav"].to_numpy(float)
        assert len(x) > dist.KDE_EXACT_MAX_N
        exact = stats.gaussian_kde(x)(part["x"].to_numpy())  # reference: SciPy
        h = part["bandwidth"].iloc[0]
        assert h == pytest.approx(float(np.std(x, ddof=1)) * len(x) ** -0.2, rel=1e-12)
        diff = np.abs(part["density"].to_numpy() - exact)
        assert diff.max() <= 2.0e-5 / h
        assert diff.max() > 0  # binned, not the exact sum
        # integrates to about 1 (trapezoid over the +-3 bandwidth grid)
        assert np.trapezoid(part["density"], part["x"]) == pytest.approx(1.0, abs=1e-3)
    assert isinstance(res, pd.DataFrame) and math.isfinite(res["density"].sum())
    assert sum("linear binning" in note for note in res.attrs["notes"]) == 2
