"""Trial as a random intercept against R lme4::lmer(REML = TRUE), and the #10239 guard."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from analysis.stats.linear.ancova import ancova
from analysis.stats.sensitivity.mixed import random_trial, unreliable_fit

CASES = {"cohort_pav_default": "delta_pav", "cohort_tav_default": "delta_tav"}
# Both sides optimise the REML criterion iteratively (statsmodels Powell, lme4 bobyqa with
# ftol_abs = xtol_abs = 1e-12): they agree to about 1e-9; 1e-7 leaves room for other BLAS.
REL = 1e-7


@pytest.fixture(scope="module")
def fits(datasets):
    return {case: random_trial(datasets["cohort"], dv) for case, dv in CASES.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_fixed_effects_and_ses_match_lme4(case, fits, r_coefficients):
    res = fits[case]
    ref = r_coefficients[(r_coefficients["case"] == case)
                         & (r_coefficients["analysis"] == "lmer")]
    assert not res.fell_back
    got = res.fixed_effects.set_index("term")
    # reference: lme4::lmer(dv ~ calcification + baseline + age + sex + diabetes + prior_mi
    #            + hdl_c + (1 | trial), REML = TRUE); fixef() and sqrt(diag(vcov()))
    assert sorted(got.index) == sorted(ref["term"])
    for row in ref.itertuples():
        # a coefficient near zero (prior_mi for ΔTAV) is compared on the scale of its SE
        assert got.loc[row.term, "estimate"] == pytest.approx(
            row.estimate, rel=REL, abs=REL * row.se), row.term
        assert got.loc[row.term, "se"] == pytest.approx(row.se, rel=REL), row.term


@pytest.mark.parametrize("case", list(CASES))
def test_contrast_and_variances_match_lme4(case, fits, r_contrasts, r_values):
    res = fits[case]
    ref = r_contrasts[(r_contrasts["case"] == case) & (r_contrasts["analysis"] == "lmer")].iloc[0]
    # reference: R, fixef / vcov of the lmer fit, Wald z (pnorm, qnorm)
    for name in ("estimate", "se", "p", "ci_low", "ci_high"):
        assert getattr(res, name) == pytest.approx(ref[name], rel=REL), name
    assert res.n == ref["n"] and np.isinf(res.df)
    vals = r_values[(r_values["case"] == case) & (r_values["analysis"] == "lmer")]
    vals = dict(zip(vals["statistic"], vals["value"], strict=True))
    # reference: as.data.frame(VarCorr(fit)); a flat criterion near the optimum: 1e-5
    assert res.trial_variance == pytest.approx(vals["trial variance"], rel=1e-5)
    assert res.residual_variance == pytest.approx(vals["residual variance"], rel=1e-7)
    assert "(1 | trial)" in res.method and "REML" in res.method


def test_no_between_trial_variance_falls_back_with_a_note(no_trial_variance):
    res = random_trial(no_trial_variance, "delta_pav", covar=["pav_baseline"])
    assert res.fell_back
    assert any("Random-intercept model not reported" in n and "between-trial variance" in n
               for n in res.notes)
    ref = ancova(no_trial_variance, "delta_pav", covar=["pav_baseline", "trial"],
                 diagnostics=False).contrast.iloc[0]
    # reference: the fixed-effect ANCOVA with trial as a factor
    assert res.estimate == pytest.approx(ref["estimate"], rel=1e-12)
    assert res.se == pytest.approx(ref["se"], rel=1e-12)
    assert "fall-back" in res.test
    # the simulated effect is 0.5 and the noise has no trial component
    assert res.estimate == pytest.approx(0.5, abs=0.5)


def test_single_trial_falls_back(datasets):
    frame = datasets["cohort"]
    one = frame[frame["trial"] == "TRIAL-A"]
    res = random_trial(one, "delta_pav")
    assert res.fell_back
    assert any("only one trial" in n for n in res.notes)


def _fake(fe, vc=1.0, scale=1.0, converged=True, se=None):
    fe = np.asarray(fe, dtype=float)
    return SimpleNamespace(fe_params=fe, cov_re=np.array([[vc]]), scale=scale,
                           converged=converged, bse_fe=np.ones_like(fe) if se is None else se)


@pytest.mark.parametrize("fit, words", [
    (_fake([1.0, 0.0, 2.0]), "exactly 0.0"),
    (_fake([1.0, 0.3], vc=1e-12, scale=4.0), "about zero"),
    (_fake([1.0, 0.3], converged=False), "did not converge"),
    (_fake([1.0, 0.3], se=np.array([1.0, np.nan])), "not finite"),
    (None, "no optimiser"),
])
def test_guard_names_each_failure(fit, words):
    assert words in unreliable_fit(fit, 2 if fit is None else len(fit.fe_params))


def test_guard_passes_a_sound_fit():
    assert unreliable_fit(_fake([1.0, 0.3], vc=0.05, scale=4.0), 2) is None


def test_guard_flags_statsmodels_own_boundary_fit(no_trial_variance):
    import warnings

    from statsmodels.regression.mixed_linear_model import MixedLM

    f = no_trial_variance
    X = np.column_stack([np.ones(len(f)), (f["calcification"] == "spotty").to_numpy(float),
                         f["pav_baseline"].to_numpy(float)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = MixedLM(f["delta_pav"].to_numpy(float), X,
                      groups=f["trial"].astype(str).to_numpy()).fit(reml=True, method="lbfgs")
    # statsmodels puts the trial variance on the boundary here (issue #10239's setting;
    # with 0.15 it also returns an intercept of ~1e-15 instead of OLS's -1.26)
    assert float(res.cov_re[0, 0]) < 1e-6 * float(res.scale)
    assert "about zero" in unreliable_fit(res, 3)


def test_guard_flags_fixed_effects_that_disagree_with_gls():
    fit = _fake([1.0, 0.3], vc=0.05, scale=4.0)
    assert unreliable_fit(fit, 2, gls=np.array([1.0, 0.3])) is None
    assert "disagree" in unreliable_fit(fit, 2, gls=np.array([-1.26, 0.3]))


def test_gls_fixed_effects_by_hand():
    from analysis.stats.sensitivity.mixed import gls_covariance, gls_fixed_effects

    rng = np.random.default_rng(5)
    groups = np.repeat([0, 1, 2], [3, 4, 5])
    X = np.column_stack([np.ones(12), rng.normal(size=12)])
    y = rng.normal(size=12)
    tau2, sigma2 = 0.7, 2.0
    # reference: the dense V = sigma² I + tau² Z Z' and the textbook GLS formulas
    Z = (groups[:, None] == np.arange(3)[None, :]).astype(float)
    V = sigma2 * np.eye(12) + tau2 * Z @ Z.T
    Vi = np.linalg.inv(V)
    cov = np.linalg.inv(X.T @ Vi @ X)
    assert gls_covariance(X, groups, tau2, sigma2) == pytest.approx(cov, rel=1e-12)
    assert gls_fixed_effects(X, y, groups, tau2, sigma2) == pytest.approx(
        cov @ X.T @ Vi @ y, rel=1e-12)
