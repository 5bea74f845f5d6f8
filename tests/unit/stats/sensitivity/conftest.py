"""Fixtures of the sensitivity-analysis tests.

The R reference numbers are committed CSV files written by
``tests/reference/sensitivity_reference.R`` (R 4.2.2 with emmeans, lme4 and sandwich;
versions in ``tests/reference/sensitivity_meta.csv``; see tests/reference/README.md).
The analysed data are the ones that script reads: ``data/simulated_cohort.csv`` and
``tests/reference/emmeans_small_cohort.csv``, loaded here the way the app loads them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.data.loader import load_bundled, load_dataset

REF_DIR = Path(__file__).resolve().parents[3] / "reference"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF_DIR / name)


@pytest.fixture(scope="session")
def datasets() -> dict[str, pd.DataFrame]:
    """``cohort`` (bundled, 1347 patients) and ``small`` (63 patients), read-only."""
    small = load_dataset(REF_DIR / "emmeans_small_cohort.csv")
    return {"cohort": load_bundled().frame, "small": small.frame}


@pytest.fixture(scope="session")
def r_coefficients() -> pd.DataFrame:
    """``case, analysis, term, estimate, se`` from R (hc3, lmer, ps_wls)."""
    return _read("sensitivity_coefficients.csv")


@pytest.fixture(scope="session")
def r_contrasts() -> pd.DataFrame:
    """``case, data, dv, analysis, covariates, estimate, se, df, p, ci_low, ci_high, n``."""
    return _read("sensitivity_contrasts.csv")


@pytest.fixture(scope="session")
def r_values() -> pd.DataFrame:
    """``case, analysis, statistic, value`` (truncation bounds, variance components)."""
    return _read("sensitivity_values.csv")


@pytest.fixture(scope="session")
def r_balance() -> pd.DataFrame:
    """``case, term, smd_before, smd_after`` of the propensity-score weighting."""
    return _read("sensitivity_balance.csv")


@pytest.fixture
def no_trial_variance(frame_from) -> pd.DataFrame:
    """120 patients in 4 trials whose outcome has exactly no between-trial variance.

    The outcome is a group effect plus noise demeaned within each trial, so every trial
    has the same mean residual: the REML estimate of the trial variance is zero
    (the boundary where statsmodels issue #10239 zeroes between-group fixed effects).
    """
    rng = np.random.default_rng(10239)
    n = 120
    trial = np.repeat(["T1", "T2", "T3", "T4"], n // 4)
    group = np.tile(["none", "spotty"], n // 2)
    noise = rng.normal(0.0, 1.0, n)
    for t in np.unique(trial):
        noise[trial == t] -= noise[trial == t].mean()
    pav0 = np.full(n, 40.0) + np.tile([0.0, 1.0, 2.0, 3.0], n // 4)
    # the same baseline pattern in every trial: baseline cannot carry a trial effect
    follow = pav0 + 0.5 * (group == "spotty") + noise
    return frame_from({
        "patient_id": [f"Z{i:03d}" for i in range(n)], "trial": trial.tolist(),
        "calcification": group.tolist(), "pav_baseline": pav0.tolist(),
        "pav_followup": follow.tolist(), "tav_baseline": [100.0] * n,
        "tav_followup": [101.0] * n,
    })
