"""Cached entries of the sensitivity analyses and the multiplicity-adjusted subgroups.

The entries are checked against the direct function calls on the same patients, those
patients picked by a plain pandas mask (independent of the filter code); the Holm and
Benjamini-Hochberg columns against statsmodels ``multipletests`` and a hand calculation.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from analysis import settings as settings_mod
from analysis.data import registry
from analysis.service import api, cache, sensitivity_api
from analysis.stats.sensitivity import propensity_weighted, sensitivity_table

pytestmark = pytest.mark.usefixtures("fresh_cache", "few_imputations")

QUERY = "age=50-70"


def _rows(fingerprint: str) -> pd.DataFrame:
    """Patients aged 50-70 in the compared groups, by a plain pandas mask."""
    f = registry.get(fingerprint).frame
    return f[f["calcification"].isin(["none", "spotty"]) & f["age"].between(50, 70)]


def _forget_local():
    """Drop this process's memos (filtered frames, parsed queries), keep the shared cache."""
    for memo in cache._local_memos:
        memo.cache_clear()


def test_sensitivity_equals_the_table_on_the_same_rows(missing_hdl_fp):
    res = api.sensitivity(missing_hdl_fp, QUERY, "delta_pav")
    assert res.ok, res.error
    direct = sensitivity_table(_rows(missing_hdl_fp), "delta_pav")
    pd.testing.assert_frame_equal(res.value, direct, check_exact=False, rtol=1e-12)
    # multiple imputation did impute here (HDL-C missing for every 9th patient)
    mi = res.value.set_index("analysis").loc["Multiple imputation (chained equations)"]
    assert "complete-case" not in mi["note"]
    assert mi["n"] == int(_rows(missing_hdl_fp)["delta_pav"].notna().sum())
    opts = dict(res.options)
    assert (opts["imputations"], opts["seed"]) == (5, settings_mod.current().mi_seed)


def test_sensitivity_follows_covariates_weights_and_raw_means(bundled_fp):
    rows = _rows(bundled_fp)
    picked = api.sensitivity(bundled_fp, QUERY, "delta_pav", ("pav_baseline", "age"), "equal")
    direct = sensitivity_table(rows, "delta_pav", covar=["pav_baseline", "age"], weights="equal")
    pd.testing.assert_frame_equal(picked.value, direct, check_exact=False, rtol=1e-12)
    raw = api.sensitivity(bundled_fp, QUERY, "delta_pav", ("pav_baseline",), means="raw")
    pd.testing.assert_frame_equal(raw.value, sensitivity_table(rows, "delta_pav", covar=()),
                                  check_exact=False, rtol=1e-12)
    # raw means: no covariate to build a propensity score on; the row says why
    ps = raw.value.set_index("analysis").loc["Propensity-score weighting (stabilised ATE)"]
    assert np.isnan(ps["estimate"]) and "needs at least one covariate" in ps["note"]
    # main row of raw means = difference of the raw group means (independent: groupby)
    means = rows.groupby("calcification", observed=True)["delta_pav"].mean()
    assert raw.value["estimate"].iloc[0] == pytest.approx(means["spotty"] - means["none"],
                                                          abs=1e-12)


def test_propensity_equals_the_direct_call(bundled_fp):
    res = api.propensity(bundled_fp, QUERY, "delta_pav")
    assert res.ok, res.error
    direct = propensity_weighted(_rows(bundled_fp), "delta_pav",
                                 trim=settings_mod.current().ps_trim)
    for name in ("estimate", "se", "ci_low", "ci_high", "p", "n"):
        assert getattr(res.value, name) == pytest.approx(getattr(direct, name), rel=1e-12), name
    pd.testing.assert_frame_equal(res.value.balance, direct.balance, check_exact=False,
                                  rtol=1e-12)
    # and the table's propensity row is the same analysis
    row = api.sensitivity(bundled_fp, QUERY, "delta_pav").value.iloc[3]
    assert row["estimate"] == pytest.approx(direct.estimate, rel=1e-12)


@pytest.mark.parametrize("entry, target", [(api.sensitivity, "_sensitivity_table"),
                                           (api.propensity, "_propensity")])
def test_a_second_call_does_not_recompute(bundled_fp, monkeypatch, entry, target):
    first = entry(bundled_fp, QUERY, "delta_pav")
    assert first.ok, first.error
    monkeypatch.setattr(sensitivity_api, target, lambda *a, **k: pytest.fail("recomputed"))
    monkeypatch.setattr(api, "apply_filters", lambda *a, **k: pytest.fail("refiltered"))
    _forget_local()
    again = entry(bundled_fp, QUERY, "delta_pav")
    assert again.options == first.options
    if isinstance(first.value, pd.DataFrame):
        pd.testing.assert_frame_equal(again.value, first.value)
    else:
        assert again.value.estimate == first.value.estimate


def test_imputations_seed_and_trim_are_part_of_the_key(bundled_fp):
    key = sensitivity_api._sensitivity_cached.cache_key
    base = key(bundled_fp, "", "delta_pav", None, "proportional", 5, 1, 1.0)
    others = {key(bundled_fp, "", "delta_pav", None, "proportional", 6, 1, 1.0),
              key(bundled_fp, "", "delta_pav", None, "proportional", 5, 2, 1.0),
              key(bundled_fp, "", "delta_pav", None, "proportional", 5, 1, 2.0)}
    assert base not in others and len(others) == 3
    # a changed setting is a new entry, not the cached answer of the old one
    first = api.sensitivity(bundled_fp, "", "delta_pav")
    previous = settings_mod.current()
    settings_mod.configure(dataclasses.replace(previous, mi_imputations=3))
    try:
        changed = api.sensitivity(bundled_fp, "", "delta_pav")
    finally:
        settings_mod.configure(previous)
    assert dict(first.options)["imputations"] == 5
    assert dict(changed.options)["imputations"] == 3


def test_bad_input_is_a_message_not_an_exception(bundled_fp):
    bad_outcome = api.sensitivity(bundled_fp, "", "age")
    assert bad_outcome.selection is None and "unknown outcome 'age'" in bad_outcome.error
    bad_means = api.propensity(bundled_fp, "", "delta_pav", means="median")
    assert bad_means.selection is None and "unknown means" in bad_means.error
    bad_query = api.sensitivity(bundled_fp, "age=abc", "delta_pav")
    assert bad_query.selection is None and bad_query.error
    unknown = api.sensitivity("no-such-dataset", "", "delta_pav")
    assert unknown.selection is None and unknown.error
    # a selection too small for the main model: the analysis' reason, on a selection
    tiny = api.sensitivity(bundled_fp, "age=30-33", "delta_pav")
    assert tiny.value is None and tiny.selection is not None and tiny.error
    no_covariates = api.propensity(bundled_fp, "", "delta_pav", means="raw")
    assert no_covariates.value is None and "choose covariates" in no_covariates.error


def _holm_by_hand(p: np.ndarray) -> np.ndarray:
    """Holm (1979): sorted p_(j) times (m - j + 1), running maximum, capped at 1."""
    order = np.argsort(p)
    m = len(p)
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order]).clip(max=1.0)
    out = np.empty(m)
    out[order] = adjusted
    return out


def test_subgroups_carry_holm_and_bh_interaction_p(bundled_fp):
    res = api.subgroups(bundled_fp, "", "delta_pav")
    assert res.ok, res.error
    t = res.value.table
    cols = list(t.columns)
    assert cols[cols.index("p_interaction") + 1: cols.index("p_interaction") + 3] == \
        ["p_holm", "p_bh"]
    tested = t["p_interaction"].notna().to_numpy()
    raw = t.loc[tested, "p_interaction"].to_numpy(float)
    assert len(raw) == t.loc[tested, "variable"].nunique() >= 2
    # reference: statsmodels multipletests on the result's own raw p
    np.testing.assert_allclose(t.loc[tested, "p_holm"], multipletests(raw, method="holm")[1],
                               rtol=1e-12)
    np.testing.assert_allclose(t.loc[tested, "p_bh"], multipletests(raw, method="fdr_bh")[1],
                               rtol=1e-12)
    np.testing.assert_allclose(t.loc[tested, "p_holm"], _holm_by_hand(raw), rtol=1e-12)
    assert t.loc[~tested, ["p_holm", "p_bh"]].isna().all().all()
    assert "exploratory" in res.value.method
    assert any("exploratory" in n for n in res.value.notes)
