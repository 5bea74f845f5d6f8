"""The Comparison page's Sensitivity section through the Flask test client.

The Run button is pressed by POSTing its callback as the browser does; the plotted
numbers are compared with the cached API entries the page composes.
"""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest
from dash_callback_client import (
    AGE_SPEC,
    MEANS,
    OUTCOME,
    PRESENT,
    STORE,
    WEIGHTS,
    footnote_of,
    key,
    text_of,
)

from analysis.service import api
from components import ids

RUN = key("cmp-sens-run", "n_clicks")
COVAR = key(ids.option_id("covar"), "value")
SENS_FOR = key("cmp-sens-for", "data")
#: Covariates ticked in the picker (the outcome's baseline value is always added).
PICKED = ["age", "sex", "trial"]
MODEL = ("pav_baseline", "age", "sex", "trial")


def _values(array) -> np.ndarray:
    """A trace array as floats (plain list, or plotly's base64 typed array)."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).astype(float)
    return np.array([np.nan if v is None else v for v in array], dtype=float)


def _plain(label: str) -> str:
    """A tick label as plain text: tags removed, line breaks as spaces."""
    return re.sub(r"<[^>]+>", "", label.replace("<br>", " "))


def _run(caller, query: str, means: str = "adjusted"):
    """Press Run: the answer is a background job, polled as dash-renderer does."""
    values = {RUN: 1, STORE: query, OUTCOME: "delta_pav", COVAR: PICKED, MEANS: means,
              PRESENT: False, WEIGHTS: "proportional"}
    return caller.call_job("cmp-sens-forest.figure", values, [RUN])


def test_sensitivity_runs_only_when_the_button_is_pressed(dependencies):
    sens = [d for d in dependencies if "cmp-sens-forest.figure" in d["output"]]
    assert len(sens) == 1
    assert sens[0]["inputs"] == [{"id": "cmp-sens-run", "property": "n_clicks"}]
    assert sens[0]["prevent_initial_call"] is True
    # the filter-driven callbacks of the page never write a sensitivity output
    # (Dash's own callback behind the background job's Cancel button, output "<id>.id",
    # computes nothing)
    others = [d for d in dependencies if "cmp-sens-" in d["output"] and d is not sens[0]
              and d["output"] != "cmp-sens-cancel.id"]
    assert [d["output"] for d in others] == ["cmp-sens-status.children"]


def test_run_plots_the_api_numbers_and_names_each_test(caller, dataset):
    query = AGE_SPEC.to_query()
    response = _run(caller, query)
    fig = response["cmp-sens-forest"]["figure"]
    expected = api.sensitivity(dataset.provenance.fingerprint, query, "delta_pav", MODEL,
                               "proportional", "adjusted").value
    trend = expected["analysis"].str.startswith("Trend")
    # top panel: main model and the four spotty - none analyses; bottom: the trend
    np.testing.assert_allclose(_values(fig["data"][0]["x"]),
                               expected.loc[~trend, "estimate"], rtol=1e-12)
    np.testing.assert_allclose(_values(fig["data"][1]["x"]),
                               expected.loc[trend, "estimate"], rtol=1e-12)
    labels = list(fig["data"][0]["y"]) + list(fig["data"][1]["y"])
    ordered = list(expected.loc[~trend].itertuples()) + list(expected.loc[trend].itertuples())
    assert len(labels) == len(ordered) == 6
    for label, row in zip(labels, ordered, strict=True):
        assert _plain(label) == f"{row.analysis} {row.test} · n = {row.n:,}"
    # the error bars are the API's 95% CI
    err = fig["data"][0]["error_x"]
    np.testing.assert_allclose(_values(err["array"]),
                               expected.loc[~trend, "ci_high"] - expected.loc[~trend, "estimate"],
                               rtol=1e-9)
    table = text_of(response["cmp-sens-table"]["children"])
    for test in expected["test"]:
        assert test in table
    note = footnote_of(fig)
    assert "Age 50-70 years" in note and "imputations" in note


def test_run_shows_the_propensity_balance(caller, dataset):
    query = AGE_SPEC.to_query()
    response = _run(caller, query)
    prop = api.propensity(dataset.provenance.fingerprint, query, "delta_pav", MODEL).value
    fig = response["cmp-sens-balance"]["figure"]
    np.testing.assert_allclose(_values(fig["data"][0]["x"]), prop.balance["smd_before"],
                               rtol=1e-12)
    np.testing.assert_allclose(_values(fig["data"][1]["x"]), prop.balance["smd_after"],
                               rtol=1e-12)
    assert list(fig["data"][0]["y"])[:2] == ["Baseline PAV", "Age"]
    table = text_of(response["cmp-sens-balance-table"]["children"])
    assert "SMD before" in table and "Sex: male" in table
    notes = text_of(response["cmp-sens-notes"]["children"])
    assert "effective sample size" in notes


def test_one_trial_shows_the_mixed_model_fallback_note(caller):
    response = _run(caller, "trial=TRIAL-A")
    notes = text_of(response["cmp-sens-notes"]["children"])
    assert "Random-intercept model not reported" in notes
    assert "only one trial" in notes
    labels = [_plain(y) for y in response["cmp-sens-forest"]["figure"]["data"][0]["y"]]
    assert "Trial as random intercept (REML) Wald" not in labels[2]
    assert "(fixed-effect fall-back)" in labels[2]


def test_raw_means_say_why_propensity_weighting_is_missing(caller):
    response = _run(caller, "", means="raw")
    notes = text_of(response["cmp-sens-notes"]["children"])
    assert "needs at least one covariate" in notes
    balance = response["cmp-sens-balance"]["figure"]
    assert "choose covariates" in balance["layout"]["annotations"][0]["text"]


@pytest.mark.parametrize("changed_query, stale", [(None, False), ("sex=male", True)])
def test_status_says_when_results_are_for_another_view(caller, changed_query, stale):
    query = AGE_SPEC.to_query()
    computed_for = _run(caller, query)["cmp-sens-for"]["data"]
    status, data, _ = caller.call("cmp-sens-status.children", {
        SENS_FOR: computed_for, STORE: changed_query or query, OUTCOME: "delta_pav",
        COVAR: PICKED, MEANS: "adjusted", WEIGHTS: "proportional"})
    assert status == 200
    if stale:
        assert "press Run again" in text_of(data["response"]["cmp-sens-status"]["children"])
    else:
        # no_update-free answer: the status is emptied
        assert data["response"]["cmp-sens-status"]["children"] is None


def test_subgroup_forest_shows_adjusted_p_and_says_exploratory(caller, dataset):
    status, data, _ = caller.call("cmp-ls-means.figure", {
        STORE: "", OUTCOME: "delta_pav", COVAR: [], MEANS: "adjusted", PRESENT: False,
        WEIGHTS: "proportional"})
    assert status == 200
    forest = data["response"]["cmp-forest"]["figure"]
    sub = api.subgroups(dataset.provenance.fingerprint, "", "delta_pav", ("pav_baseline",),
                        "proportional").value.table
    texts = [a["text"] for a in forest["layout"]["annotations"]]
    tested = sub["p_interaction"].notna().to_numpy()
    assert tested.sum() >= 2
    for _, row in sub[tested].iterrows():
        # the Holm / BH column of the forest (reference: the API's adjusted p, formatted)
        holm = "< 0.001" if row["p_holm"] < 0.001 else f"{min(row['p_holm'], 1):.3f}"
        bh = "< 0.001" if row["p_bh"] < 0.001 else f"{min(row['p_bh'], 1):.3f}"
        assert f"{holm} / {bh}" in texts
    assert "subgroup analyses are exploratory" in footnote_of(forest)
