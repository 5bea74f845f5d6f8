"""Page callbacks through the Flask test client (POST /_dash-update-component)."""

from __future__ import annotations

import base64
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import statsmodels.formula.api as smf
from dash_callback_client import (
    AGE_SPEC,
    MEANS,
    OUTCOME,
    PRESENT,
    STORE,
    footnote_of,
    key,
    text_of,
)
from scipy import stats

from analysis.data.schema import GROUP_COLORS, SIMULATED_LABEL
from analysis.selection import FilterSpec, apply_filters
from analysis.selection.domain import domain_from_frame
from analysis.settings import DATA_DIR
from components import ids
from components.downloads import PARQUET_KEY
from components.filter_panel import category_names, range_names


def _response(data, component, prop):
    return data["response"][component][prop]




def test_overview_headline_follows_filters(caller, dataset):
    expected = apply_filters(dataset.frame, AGE_SPEC)  # independent: the filter itself
    status, data, _raw = caller.call("ov-ls-means.figure", {
        STORE: AGE_SPEC.to_query(), PRESENT: False, MEANS: "adjusted"})
    assert status == 200
    fig = _response(data, "ov-ls-means", "figure")
    assert [t["marker"]["color"] for t in fig["data"]] == [GROUP_COLORS["none"],
                                                           GROUP_COLORS["spotty"]]
    note = footnote_of(fig)
    assert "Age 50-70 years" in note
    assert SIMULATED_LABEL in note
    # the caption under the figure shows the same footnote
    shown = text_of(_response(data, "ov-ls-means-caption", "children"))
    assert "Age 50-70 years" in shown and SIMULATED_LABEL in shown
    counts = text_of(_response(data, "ov-counts", "children"))
    assert f"n = {expected.n_by_group['none']:,}" in counts
    assert f"n = {expected.n_by_group['spotty']:,}" in counts
    attrition = text_of(_response(data, "ov-attrition", "children"))
    assert "Complete cases for the ANCOVA" in attrition


def _y(trace) -> float:
    """First y value of a trace (plain list or plotly's base64 typed array)."""
    value = trace["y"]
    if isinstance(value, dict) and "bdata" in value:
        return float(np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])[0])
    return float(value[0])


def test_overview_raw_switch_changes_model(caller, dataset):
    _s, adjusted, _ = caller.call("ov-ls-means.figure", {STORE: {}, PRESENT: False,
                                                         MEANS: "adjusted"})
    _s, raw, _ = caller.call("ov-ls-means.figure", {STORE: {}, PRESENT: False, MEANS: "raw"})
    fa = _response(adjusted, "ov-ls-means", "figure")
    fr = _response(raw, "ov-ls-means", "figure")
    assert "LS mean" in fa["layout"]["yaxis"]["title"]["text"]
    assert fr["layout"]["yaxis"]["title"]["text"].startswith("Mean")
    # reference: plain pandas group means of ΔPAV over all none/spotty patients
    frame = dataset.frame
    raw_means = frame[frame["calcification"].isin(["none", "spotty"])].groupby(
        "calcification", observed=True)["delta_pav"].mean()
    assert [_y(t) for t in fr["data"]] == pytest.approx(
        [raw_means["none"], raw_means["spotty"]], abs=1e-9)
    # published_summary.json: adjusted ΔPAV LS means 0.02 (none) and 0.43 (spotty), which
    # differ from the raw means: the switch must change the plotted model
    assert [_y(t) for t in fa["data"]] == pytest.approx([0.02, 0.43], abs=0.03)
    assert _y(fa["data"][1]) != pytest.approx(_y(fr["data"][1]), abs=1e-3)


def test_overview_headline_reproduces_the_published_numbers_and_names_its_model(caller):
    # published_summary.json (data/): progression delta_pav LS mean ± SE spotty [0.43, 0.07],
    # none [0.02, 0.11], p 0.002; groups spotty n 922, none n 425
    published = json.loads((DATA_DIR / "published_summary.json").read_text())
    pav = next(r for r in published["progression"] if r["outcome"] == "delta_pav")
    groups = published["groups"]
    status, data, _ = caller.call("ov-ls-means.figure", {STORE: {}, PRESENT: False,
                                                         MEANS: "adjusted"})
    assert status == 200
    text = text_of(_response(data, "ov-headline", "children"))
    assert f"No calcification (n = {groups['none']['n']})" in text
    assert f"Spotty calcification (n = {groups['spotty']['n']})" in text
    assert f"+{pav['none'][0]:.2f} % LS mean" in text
    assert f"+{pav['spotty'][0]:.2f} % LS mean" in text
    # the p names its test; the adjusted means name model, covariates, weighting and n
    assert f"p = {pav['p']:.3f} (t-test of LS-mean difference (ANCOVA))" in text
    assert ("ANCOVA (OLS): delta_pav ~ calcification + pav_baseline + trial + age + sex + "
            "diabetes + prior_mi + hdl_c") in text
    assert "proportional weights" in text
    assert f"n = {groups['none']['n'] + groups['spotty']['n']}" in text


def _table_rows(node) -> list[list[str]]:
    """Rows (header first) of the first serialised html table under ``node``."""
    found: list[list[str]] = []

    def walk(n):
        if isinstance(n, list):
            for child in n:
                walk(child)
        elif isinstance(n, dict):
            if n.get("type") == "Tr":
                found.append([text_of(c) for c in n["props"]["children"]])
            else:
                walk(n.get("props", {}).get("children"))

    walk(node)
    return found


def test_baseline_table_against_pandas_and_scipy(caller, dataset):
    spec = FilterSpec(ranges=(("age", 50.0, 70.0),), categories=(("sex", ("male",)),))
    status, data, _ = caller.call("bl-table.children", {STORE: spec.to_query()})
    assert status == 200
    rows = _table_rows(_response(data, "bl-table", "children"))
    header = rows[0]
    frame = apply_filters(dataset.frame, spec).frame  # independent: the filter itself
    none = frame.loc[frame["calcification"] == "none", "hdl_c"].dropna()
    spotty = frame.loc[frame["calcification"] == "spotty", "hdl_c"].dropna()
    n_none, n_spotty = ((frame["calcification"] == g).sum() for g in ("none", "spotty"))
    assert header[2:4] == [f"No calcification (n={n_none:,})",
                           f"Spotty calcification (n={n_spotty:,})"]
    hdl = next(r for r in rows if r[0].startswith("HDL-C"))
    cell = dict(zip(header, hdl, strict=True))
    # reference: pandas mean ± SD (ddof 1), one decimal
    assert hdl[2] == f"{none.mean():.1f} ± {none.std(ddof=1):.1f}"
    assert hdl[3] == f"{spotty.mean():.1f} ± {spotty.std(ddof=1):.1f}"
    # reference: scipy.stats.ttest_ind(equal_var=False), shown with three decimals
    p = stats.ttest_ind(spotty, none, equal_var=False).pvalue
    assert cell["Test"] == "Welch t-test"
    assert cell["p"] == ("<0.001" if p < 0.001 else f"{p:.3f}")


def test_empty_selection_shows_message_not_traceback(caller):
    spec = FilterSpec(ranges=(("age", 119.0, 120.0),))
    status, data, _ = caller.call("ov-ls-means.figure", {STORE: spec.to_query(),
                                                         PRESENT: False, MEANS: "adjusted"})
    assert status == 200
    fig = _response(data, "ov-ls-means", "figure")
    assert fig["data"] == []
    assert fig["layout"]["annotations"][0]["text"]
    assert "Traceback" not in json.dumps(data)


def test_progression_sends_summaries_not_rows(caller, dataset):
    status, data, raw = caller.call("pr-distribution.figure", {
        STORE: {}, OUTCOME: "delta_pav", key(ids.option_id("chart"), "value"): "histogram",
        PRESENT: False, MEANS: "adjusted"})
    assert status == 200
    fig = _response(data, "pr-distribution", "figure")
    assert len(fig["data"]) == 2
    assert "ΔPAV (%)" in fig["layout"]["xaxis"]["title"]["text"]
    # 30 bins per group, whatever the cohort size
    assert len(raw) < 300_000
    paired = _response(data, "pr-paired", "figure")
    assert {t["name"] for t in paired["data"]} == {"No calcification", "Spotty calcification"}


def test_progression_summary_p_values_against_scipy(caller, dataset):
    status, data, _ = caller.call("pr-summary.children", {
        STORE: {}, OUTCOME: "delta_pav", key(ids.option_id("chart"), "value"): "histogram",
        PRESENT: False, MEANS: "adjusted"})
    assert status == 200
    text = text_of(_response(data, "pr-summary", "children"))
    f = dataset.frame
    spotty = f.loc[f["calcification"] == "spotty", "delta_pav"].dropna()
    none = f.loc[f["calcification"] == "none", "delta_pav"].dropna()
    # reference: scipy Welch t-test of the unadjusted difference
    welch = stats.ttest_ind(spotty, none, equal_var=False).pvalue
    assert f"p = {welch:.3f} (Welch t-test)" in text
    # reference: scipy chi-square (no Yates) on regressed (ΔPAV < 0) x group counts
    table = [[(spotty < 0).sum(), (spotty >= 0).sum()], [(none < 0).sum(), (none >= 0).sum()]]
    chi = stats.chi2_contingency(table, correction=False).pvalue
    assert f"p = {chi:.3f} (chi-square)" in text


def test_comparison_formula_lists_chosen_covariates(caller):
    status, data, _ = caller.call("cmp-ls-means.figure", {
        STORE: {}, OUTCOME: "delta_tav", key(ids.option_id("covar"), "value"): ["age", "sex"],
        MEANS: "adjusted", PRESENT: False})
    assert status == 200
    formula = text_of(_response(data, "cmp-formula", "children"))
    assert "delta_tav ~ calcification + tav_baseline + age + sex" in formula
    forest = _response(data, "cmp-forest", "figure")
    assert forest["layout"]["yaxis"]["ticktext"][0] == "Overall"


def test_therapy_cut_point_from_filter_spec(caller, dataset):
    spec = FilterSpec(ldl_cut=80.0)
    status, data, _ = caller.call("th-cells-ldl_intensive.figure", {
        STORE: spec.to_query(), OUTCOME: "delta_pav", MEANS: "adjusted", PRESENT: False})
    assert status == 200
    fig = _response(data, "th-cells-ldl_intensive", "figure")
    assert "< 80 mg/dl" in fig["layout"]["xaxis"]["title"]["text"]
    # reference: patsy OLS with the default covariates and LDL-C < 80 as the modifier;
    # the interaction p is the t-test of the group x modifier product term
    f = dataset.frame
    f = f[f["calcification"].isin(["none", "spotty"])]
    rows = pd.DataFrame({
        "y": f["delta_pav"], "g": f["calcification"].astype(str),
        "ldl": (f["ldl_c"] < 80).map({True: "intensive", False: "standard"}).astype(object),
        "pav": f["pav_baseline"], "trial": f["trial"].astype(str), "age": f["age"],
        "sex": f["sex"].astype(str), "hdl": f["hdl_c"],
        "dm": f["diabetes"].map({True: "yes", False: "no"}).astype(object),
        "mi": f["prior_mi"].map({True: "yes", False: "no"}).astype(object)}).dropna()
    ref = smf.ols("y ~ C(g) * C(ldl, Treatment('standard')) + pav + C(trial) + age + C(sex)"
                  " + C(dm) + C(mi) + hdl", data=rows).fit()
    p_ref = ref.pvalues["C(g)[T.spotty]:C(ldl, Treatment('standard'))[T.intensive]"]
    note = footnote_of(fig)
    assert f"Interaction p = {p_ref:.3f} (t-test of the calcification × ldl_intensive" in note
    assert f"n = {int(ref.nobs)}" in note


def _sync_values(domain, search, *, groups=None, stored=None):
    rng = key({"name": ["ALL"], "type": ids.RANGE}, "value")
    cat = key({"name": ["ALL"], "type": ids.CATEGORY}, "value")
    opt = key({"key": ["ALL"], "type": ids.PAGE_OPTION}, "value")
    r_ids = [{"type": ids.RANGE, "name": n} for n in range_names(domain)]
    c_ids = [{"type": ids.CATEGORY, "name": n} for n in category_names(domain)]
    o_ids = [ids.option_id("present"), ids.option_id("means")]
    return {
        key(ids.URL, "search"): search,
        rng: [(i, list(domain.bounds[i["name"]])) for i in r_ids],
        cat: [(i, list(domain.levels[i["name"]])) for i in c_ids],
        key(ids.GROUPS, "value"): groups or ["none", "spotty"],
        key(ids.LDL_THERAPY, "value"): "any", key(ids.SBP_THERAPY, "value"): "any",
        key(ids.LDL_CUT, "value"): 70, key(ids.SBP_CUT, "value"): 120,
        key(ids.MISSING, "value"): "exclude", key(ids.RESET, "n_clicks"): None,
        opt: [(o_ids[0], False), (o_ids[1], "adjusted")],
        key({"name": ["ALL"], "type": ids.RANGE}, "id"): [(i, i) for i in r_ids],
        key({"name": ["ALL"], "type": ids.CATEGORY}, "id"): [(i, i) for i in c_ids],
        key({"key": ["ALL"], "type": ids.PAGE_OPTION}, "id"): [(i, i) for i in o_ids],
        STORE: stored,
    }


def test_url_restores_filters_and_controls(caller, dataset):
    domain = domain_from_frame(dataset.frame)
    values = _sync_values(domain, "?age=50-70&sex=male&outcome=delta_tav&means=raw")
    status, data, _ = caller.call("filter-store.data", values, changed=["url.search"])
    assert status == 200
    store = _response(data, ids.FILTER_STORE, "data")
    spec = FilterSpec.from_query(store)
    assert spec == FilterSpec(ranges=(("age", 50, 70),), categories=(("sex", ("male",)),))
    ranges = data["response"]
    age_key = json.dumps({"name": "age", "type": ids.RANGE}, sort_keys=True,
                         separators=(",", ":"))
    assert ranges[age_key]["value"] == [50.0, 70.0]
    means_key = json.dumps(ids.option_id("means"), sort_keys=True, separators=(",", ":"))
    assert ranges[means_key]["value"] == "raw"


def test_control_change_writes_url_and_keeps_page_options(caller, dataset):
    domain = domain_from_frame(dataset.frame)
    values = _sync_values(domain, "?outcome=delta_tav", groups=["spotty", "none", "other"],
                          stored=FilterSpec().to_query())
    status, data, _ = caller.call("filter-store.data", values,
                                  changed=[f"{ids.GROUPS}.value"])
    assert status == 200
    search = _response(data, ids.URL, "search")
    assert search == "?groups=none,spotty,other&outcome=delta_tav"
    assert FilterSpec.from_query(_response(data, ids.FILTER_STORE, "data")).groups == (
        "none", "spotty", "other")


def test_bad_link_falls_back_with_message(caller, dataset):
    domain = domain_from_frame(dataset.frame)
    values = _sync_values(domain, "?age=old")
    status, data, _ = caller.call("filter-store.data", values, changed=["url.search"])
    assert status == 200
    assert "not understood" in text_of(_response(data, ids.FILTER_MESSAGE, "children"))
    assert FilterSpec.from_query(_response(data, ids.FILTER_STORE, "data")).is_empty


def test_grid_block_is_small_and_counts_filtered_rows(caller, dataset):
    expected = apply_filters(dataset.frame, AGE_SPEC).n
    status, data, raw = caller.call("data-grid.getRowsResponse", {
        key("data-grid", "getRowsRequest"): {"startRow": 0, "endRow": 100, "sortModel":
                                             [{"colId": "age", "sort": "desc"}],
                                             "filterModel": {}},
        STORE: AGE_SPEC.to_query(), key(ids.option_id("columns"), "value"): ["patient_id", "age"]})
    assert status == 200
    resp = _response(data, "data-grid", "getRowsResponse")
    assert resp["rowCount"] == expected
    assert len(resp["rowData"]) == 100
    ages = [r["age"] for r in resp["rowData"]]
    assert ages == sorted(ages, reverse=True) and max(ages) <= 70
    assert len(raw) < 300_000


def _download(caller, button: str, spec: FilterSpec):
    values = {key("data-csv", "n_clicks"): None, key("data-xlsx", "n_clicks"): None,
              key("data-parquet", "n_clicks"): None, STORE: spec.to_query()}
    values[key(button, "n_clicks")] = 1
    status, data, _ = caller.call("data-download.data", values, changed=[f"{button}.n_clicks"])
    assert status == 200
    out = _response(data, "data-download", "data")
    import base64

    return out["filename"], base64.b64decode(out["content"])


def test_csv_download_is_exactly_the_filtered_rows(caller, dataset):
    expected = apply_filters(dataset.frame, AGE_SPEC).frame
    name, content = _download(caller, "data-csv", AGE_SPEC)
    assert name.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        frame = pd.read_csv(zf.open("data.csv"))
        prov = zf.read("provenance.txt").decode()
    assert sorted(frame["patient_id"]) == sorted(expected["patient_id"])
    assert dataset.provenance.fingerprint in prov
    assert f"rows: {len(expected)}" in prov
    assert "Age 50-70 years" in prov


def test_excel_and_parquet_downloads_carry_provenance(caller, dataset):
    expected = apply_filters(dataset.frame, AGE_SPEC).frame
    name, content = _download(caller, "data-xlsx", AGE_SPEC)
    assert name.endswith(".xlsx")
    sheets = pd.read_excel(io.BytesIO(content), sheet_name=None)
    assert len(sheets["data"]) == len(expected)
    prov = dict(zip(sheets["provenance"]["field"], sheets["provenance"]["value"], strict=True))
    assert prov["dataset_fingerprint"] == dataset.provenance.fingerprint
    name, content = _download(caller, "data-parquet", AGE_SPEC)
    table = pq.read_table(io.BytesIO(content))
    assert table.num_rows == len(expected)
    meta = json.loads(table.schema.metadata[PARQUET_KEY])
    assert meta["rows"] == str(len(expected))


@pytest.mark.parametrize("path", ["/", "/baseline", "/progression", "/comparison",
                                  "/therapy", "/data", "/health"])
def test_pages_serve(client, path):
    assert client.get(path + "?age=50-70").status_code == 200


def test_page_option_goes_to_url_with_the_filters(caller):
    opt = key({"key": ["ALL"], "type": ids.PAGE_OPTION}, "value")
    o_ids = [ids.option_id("present"), ids.option_id("means"), ids.option_id("outcome")]
    values = {opt: [(o_ids[0], False), (o_ids[1], "raw"), (o_ids[2], "delta_tav")],
              key({"key": ["ALL"], "type": ids.PAGE_OPTION}, "id"): [(i, i) for i in o_ids],
              key(ids.URL, "search"): "?age=50-70"}
    status, data, _ = caller.call("url.search@", values)
    assert status == 200
    assert _response(data, ids.URL, "search") == "?age=50-70&outcome=delta_tav&means=raw"


def test_data_columns_live_in_the_url(caller):
    # a non-default column choice is written to the link ...
    opt = key({"key": ["ALL"], "type": ids.PAGE_OPTION}, "value")
    col_id = ids.option_id("columns")
    values = {opt: [(col_id, ["patient_id", "age", "delta_pav"])],
              key({"key": ["ALL"], "type": ids.PAGE_OPTION}, "id"): [(col_id, col_id)],
              key(ids.URL, "search"): ""}
    status, data, _ = caller.call("url.search@", values)
    assert status == 200
    assert _response(data, ids.URL, "search") == "?columns=patient_id,age,delta_pav"
    # ... and a link with it builds the Data page with those columns chosen
    status, data, _ = caller.call("page-content.children", {
        key(ids.URL, "pathname"): "/data",
        key(ids.URL, "search"): "?columns=patient_id,age,nonsense"})
    page = json.dumps(_response(data, ids.PAGE_CONTENT, "children"))
    assert '"value": ["patient_id", "age"]' in page  # the unknown name is dropped


def test_load_failure_shows_the_validation_report(dash_app, caller, client, tmp_path):
    import app as app_module
    from analysis import settings as settings_mod

    bad = tmp_path / "bad.csv"
    bad.write_text("patient_id,age\nA1,54\nA2,61\n")
    app_module.configure(settings_mod.Settings(data=str(bad), cache_type="SimpleCache"))
    try:
        assert client.get("/_dash-layout").status_code == 200
        status, data, _ = caller.call("ov-ls-means.figure", {
            STORE: {}, PRESENT: False, MEANS: "adjusted"})
        assert status == 200
        text = text_of(_response(data, "ov-provenance", "children"))
        assert "could not be loaded" in text
        assert "calcification" in text  # the report names the missing required column
        fig = _response(data, "ov-ls-means", "figure")
        assert fig["data"] == []
    finally:
        app_module.configure(settings_mod.Settings(cache_type="SimpleCache"))


def test_settings_cli_over_environment(dash_app):
    import app as app_module

    env = {"EXPLORER_PORT": "9001", "EXPLORER_HOST": "0.0.0.0", "CACHE_TYPE": "RedisCache"}
    s = app_module.parse_settings(["--port", "9100", "--cache-type", "SimpleCache"], env=env)
    assert (s.port, s.host, s.cache_type, s.debug) == (9100, "0.0.0.0", "SimpleCache", False)
    assert app_module.parse_settings(["--debug"], env={}).debug is True
    assert app_module.parse_settings([], env={}).host == "127.0.0.1"


def test_route_builds_the_page_with_url_options(caller):
    status, data, raw = caller.call("page-content.children", {
        key(ids.URL, "pathname"): "/comparison",
        key(ids.URL, "search"): "?age=50-70&outcome=delta_tav&covar=age,sex"})
    assert status == 200
    assert _response(data, ids.PAGE_TITLE, "data").startswith("Group comparison")
    page = json.dumps(_response(data, ids.PAGE_CONTENT, "children"))
    outcome_id = json.dumps(ids.option_id("outcome"))[1:-1]
    assert outcome_id.replace(" ", "") in page.replace(" ", "")
    assert '"value": "delta_tav"' in page and '"value": ["age", "sex"]' in page
    status, data, _ = caller.call("page-content.children", {
        key(ids.URL, "pathname"): "/nowhere", key(ids.URL, "search"): ""})
    assert "Page not found" in text_of(_response(data, ids.PAGE_CONTENT, "children"))


def test_back_to_an_older_url_resets_page_options(caller, dataset):
    domain = domain_from_frame(dataset.frame)
    values = _sync_values(domain, "?chart=ecdf")
    opt = key({"key": ["ALL"], "type": ids.PAGE_OPTION}, "value")
    o_ids = [ids.option_id("present"), ids.option_id("outcome"), ids.option_id("chart")]
    values[opt] = [(o_ids[0], True), (o_ids[1], "delta_tav"), (o_ids[2], "box")]
    values[key({"key": ["ALL"], "type": ids.PAGE_OPTION}, "id")] = [(i, i) for i in o_ids]
    status, data, _ = caller.call("filter-store.data", values, changed=["url.search"])
    assert status == 200

    def opt_value(oid):
        return data["response"][json.dumps(oid, sort_keys=True, separators=(",", ":"))]["value"]

    assert opt_value(o_ids[0]) is False          # present=0 (default) in that URL
    assert opt_value(o_ids[1]) == "delta_pav"    # default outcome
    assert opt_value(o_ids[2]) == "ecdf"


def test_small_groups_get_a_warning(caller, dataset):
    spec = FilterSpec(ranges=(("age", 75.0, None),))
    n = apply_filters(dataset.frame, spec).n_by_group
    assert min(n["none"], n["spotty"]) < 30  # the default small-n threshold
    status, data, _ = caller.call("ov-ls-means.figure", {STORE: spec.to_query(),
                                                         PRESENT: False, MEANS: "adjusted"})
    assert status == 200
    assert "Small groups" in text_of(_response(data, "ov-warning", "children"))


def test_reset_clears_filters_and_keeps_page_options(caller, dataset):
    domain = domain_from_frame(dataset.frame)
    values = _sync_values(domain, "?age=50-70&outcome=delta_tav",
                          stored=AGE_SPEC.to_query())
    values[key(ids.RESET, "n_clicks")] = 1
    status, data, _ = caller.call("filter-store.data", values, changed=[f"{ids.RESET}.n_clicks"])
    assert status == 200
    assert _response(data, ids.URL, "search") == "?outcome=delta_tav"
    assert FilterSpec.from_query(_response(data, ids.FILTER_STORE, "data")).is_empty
    age_key = json.dumps({"name": "age", "type": ids.RANGE}, sort_keys=True,
                         separators=(",", ":"))
    assert data["response"][age_key]["value"] == list(domain.bounds["age"])


def test_unexpected_error_becomes_a_message(caller, monkeypatch, caplog):
    """The user sees a short message and an error id; the server log holds the rest."""
    import re

    from analysis.service import api

    def broken(*args, **kwargs):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(api, "table_one", broken)
    with caplog.at_level("ERROR", logger="ivus_explorer"):
        status, data, raw = caller.call("bl-table.children", {STORE: "groups=none,spotty"})
    assert status == 200
    assert b"Traceback" not in raw
    assert b"simulated failure" not in raw and b"RuntimeError" not in raw
    alert = data["sideUpdate"][ids.ERROR_ALERT]
    assert alert["is_open"] is True
    error_id = re.search(r"error id ([0-9a-f]{12})", alert["children"]).group(1)
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and logged[0].exc_info[1].args == ("simulated failure",)
