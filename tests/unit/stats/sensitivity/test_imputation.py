"""Multiple imputation: the complete-case result when nothing is missing, Rubin's rules."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import settings
from analysis.errors import AnalysisError
from analysis.stats.linear.ancova import ancova
from analysis.stats.sensitivity.imputation import multiple_imputation

COVS = ["pav_baseline", "age", "sex", "diabetes", "hdl_c"]


def test_no_missing_is_the_complete_case_result_exactly(datasets):
    frame = datasets["cohort"]  # complete: nothing to impute
    res = multiple_imputation(frame, "delta_pav", m=5, seed=1)
    ref = ancova(frame, "delta_pav", diagnostics=False).contrast.iloc[0]
    # reference: the complete-case ANCOVA, to the last bit
    for name in ("estimate", "se", "ci_low", "ci_high", "p", "df"):
        assert getattr(res, name) == ref[name], name
    assert res.n == 1347 and res.pooled is None
    assert res.test == ref["test"]
    assert "nothing was imputed" in res.notes[0]


def test_missing_outcome_alone_needs_no_imputation(datasets):
    # the small cohort misses one pav_followup (the outcome, never imputed) and one hdl_c
    frame = datasets["small"]
    covar = ["pav_baseline", "trial", "age"]
    res = multiple_imputation(frame, "delta_pav", covar=covar, m=5, seed=1)
    ref = ancova(frame, "delta_pav", covar=covar, diagnostics=False).contrast.iloc[0]
    assert res.estimate == ref["estimate"] and res.se == ref["se"]


@pytest.fixture(scope="module")
def imputed(random_cohort):
    # random_cohort misses about 2% of age; hdl_c gets a few missing values too
    frame = random_cohort.copy()
    hdl = frame["hdl_c"].copy()
    hdl.iloc[::37] = np.nan
    frame["hdl_c"] = hdl
    return frame, multiple_imputation(frame, "delta_pav", covar=COVS, m=6, seed=11)


def test_pooled_by_rubins_rules_by_hand(imputed):
    _, res = imputed
    q = res.imputations["estimate"].to_numpy()
    u = res.imputations["se"].to_numpy() ** 2
    m = len(q)
    # hand: qbar, T = mean(u) + (1 + 1/m) var(q)
    assert m == 6
    assert res.estimate == pytest.approx(q.mean(), rel=1e-12)
    assert res.se == pytest.approx(np.sqrt(u.mean() + (1 + 1 / m) * q.var(ddof=1)), rel=1e-12)
    assert len(set(q)) > 1  # the imputations differ


def test_imputation_analyses_more_patients_than_complete_cases(imputed, random_cohort):
    frame, res = imputed
    cc = ancova(frame, "delta_pav", covar=COVS, diagnostics=False)
    in_cmp = frame["calcification"].isin(["none", "spotty"]) & frame["delta_pav"].notna()
    assert res.n == int(in_cmp.sum()) > cc.n_used
    counts = dict(zip(res.imputed["column"], res.imputed["n_imputed"], strict=True))
    assert counts["hdl_c"] == int(frame.loc[in_cmp, "hdl_c"].isna().sum()) > 0
    assert counts["age"] == int(frame.loc[in_cmp, "age"].isna().sum()) > 0
    assert counts["sex"] == 0
    assert "Rubin" in res.method and "6 imputations" in res.method and "seed 11" in res.method


def test_same_seed_same_result_and_input_untouched(imputed):
    frame, res = imputed
    before = frame.copy()
    again = multiple_imputation(frame, "delta_pav", covar=COVS, m=6, seed=11)
    assert again.estimate == res.estimate and again.se == res.se
    other = multiple_imputation(frame, "delta_pav", covar=COVS, m=6, seed=12)
    assert other.estimate != res.estimate
    assert frame.equals(before)


def test_m_and_seed_come_from_settings(imputed):
    frame, _ = imputed
    assert settings.from_env({"EXPLORER_MI_IMPUTATIONS": "7"}).mi_imputations == 7
    assert settings.from_env({"EXPLORER_MI_SEED": "3"}).mi_seed == 3
    assert settings.from_env({}).mi_imputations == 20
    before = settings.current()
    try:
        settings.configure(before.with_overrides(mi_imputations=3, mi_seed=5))
        res = multiple_imputation(frame, "delta_pav", covar=COVS)
    finally:
        settings.configure(before)
    assert res.m == 3 and res.seed == 5 and len(res.imputations) == 3


def test_multilevel_factor_is_not_imputed(random_cohort):
    frame = random_cohort.copy()
    statin = frame["statin"].copy()
    statin.iloc[:12] = None
    frame["statin"] = statin
    res = multiple_imputation(frame, "delta_pav", covar=["pav_baseline", "statin", "age"],
                              m=3, seed=2)
    assert any("statin has more than two levels" in n for n in res.notes)


@pytest.mark.parametrize("kwargs, message", [
    ({"m": 1}, "number of imputations"), ({"m": 2.5}, "number of imputations"),
    ({"seed": -1}, "imputation seed"), ({"cycles": 0}, "cycles"),
])
def test_bad_parameters_are_refused(datasets, kwargs, message):
    with pytest.raises(AnalysisError, match=message):
        multiple_imputation(datasets["small"], "delta_pav", **kwargs)


def test_mcar_deletion_recovers_the_full_data_estimate(datasets):
    # the bundled cohort is complete: delete 10% of four covariates completely at random
    full = datasets["cohort"]
    gappy = full.copy()
    rng = np.random.default_rng(1)
    for name in ("age", "hdl_c", "diabetes", "sex"):
        col = gappy[name].copy()
        col[rng.random(len(gappy)) < 0.1] = None
        gappy[name] = col
    truth = ancova(full, "delta_pav", diagnostics=False).contrast.iloc[0]
    cc = ancova(gappy, "delta_pav", diagnostics=False)
    res = multiple_imputation(gappy, "delta_pav", m=10, seed=4)
    # reference: the full-data ANCOVA before deletion. MI keeps all 1347 patients, so it
    # lands near the full-data estimate (well within a tenth of its SE) and its SE near
    # the full-data SE, while complete cases (about 2/3 of the patients) move further
    assert res.n == 1347 and cc.n_used < 1000
    assert abs(res.estimate - truth["estimate"]) < 0.1 * truth["se"]
    assert abs(res.estimate - truth["estimate"]) < abs(
        cc.contrast.iloc[0]["estimate"] - truth["estimate"])
    assert res.se == pytest.approx(truth["se"], rel=0.05)
    assert cc.contrast.iloc[0]["se"] > 1.1 * truth["se"]


def test_only_a_multilevel_factor_missing_is_the_complete_case_result(datasets):
    frame = datasets["cohort"].copy()
    statin = frame["statin"].copy()
    statin.iloc[:30] = None
    frame["statin"] = statin
    covar = ["pav_baseline", "statin", "age"]
    res = multiple_imputation(frame, "delta_pav", covar=covar, m=3, seed=2)
    ref = ancova(frame, "delta_pav", covar=covar, diagnostics=False)
    # reference: the complete-case ANCOVA (the 30 rows without statin excluded)
    assert res.estimate == ref.contrast.iloc[0]["estimate"] and res.n == ref.n_used == 1317
    assert res.pooled is None
    assert any("statin has more than two levels" in n for n in res.notes)
