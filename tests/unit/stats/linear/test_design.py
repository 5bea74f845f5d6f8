"""LS means against hand-built reference-grid arithmetic.

Here the emmeans definitions are checked by hand arithmetic (R's emmeans output itself
is compared in test_emmeans_reference.py): the reference grid is written out by hand
(focal level x factor-covariate levels, numeric covariate at its mean), the
coefficients come from numpy lstsq, and the grid rows are averaged with the weights
emmeans uses ("proportional": observed frequencies of the covariate level
combinations; "equal": the same weight for every grid cell).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from analysis.stats.linear.ancova import ancova
from analysis.stats.linear.design import (
    Design,
    FactorTerm,
    NumericTerm,
    grid_average,
    reference_grid,
)

# 12 patients: 6 none, 6 spotty; sex unbalanced (8 male / 4 female); age numeric.
GROUP = ["none"] * 6 + ["spotty"] * 6
SEX_UNBALANCED = ["male", "male", "male", "male", "female", "female",
                  "male", "male", "male", "male", "female", "female"]
SEX_BALANCED = ["male", "male", "male", "female", "female", "female"] * 2
AGE = [50, 61, 47, 58, 66, 53, 49, 70, 55, 62, 44, 59]
DELTA = [0.2, -0.4, 1.1, 0.3, -0.8, 0.5, 1.4, 0.9, 2.0, 0.1, 1.7, 0.6]


def _frame(frame_from, sex):
    return frame_from({
        "calcification": GROUP, "sex": sex, "age": AGE,
        "pav_baseline": [30.0] * 12, "pav_followup": [30.0 + d for d in DELTA],
    })


def _hand(sex, weights):
    """LS means and SEs by hand: lstsq coefficients, grid written out, weighted average."""
    g = np.array([s == "spotty" for s in GROUP], float)
    male = np.array([s == "male" for s in sex], float)
    age = np.array(AGE, float)
    y = np.array(DELTA)
    X = np.column_stack([np.ones(12), g, male, age])
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    resid = y - X @ beta
    s2 = resid @ resid / (12 - 4)
    V = s2 * np.linalg.inv(X.T @ X)
    share = {"female": 1 - male.mean(), "male": male.mean()}  # observed frequencies
    means, ses = [], []
    for gi in (0.0, 1.0):
        L = np.zeros(4)
        for level in ("female", "male"):  # grid: group level x sex level, age at mean
            w = share[level] if weights == "proportional" else 0.5
            L += w * np.array([1.0, gi, float(level == "male"), age.mean()])
        means.append(L @ beta)
        ses.append(np.sqrt(L @ V @ L))
    return np.array(means), np.array(ses), beta


@pytest.mark.parametrize("weights", ["proportional", "equal"])
def test_ls_means_equal_hand_grid_arithmetic(frame_from, weights):
    res = ancova(_frame(frame_from, SEX_UNBALANCED), "delta_pav", covar=["sex", "age"],
                 weights=weights, min_group_n=2, diagnostics=False)
    means, ses, _ = _hand(SEX_UNBALANCED, weights)
    # reference: hand reference grid x lstsq coefficients (above)
    np.testing.assert_allclose(res.ls_means["ls_mean"], means, rtol=0, atol=1e-10)
    # reference: sqrt(L V L') with V = s^2 (X'X)^-1 by hand
    np.testing.assert_allclose(res.ls_means["se"], ses, rtol=1e-10)
    # reference: t quantile with residual df 12 - 4 = 8
    q = stats.t.ppf(0.975, 8)
    np.testing.assert_allclose(res.ls_means["ci_high"], means + q * ses, rtol=1e-10)


def test_balanced_design_weightings_agree(frame_from):
    frame = _frame(frame_from, SEX_BALANCED)
    prop = ancova(frame, "delta_pav", covar=["sex", "age"], weights="proportional",
                  min_group_n=2, diagnostics=False)
    equal = ancova(frame, "delta_pav", covar=["sex", "age"], weights="equal",
                   min_group_n=2, diagnostics=False)
    # reference: observed sex shares are 1/2, the same as equal weights -> same grid average
    np.testing.assert_allclose(prop.ls_means["ls_mean"], equal.ls_means["ls_mean"], atol=1e-12)


def test_unbalanced_weightings_differ_by_hand_amount(frame_from):
    frame = _frame(frame_from, SEX_UNBALANCED)
    prop = ancova(frame, "delta_pav", covar=["sex", "age"], weights="proportional",
                  min_group_n=2, diagnostics=False)
    equal = ancova(frame, "delta_pav", covar=["sex", "age"], weights="equal",
                   min_group_n=2, diagnostics=False)
    _, _, beta = _hand(SEX_UNBALANCED, "equal")
    # reference: difference = beta_male * (observed male share 8/12 - 1/2), same in both groups
    expected = beta[2] * (8 / 12 - 0.5)
    diff = prop.ls_means["ls_mean"].to_numpy() - equal.ls_means["ls_mean"].to_numpy()
    np.testing.assert_allclose(diff, [expected, expected], atol=1e-10)
    assert abs(expected) > 1e-3  # the check above could fail: the weightings do differ
    # reference: the contrast does not depend on the weighting in a main-effects model
    np.testing.assert_allclose(prop.contrast["estimate"], equal.contrast["estimate"], atol=1e-12)


def _design_two_factors():
    rng = np.random.default_rng(7)
    n = 40
    focal = FactorTerm("calcification", ("none", "spotty"), rng.integers(0, 2, n))
    statin = FactorTerm("statin", ("none", "moderate", "high"),
                        rng.choice(3, n, p=[0.2, 0.3, 0.5]))
    sex = FactorTerm("sex", ("female", "male"), rng.choice(2, n, p=[0.3, 0.7]))
    age = NumericTerm("age", rng.normal(55, 10, n))
    return Design(focal, (statin, sex, age)), (focal, statin, sex, age)


def test_equal_weights_is_unweighted_mean_over_full_grid():
    design, (focal, statin, sex, age) = _design_two_factors()
    beta = np.arange(1.0, 1.0 + design.matrix().shape[1])
    for g in range(2):
        # reference: unweighted average over the 3 x 2 grid of predictions, age at its mean
        preds = [beta @ np.array([1, g, s == 1, s == 2, x == 1, age.values.mean()], float)
                 for s, x in itertools.product(range(3), range(2))]
        assert design.lsmeans_matrix("equal")[g] @ beta == pytest.approx(np.mean(preds), abs=1e-12)


def test_proportional_weights_use_observed_combination_frequencies():
    design, (focal, statin, sex, age) = _design_two_factors()
    beta = np.arange(1.0, 1.0 + design.matrix().shape[1])
    combos = list(zip(statin.codes, sex.codes, strict=True))
    for g in range(2):
        # reference: each (statin, sex) combination weighted by its observed count / n
        total = 0.0
        for s, x in set(combos):
            w = combos.count((s, x)) / len(combos)
            total += w * (beta @ np.array([1, g, s == 1, s == 2, x == 1, age.values.mean()],
                                          float))
        assert design.lsmeans_matrix("proportional")[g] @ beta == pytest.approx(total, abs=1e-12)


@pytest.mark.parametrize("weights", ["proportional", "equal"])
def test_explicit_grid_matches_closed_form(weights):
    design, _ = _design_two_factors()
    grid = reference_grid(design, weights)
    # reference: 2 groups x 3 statin x 2 sex = 12 grid rows; weights sum to 1 per group
    assert len(grid) == 12
    assert grid.groupby("calcification")["weight"].sum().tolist() == pytest.approx([1.0, 1.0])
    np.testing.assert_allclose(grid_average(design, grid), design.lsmeans_matrix(weights),
                               atol=1e-12)


def test_grid_with_only_numeric_covariates():
    focal = FactorTerm("calcification", ("none", "spotty"), np.array([0, 0, 1, 1, 1]))
    age = NumericTerm("age", np.array([50.0, 60.0, 55.0, 65.0, 70.0]))
    design = Design(focal, (age,))
    grid = reference_grid(design)
    # reference: one row per group, age at its mean 60
    assert grid["age"].tolist() == [60.0, 60.0] and grid["weight"].tolist() == [1.0, 1.0]
    np.testing.assert_allclose(design.lsmeans_matrix(), [[1, 0, 60.0], [1, 1, 60.0]])
