"""The kit's Sensitivity section: its numbers against api.sensitivity, against statsmodels
recomputed here from the exported rows, and against R; where it appears; its captions;
the progress of multiple imputation."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.display import format_num, format_p
from analysis.service import api
from reports.data_files import data_files
from reports.view import build_view
from reports.view_sensitivity import FIGURE_KEYS, SECTION, estimates_frame

COVARIATES = ["pav_baseline", "trial", "age", "sex", "diabetes", "prior_mi", "hdl_c"]


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300)


def _section(view):
    return ([f.key for f in view.figures if f.section == SECTION],
            [t.key for t in view.tables if t.section == SECTION])


def test_comparison_holds_the_section_by_default_and_any_view_on_request(
        default_view, filtered_view, fingerprint):
    assert default_view.sensitivity
    assert _section(default_view) == (list(FIGURE_KEYS),
                                      ["sensitivity_estimates", "propensity_balance"])
    assert not filtered_view.sensitivity and _section(filtered_view) == ([], [])
    off = build_view("/comparison", fingerprint, sensitivity=False)
    assert _section(off) == ([], []) and "sensitivity HC3 estimate" not in off.numbers
    on = build_view("/therapy?ldl_cut=80&sbp_cut=130&age=45-75", fingerprint, sensitivity=True)
    assert _section(on)[0] == list(FIGURE_KEYS)
    # the section follows the view's filters: n is the filtered selection's
    table = api.sensitivity(fingerprint, on.filter_query, "delta_pav").value
    assert on.numbers["sensitivity HC3 n"] == table["n"].iloc[1] == on.n


def test_estimates_table_shows_api_sensitivity_row_by_row(default_view, fingerprint):
    table = api.sensitivity(fingerprint, "", "delta_pav").value
    shown = next(t for t in default_view.tables if t.key == "sensitivity_estimates").frame
    assert list(shown["Analysis"]) == list(table["analysis"])
    assert len(shown) == 6                      # main, HC3, random trial, PS, MI, trend
    for (_i, r), (_j, s) in zip(table.iterrows(), shown.iterrows(), strict=True):
        assert s["Estimate (%)"] == format_num(r["estimate"], 3)
        assert s["95% CI"] == f"{format_num(r['ci_low'], 3)} to {format_num(r['ci_high'], 3)}"
        assert s["p"] == format_p(r["p"]) and s["Test"] == r["test"]
        assert s["n"] == f"{int(r['n']):,}"
    hc3 = table.set_index("analysis").loc["Robust SE (HC3)"]
    assert default_view.numbers["sensitivity HC3 estimate"] == hc3["estimate"]
    assert default_view.numbers["sensitivity HC3 SE"] == hc3["se"]


def test_an_analysis_that_cannot_run_says_why_in_its_row():
    table = pd.DataFrame([{"analysis": "Propensity-score weighting (stabilised ATE)",
                           "estimate": np.nan, "se": np.nan, "ci_low": np.nan,
                           "ci_high": np.nan, "p": np.nan, "test": "", "n": 0,
                           "note": "not estimated: needs at least one covariate",
                           "estimand": ""}])
    row = estimates_frame(table, "%").iloc[0]
    assert row["Estimate (%)"] == "not estimated" and "at least one covariate" in row["Test"]


def _exported(view) -> pd.DataFrame:
    rows = pd.read_csv(io.BytesIO(data_files(view)["data.csv"]), encoding="utf-8-sig")
    return rows[rows["calcification"].isin(["none", "spotty"])].dropna(
        subset=["delta_pav", *COVARIATES])


def _design(rows: pd.DataFrame) -> pd.DataFrame:
    """[1, spotty, covariates] with treatment-coded dummies (pandas, not the app's code)."""
    X = pd.get_dummies(rows[COVARIATES], columns=["trial", "sex"], drop_first=True,
                       dtype=float)
    X.insert(0, "spotty", (rows["calcification"] == "spotty").astype(float))
    return sm.add_constant(X.astype(float))


def test_hc3_numbers_equal_statsmodels_on_the_exported_rows(default_view):
    rows = _exported(default_view)
    # reference: statsmodels OLS with cov_type="HC3" (MacKinnon & White 1985), fitted here
    # on the kit's own data.csv; in a main-effects model spotty - none is the coefficient
    res = sm.OLS(rows["delta_pav"].to_numpy(float), _design(rows)).fit(cov_type="HC3",
                                                                       use_t=True)
    low, high = res.conf_int(alpha=0.05).loc["spotty"]
    want = {"estimate": res.params["spotty"], "SE": res.bse["spotty"], "CI low": low,
            "CI high": high, "p": res.pvalues["spotty"], "n": len(rows)}
    got = {k: default_view.numbers[f"sensitivity HC3 {k}"] for k in want}
    assert {k: v for k, v in got.items() if _rel(v, want[k]) > 1e-6} == {}


def test_ps_weighted_numbers_equal_statsmodels_wls_on_the_exported_rows(default_view):
    rows = _exported(default_view)
    X = _design(rows)
    treated = X["spotty"].to_numpy()
    # references: logistic GLM for the propensity score, stabilised ATE weights
    # (Robins et al. 2000) clipped at the 1st/99th percentiles, WLS with HC0 (White 1980)
    ps = sm.GLM(treated, X.drop(columns="spotty"), family=sm.families.Binomial()).fit()
    e = ps.fittedvalues.to_numpy()
    share = treated.mean()
    w = np.where(treated == 1, share / e, (1 - share) / (1 - e))
    assert default_view.sensitivity_options["trim"] == 1.0
    w = np.clip(w, *np.percentile(w, [1, 99]))
    res = sm.WLS(rows["delta_pav"].to_numpy(float), X, weights=w).fit(cov_type="HC0",
                                                                       use_t=True)
    assert _rel(default_view.numbers["sensitivity PS-weighted estimate"],
                res.params["spotty"]) < 1e-6
    assert _rel(default_view.numbers["sensitivity PS-weighted SE"], res.bse["spotty"]) < 1e-6
    assert _rel(default_view.numbers["sensitivity PS effective sample size"],
                w.sum() ** 2 / (w * w).sum()) < 1e-6


@pytest.mark.parametrize("analysis, row", [("hc3", "Robust SE (HC3)"),
                                           ("ps_wls", "Propensity-score weighting "
                                                      "(stabilised ATE)"),
                                           ("lmer", "Trial as random intercept (REML)"),
                                           ("trend", "Trend over deposits (LS-mean contrast)")])
def test_section_agrees_with_the_committed_r_references(analysis, row, fingerprint):
    from pathlib import Path

    ref_file = Path(__file__).resolve().parents[2] / "reference" / "sensitivity_contrasts.csv"
    refs = pd.read_csv(ref_file)
    # reference: R 4.2.2 sandwich::vcovHC / lm(weights=) / lme4::lmer (REML) / emmeans
    # contrast, tests/reference/sensitivity_reference.R on the bundled cohort
    ref = refs[(refs["case"] == "cohort_pav_default") & (refs["analysis"] == analysis)].iloc[0]
    table = api.sensitivity(fingerprint, "", "delta_pav").value.set_index("analysis")
    got = table.loc[row]
    for col in ("estimate", "se", "ci_low", "ci_high", "p"):
        assert _rel(float(got[col]), float(ref[col])) < 1e-6, col
    assert int(got["n"]) == int(ref["n"])


def test_captions_name_models_covariates_weighting_n_and_settings(default_view):
    forest = next(f for f in default_view.figures if f.key == "sensitivity_forest")
    text = forest.footnote.method
    assert forest.footnote.n == 1347
    for words in ("HC3", "random intercept", "propensity-score weighting",
                  "multiple imputation", "20 imputations", "seed 20120501",
                  "percentiles 1 and 99", "proportional weights",
                  "pav_baseline, trial, age, sex, diabetes, prior_mi, hdl_c"):
        assert words in text, words
    balance = next(f for f in default_view.figures if f.key == "propensity_balance")
    assert "effective sample size 1,023 of 1,347" in balance.footnote.method
    table = next(t for t in default_view.tables if t.key == "propensity_balance")
    assert "Austin & Stuart" in table.note and len(table.frame) == 12


def test_random_trial_fall_back_is_named_in_caption_and_table(fingerprint):
    view = build_view("/comparison?trial=TRIAL-A", fingerprint)
    forest = next(f for f in view.figures if f.key == "sensitivity_forest")
    assert "fixed-effect model (trial as a factor) is shown instead" in forest.footnote.method
    note = next(t for t in view.tables if t.key == "sensitivity_estimates").note
    assert "Random-intercept model not reported: only one trial" in note


@pytest.fixture(scope="module")
def incomplete(tmp_path_factory, fingerprint):
    """The bundled cohort with HDL-C missing for every 9th patient (so imputation runs)."""
    from analysis.data import registry
    from analysis.data.loader import load_dataset
    from analysis.settings import BUNDLED_COHORT

    raw = pd.read_csv(BUNDLED_COHORT, dtype=str, keep_default_na=False)
    raw.loc[raw.index % 9 == 0, "hdl_c"] = ""
    path = tmp_path_factory.mktemp("incomplete") / "cohort_missing_hdl.csv"
    raw.to_csv(path, index=False)
    return registry.register(load_dataset(path))


@pytest.fixture
def fresh_seed():
    """An imputation seed of this run only, so the result is not in the (file) cache from
    an earlier run; the settings are restored afterwards."""
    import time

    from analysis import settings

    before = settings.current()
    seed = int(time.time_ns() % 2_000_000_000)
    settings.configure(before.with_overrides(mi_seed=seed, mi_imputations=5))
    yield seed
    settings.configure(before)


def test_multiple_imputation_reports_each_imputation(incomplete, fresh_seed):
    messages: list[str] = []
    view = build_view("/comparison", incomplete, progress=messages.append)
    assert view.sensitivity_options["seed"] == fresh_seed
    m = int(view.sensitivity_options["imputations"])
    steps = [x for x in messages if x.startswith("Multiple imputation: imputation ")]
    assert steps == [f"Multiple imputation: imputation {i} of {m}" for i in range(1, m + 1)]
    # each analysis is named as it starts (the random intercept is the slow one at 100,000)
    assert "Sensitivity analysis 2 of 5: Trial as random intercept (REML)" in messages
    assert messages.index("Sensitivity analysis 4 of 5: Multiple imputation (chained "
                          "equations)") < messages.index(steps[0])
    table = api.sensitivity(incomplete, "", "delta_pav").value.set_index("analysis")
    mi = table.loc["Multiple imputation (chained equations)"]
    shown = next(t for t in view.tables if t.key == "sensitivity_estimates").frame
    row = shown[shown["Analysis"] == "Multiple imputation (chained equations)"].iloc[0]
    assert row["Estimate (%)"] == format_num(mi["estimate"], 3)
    # every patient analysed after imputation, fewer in the complete-case main model
    assert int(mi["n"]) == 1347 and view.numbers["ancova n used"] < 1347
    assert math.isclose(view.numbers["sensitivity HC3 n"], view.numbers["ancova n used"])
    # computed once: the cached result reports nothing the second time
    again: list[str] = []
    build_view("/comparison", incomplete, progress=again.append)
    assert not [x for x in again if x.startswith("Multiple imputation")]


def test_notes_are_said_once_with_the_analyses_they_apply_to():
    from reports.view_sensitivity import notes_text

    table = pd.DataFrame({"analysis": ["A", "B", "C"], "note": [
        "Covariate trial: constant; left out of the model",
        "Covariate trial: constant; left out of the model; Fell back.",
        "Covariate trial: constant; left out of the model"]})
    assert notes_text(table) == ("All analyses: Covariate trial: constant; left out of "
                                 "the model. B: Fell back.")
    assert notes_text(table.assign(note="")) == ""
