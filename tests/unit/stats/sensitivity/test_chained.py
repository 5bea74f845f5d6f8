"""Chained-equation PMM imputation: what it must and must not change."""

from __future__ import annotations

import numpy as np

from analysis.stats.sensitivity.chained import _match, impute_chain


def _data(seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = 200
    x = rng.normal(size=n)
    b = (rng.random(n) < 0.4).astype(float)
    y = 2 * x + b + rng.normal(size=n)
    data = np.column_stack([y, x, b])
    data[rng.random(n) < 0.2, 1] = np.nan
    data[rng.random(n) < 0.2, 2] = np.nan
    return data


def test_fills_only_missing_cells_with_observed_values():
    data = _data()
    out = impute_chain(data, 5, np.random.default_rng(1))
    miss = np.isnan(data)
    assert not np.isnan(out).any()
    assert np.array_equal(out[~miss], data[~miss])
    for j in (1, 2):
        observed = set(data[~miss[:, j], j])
        assert set(out[miss[:, j], j]) <= observed  # predictive mean matching
    assert set(np.unique(out[:, 2])) <= {0.0, 1.0}
    assert data is not out and np.isnan(data).sum() == miss.sum()  # input not modified


def test_seeded_chains_repeat_and_differ():
    data = _data()
    a = impute_chain(data, 3, np.random.default_rng(7))
    b = impute_chain(data, 3, np.random.default_rng(7))
    c = impute_chain(data, 3, np.random.default_rng(8))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_imputed_x_follows_the_outcome():
    data = _data()
    out = impute_chain(data, 10, np.random.default_rng(2))
    miss = np.isnan(data[:, 1])
    # x = (y - b - e) / 2: imputations drawn from the regression on y keep the correlation
    assert np.corrcoef(out[miss, 0], out[miss, 1])[0, 1] > 0.6


def test_match_takes_one_of_the_nearest_donors():
    pred_obs = np.array([0.0, 1.0, 2.0, 3.0, 10.0, 11.0])
    values = np.array([100.0, 101.0, 102.0, 103.0, 110.0, 111.0])
    picks = {float(_match(pred_obs, np.array([10.4]), values, 2, np.random.default_rng(s))[0])
             for s in range(40)}
    # the two nearest predictions to 10.4 are 10 and 11
    assert picks == {110.0, 111.0}
