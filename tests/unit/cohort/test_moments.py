"""Closed-form population parameters of the simulated cohort's log-normal laws."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from analysis.cohort.moments import (
    SimulationError,
    lognormal_params,
    shifted_lognormal_params,
)
from analysis.errors import ExplorerError


@pytest.mark.parametrize(("mean", "sd"), [(36.0, 7.6), (29.0, 8.5), (174.6, 71.9)])
def test_lognormal_params_give_the_mean_and_sd(mean, sd):
    # published_summary.json baseline PAV / TAV mean and SD; reference: scipy.stats.lognorm
    # (shape s = sigma, scale = exp(mu)) computes the law's mean and SD independently
    mu, s = lognormal_params(mean, sd)
    law = stats.lognorm(s, scale=np.exp(mu))
    assert law.mean() == pytest.approx(mean, rel=1e-12)
    assert law.std() == pytest.approx(sd, rel=1e-12)


def test_shifted_lognormal_params_give_the_mean_and_sd():
    # published_summary.json: HDL-C spotty 48 +- 16 mg/dl, 32% women, 30% diabetes.
    # Reference: the mixture's moments summed by hand over the four (female, diabetes)
    # cells, each a scipy.stats.lognorm law with its shifted log mean.
    shifts = [(0.32, 0.15), (0.30, -0.08)]
    mu, s = shifted_lognormal_params(48.0, 16.0, shifts)
    m1 = m2 = 0.0
    for female in (0, 1):
        for dm in (0, 1):
            w = (0.32 if female else 0.68) * (0.30 if dm else 0.70)
            law = stats.lognorm(s, scale=np.exp(mu + 0.15 * female - 0.08 * dm))
            m1 += w * law.mean()
            m2 += w * (law.var() + law.mean() ** 2)
    assert m1 == pytest.approx(48.0, rel=1e-12)
    assert np.sqrt(m2 - m1 ** 2) == pytest.approx(16.0, rel=1e-10)


def test_impossible_laws_raise_a_project_error():
    with pytest.raises(SimulationError, match="positive mean and SD"):
        lognormal_params(0.0, 1.0)
    with pytest.raises(ExplorerError, match="make them smaller"):
        shifted_lognormal_params(50.0, 1.0, [(0.5, 1.0)])  # the shift alone has SD ~ 20
