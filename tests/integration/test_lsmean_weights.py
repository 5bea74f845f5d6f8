"""The LS-mean weighting option (navbar "LS-mean weights") through the page callbacks.

Reference for every expected number: the analysis functions called directly on the
frame that :func:`analysis.selection.apply_filters` selects (emmeans' ``weights =
"equal"`` / ``"proportional"`` reference grids), never the page's own output.
"""

from __future__ import annotations

import base64
import json

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

from analysis.data.schema import GROUP_LABELS
from analysis.errors import AnalysisError
from analysis.selection import FilterSpec, apply_filters
from analysis.selection.domain import domain_from_frame
from analysis.service.model_options import model_options
from analysis.stats.linear.ancova import ancova
from analysis.stats.linear.dose_response import dose_response
from analysis.stats.linear.interactions import continuous_interaction
from components import ids
from components.filter_panel import category_names, range_names
from components.url_state import decode_option, merge_query, split_query

OPT_VALUES = key({"key": ["ALL"], "type": ids.PAGE_OPTION}, "value")
OPT_IDS = key({"key": ["ALL"], "type": ids.PAGE_OPTION}, "id")


def _array(value) -> np.ndarray:
    """A plotly data array from the JSON answer (plain list or base64 typed array)."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value, dtype=float)




def _figure(data, component):
    return data["response"][component]["figure"]


def _ls_by_group(fig) -> dict[str, float]:
    """Group label -> plotted LS mean (one marker trace per group)."""
    return {t["name"]: float(_array(t["y"])[0]) for t in fig["data"]}


def _expected_ls(result) -> dict[str, float]:
    ls = result.ls_means
    return {GROUP_LABELS[str(g)]: float(v) for g, v in zip(ls["level"], ls["ls_mean"],
                                                         strict=True)}


def _overview(caller, weights, means="adjusted", spec=AGE_SPEC):
    status, data, _ = caller.call("ov-ls-means.figure", {
        STORE: spec.to_query(), PRESENT: False, MEANS: means, WEIGHTS: weights})
    assert status == 200
    return data


# ------------------------------------------------------------------------------- models
def test_equal_weights_reach_the_overview_model(caller, dataset):
    frame = apply_filters(dataset.frame, AGE_SPEC).frame
    before = frame.copy()
    equal = ancova(frame, "delta_pav", weights="equal")          # reference
    proportional = ancova(frame, "delta_pav", weights="proportional")
    assert frame.equals(before)  # the reference fits leave the frame as it was
    fig_eq = _figure(_overview(caller, "equal"), "ov-ls-means")
    fig_pr = _figure(_overview(caller, "proportional"), "ov-ls-means")
    assert _ls_by_group(fig_eq) == pytest.approx(_expected_ls(equal), abs=1e-9)
    assert _ls_by_group(fig_pr) == pytest.approx(_expected_ls(proportional), abs=1e-9)
    # the weighting matters on this cohort (trial, sex, ... are unbalanced factors)
    diff = [abs(_ls_by_group(fig_eq)[g] - _ls_by_group(fig_pr)[g]) for g in _ls_by_group(fig_eq)]
    assert min(diff) > 0.01
    assert "equal weights" in footnote_of(fig_eq)
    assert "proportional weights" in footnote_of(fig_pr)
    headline = text_of(_overview(caller, "equal")["response"]["ov-headline"]["children"])
    assert "LS means with equal weights" in headline


def test_equal_weights_reach_comparison_and_subgroups(caller, dataset):
    covar = ("pav_baseline", "age", "sex", "trial")
    frame = apply_filters(dataset.frame, AGE_SPEC).frame
    expected = ancova(frame, "delta_pav", covar=covar, weights="equal")  # reference
    status, data, _ = caller.call("cmp-ls-means.figure", {
        STORE: AGE_SPEC.to_query(), OUTCOME: "delta_pav", MEANS: "adjusted",
        key(ids.option_id("covar"), "value"): list(covar[1:]), PRESENT: False,
        WEIGHTS: "equal"})
    assert status == 200
    fig = _figure(data, "cmp-ls-means")
    assert _ls_by_group(fig) == pytest.approx(_expected_ls(expected), abs=1e-9)
    assert "equal weights" in text_of(data["response"]["cmp-formula"]["children"])
    assert "LS means with equal weights" in footnote_of(_figure(data, "cmp-forest"))


def test_equal_weights_reach_therapy_curves_and_dose_response(caller, dataset):
    frame = apply_filters(dataset.frame, FilterSpec()).frame
    status, data, _ = caller.call("th-cells-ldl_intensive.figure", {
        STORE: {}, OUTCOME: "delta_pav", MEANS: "adjusted", PRESENT: False,
        WEIGHTS: "equal"})
    assert status == 200
    assert "equal weights" in footnote_of(_figure(data, "th-cells-ldl_intensive"))
    curve_fig = _figure(data, "th-curve-ldl_intensive")
    assert "(equal weights)" in footnote_of(curve_fig)
    curve = continuous_interaction(frame, "delta_pav", "ldl_c", weights="equal").curve
    fitted = {t["name"]: _array(t["y"]) for t in curve_fig["data"] if t.get("mode") == "lines"}
    for level in ("none", "spotty"):
        ref = curve[curve["group"] == level].sort_values("x")["fit"].to_numpy()
        assert fitted[GROUP_LABELS[level]] == pytest.approx(ref, abs=1e-9)

    status, data, _ = caller.call("pr-dose.figure", {
        STORE: {}, OUTCOME: "delta_pav", key(ids.option_id("chart"), "value"): "histogram",
        PRESENT: False, MEANS: "adjusted", WEIGHTS: "equal"})
    assert status == 200
    dose_fig = _figure(data, "pr-dose")
    ref = dose_response(frame, "delta_pav", weights="equal").table["ls_mean"].to_numpy()
    ls = next(t for t in dose_fig["data"] if t["name"] == "LS mean ± 95% CI")
    assert _array(ls["y"]) == pytest.approx(ref, abs=1e-9)
    assert "(equal weights)" in footnote_of(dose_fig)


def test_raw_means_ignore_the_weighting(caller, dataset):
    raw_eq = _figure(_overview(caller, "equal", means="raw"), "ov-ls-means")
    raw_pr = _figure(_overview(caller, "proportional", means="raw"), "ov-ls-means")
    assert _ls_by_group(raw_eq) == _ls_by_group(raw_pr)
    # reference: plain pandas group means of ΔPAV over the age 50-70 selection
    frame = apply_filters(dataset.frame, AGE_SPEC).frame
    raw = frame.groupby("calcification", observed=True)["delta_pav"].mean()
    assert _ls_by_group(raw_eq) == pytest.approx(
        {GROUP_LABELS[g]: raw[g] for g in ("none", "spotty")}, abs=1e-9)
    # the rule behind it: raw means fit no covariates, and report the default weighting
    assert model_options("raw", None, "equal") == ((), "proportional")
    assert model_options("adjusted", None, "equal") == (None, "equal")
    with pytest.raises(AnalysisError, match="unknown weighting 'weird'"):
        model_options("adjusted", None, "weird")


# ------------------------------------------------------------------------------- control
def _enabled(caller, means):
    status, data, _ = caller.call("weights-group.title", {MEANS: means})
    assert status == 200
    return data["response"]


def test_weights_control_disabled_for_raw_means(caller):
    opt_key = json.dumps(ids.option_id("weights"), sort_keys=True, separators=(",", ":"))
    raw = _enabled(caller, "raw")
    assert [o["disabled"] for o in raw[opt_key]["options"]] == [True, True]
    assert raw["weights-group"]["aria-disabled"] == "true"
    assert "do not apply to raw means" in raw["weights-group"]["title"]
    adjusted = _enabled(caller, "adjusted")
    assert [o["disabled"] for o in adjusted[opt_key]["options"]] == [False, False]
    assert [o["value"] for o in adjusted[opt_key]["options"]] == ["proportional", "equal"]
    help_text = adjusted["weights-group"]["title"]
    assert "observed frequencies" in help_text and "SAS LSMEANS" in help_text


# ------------------------------------------------------------------------------- URL
def test_weights_option_goes_to_the_url_and_default_is_omitted(caller):
    o_ids = [ids.option_id("means"), ids.option_id("weights")]
    for weights, expected in (("equal", "?age=50-70&weights=equal"),
                              ("proportional", "?age=50-70")):
        status, data, _ = caller.call("url.search@", {
            OPT_VALUES: [(o_ids[0], "adjusted"), (o_ids[1], weights)],
            OPT_IDS: [(i, i) for i in o_ids],
            key(ids.URL, "search"): "?age=50-70&weights=equal" if weights != "equal"
            else "?age=50-70"})
        assert status == 200
        assert data["response"][ids.URL]["search"] == expected


def _sync(caller, dataset, search):
    domain = domain_from_frame(dataset.frame)
    r_ids = [{"type": ids.RANGE, "name": n} for n in range_names(domain)]
    c_ids = [{"type": ids.CATEGORY, "name": n} for n in category_names(domain)]
    o_ids = [ids.option_id("means"), ids.option_id("weights")]
    values = {
        key(ids.URL, "search"): search,
        key({"name": ["ALL"], "type": ids.RANGE}, "value"):
            [(i, list(domain.bounds[i["name"]])) for i in r_ids],
        key({"name": ["ALL"], "type": ids.CATEGORY}, "value"):
            [(i, list(domain.levels[i["name"]])) for i in c_ids],
        key(ids.GROUPS, "value"): ["none", "spotty"],
        key(ids.LDL_THERAPY, "value"): "any", key(ids.SBP_THERAPY, "value"): "any",
        key(ids.LDL_CUT, "value"): 70, key(ids.SBP_CUT, "value"): 120,
        key(ids.MISSING, "value"): "exclude", key(ids.RESET, "n_clicks"): None,
        OPT_VALUES: [(o_ids[0], "adjusted"), (o_ids[1], "equal")],
        key({"name": ["ALL"], "type": ids.RANGE}, "id"): [(i, i) for i in r_ids],
        key({"name": ["ALL"], "type": ids.CATEGORY}, "id"): [(i, i) for i in c_ids],
        OPT_IDS: [(i, i) for i in o_ids],
        STORE: None,
    }
    status, data, _ = caller.call("filter-store.data", values, changed=["url.search"])
    assert status == 200
    key_of = json.dumps(ids.option_id("weights"), sort_keys=True, separators=(",", ":"))
    return data["response"][key_of]["value"]


def test_link_restores_weights_and_back_resets_them(caller, dataset):
    # a copied link with weights=equal sets the control
    assert _sync(caller, dataset, "?sex=male&weights=equal") == "equal"
    # back to an older URL without the key: the control returns to the default
    assert _sync(caller, dataset, "?sex=male") == "proportional"
    # a mangled value gives the default, not an unselectable radio value
    assert _sync(caller, dataset, "?weights=EQUALISH") == "proportional"


def test_url_helpers_round_trip_the_weights():
    filt, opts = split_query("?age=50-70&weights=equal&means=adjusted")
    assert filt == "age=50-70" and opts == {"weights": "equal", "means": "adjusted"}
    assert merge_query(filt, opts) == "?age=50-70&weights=equal"
    assert merge_query(filt, {"weights": "proportional"}) == "?age=50-70"
    assert decode_option("weights", None) == "proportional"
    assert decode_option("weights", "equal") == "equal"
    assert decode_option("weights", "bogus") == "proportional"
