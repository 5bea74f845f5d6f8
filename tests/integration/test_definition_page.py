"""The definition explorer and the definition in every page, through the Flask test client.

Group counts are checked against a plain pandas reading of the definition on the lesion
table (written here, never ``classify``); plotted numbers against the cached entries.
"""

from __future__ import annotations

import base64
import json
import types

import numpy as np
import pytest
from dash_callback_client import (
    MEANS,
    OUTCOME,
    PRESENT,
    STORE,
    WEIGHTS,
    footnote_of,
    key,
    text_of,
)

from analysis.selection import FilterSpec
from analysis.selection.domain import domain_from_frame
from analysis.service import api
from components import ids
from components.filter_panel import category_names, range_names

ARC, LENGTH, OTHER = key("def-arc", "value"), key("def-length", "value"), key("def-other",
                                                                            "value")
PUBLISHED = key("def-published", "n_clicks")
SEARCH = key(ids.URL, "search")


def _response(data, component, prop):
    return data["response"][component][prop]


def _values(array) -> np.ndarray:
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).astype(float)
    return np.array(array, dtype=float)


def _pandas_counts(dataset, arc, lo, hi, other) -> dict[str, int]:
    """n per group of the definition read literally from the lesion table."""
    les = dataset.lesions.assign(pid=dataset.lesions["patient_id"].astype(str))
    les["sp"] = (les["arc_deg"] < arc) & les["length_mm"].ge(lo) & les["length_mm"].le(hi)
    per = les.groupby("pid")["sp"].agg(["any", "all"])
    ids_ = dataset.frame["patient_id"].astype(str)
    has = ids_.isin(per.index)
    spotty = ids_.map(per["any"]).fillna(False).astype(bool)
    if other == "exclude":
        spotty &= ids_.map(per["all"]).fillna(False).astype(bool)
    return {"none": int((~has).sum()), "spotty": int((has & spotty).sum()),
            "other": int((has & ~spotty).sum())}


def _sync_values(domain, search, groups, stored):
    rng = key({"name": ["ALL"], "type": ids.RANGE}, "value")
    cat = key({"name": ["ALL"], "type": ids.CATEGORY}, "value")
    opt = key({"key": ["ALL"], "type": ids.PAGE_OPTION}, "value")
    r_ids = [{"type": ids.RANGE, "name": n} for n in range_names(domain)]
    c_ids = [{"type": ids.CATEGORY, "name": n} for n in category_names(domain)]
    o_ids = [ids.option_id("present")]
    return {
        SEARCH: search,
        rng: [(i, list(domain.bounds[i["name"]])) for i in r_ids],
        cat: [(i, list(domain.levels[i["name"]])) for i in c_ids],
        key(ids.GROUPS, "value"): groups,
        key(ids.LDL_THERAPY, "value"): "any", key(ids.SBP_THERAPY, "value"): "any",
        key(ids.LDL_CUT, "value"): 70, key(ids.SBP_CUT, "value"): 120,
        key(ids.MISSING, "value"): "exclude", key(ids.RESET, "n_clicks"): None,
        opt: [(o_ids[0], False)],
        key({"name": ["ALL"], "type": ids.RANGE}, "id"): [(i, i) for i in r_ids],
        key({"name": ["ALL"], "type": ids.CATEGORY}, "id"): [(i, i) for i in c_ids],
        key({"key": ["ALL"], "type": ids.PAGE_OPTION}, "id"): [(i, i) for i in o_ids],
        STORE: stored,
    }


def test_changing_a_filter_keeps_the_definition_in_the_link(caller, dataset):
    domain = domain_from_frame(dataset.frame)
    values = _sync_values(domain, "?spotty_arc=120&outcome=delta_tav",
                          ["none", "spotty", "other"], "spotty_arc=120")
    status, data, _ = caller.call("filter-store.data", values, changed=[f"{ids.GROUPS}.value"])
    assert status == 200
    assert _response(data, ids.URL, "search") == (
        "?groups=none,spotty,other&spotty_arc=120&outcome=delta_tav")
    assert FilterSpec.from_query(_response(data, ids.FILTER_STORE, "data")).definition.max_arc == 120


def test_reset_goes_back_to_the_published_definition(caller, dataset):
    domain = domain_from_frame(dataset.frame)
    values = _sync_values(domain, "?spotty_arc=120", ["none", "spotty"], "spotty_arc=120")
    values[key(ids.RESET, "n_clicks")] = 1
    status, data, _ = caller.call("filter-store.data", values, changed=[f"{ids.RESET}.n_clicks"])
    assert status == 200
    assert _response(data, ids.FILTER_STORE, "data") == ""


@pytest.mark.parametrize("query, definition", [
    ("spotty_arc=120", (120, 1, 4, "exclude")),
    ("spotty_len=0.5-6&spotty_other=allow", (90, 0.5, 6, "allow"))])
def test_overview_and_comparison_follow_the_definition(caller, dataset, query, definition):
    want = _pandas_counts(dataset, *definition)
    published = _pandas_counts(dataset, 90, 1, 4, "exclude")
    assert want["spotty"] != published["spotty"]  # the definition moves patients
    status, data, _ = caller.call("ov-ls-means.figure", {STORE: query, PRESENT: False,
                                                         MEANS: "adjusted"})
    assert status == 200
    counts = text_of(_response(data, "ov-counts", "children"))
    assert f"Spotty calcification: n = {want['spotty']:,}" in counts
    assert f"No calcification: n = {want['none']:,}" in counts
    note = footnote_of(_response(data, "ov-ls-means", "figure"))
    assert f"n = {want['spotty'] + want['none']:,}" in note
    assert "Spotty calcification: a deposit" in note  # the definition is in the footnote
    attrition = text_of(_response(data, "ov-attrition", "children"))
    assert str(want["other"]) in attrition  # the group step excludes the new "other"
    status, data, _ = caller.call("cmp-ls-means.figure", {
        STORE: query, OUTCOME: "delta_pav", key(ids.option_id("covar"), "value"): ["age"],
        MEANS: "adjusted", PRESENT: False, WEIGHTS: "proportional"})
    assert status == 200
    ticks = json.dumps(_response(data, "cmp-ls-means", "figure")["data"])
    assert f"n = {want['spotty']:,}" in ticks and f"n = {want['none']:,}" in ticks


def test_controls_write_the_definition_into_the_link(caller):
    values = {ARC: 120, LENGTH: [1, 6], OTHER: "exclude", PUBLISHED: None,
              SEARCH: "?age=50-70&present=1"}
    status, data, _ = _call_controls(caller, values, ARC)
    assert status == 200
    assert _response(data, "def-url", "search") == (
        "?age=50-70&spotty_arc=120&spotty_len=1-6&present=1")
    values.update({PUBLISHED: 1, SEARCH: "?age=50-70&spotty_arc=120&present=1"})
    status, data, _ = _call_controls(caller, values, PUBLISHED)
    assert _response(data, "def-url", "search") == "?age=50-70&present=1"
    # nothing to change: no update (no loop between the store and the controls)
    values.update({ARC: 90, LENGTH: [1, 4], PUBLISHED: None, SEARCH: "?age=50-70"})
    status, _data, _ = _call_controls(caller, values, ARC)
    assert status == 204


def _call_controls(caller, values, changed):
    dep = caller.find("def-url.search")
    body = {"output": dep["output"], "outputs": {"id": "def-url", "property": "search"},
            "inputs": [caller._item(i["id"], i["property"], values) for i in dep["inputs"]],
            "state": [caller._item(i["id"], i["property"], values) for i in dep["state"]],
            "changedPropIds": [changed]}
    r = caller.client.post("/_dash-update-component", json=body)
    return r.status_code, (json.loads(r.data) if r.status_code == 200 else None), r.data


def test_store_sets_the_controls(caller):
    status, data, _ = caller.call("def-arc.value", {STORE: "spotty_arc=45&spotty_len=0.5-6"})
    assert status == 200
    assert _response(data, "def-arc", "value") == 45
    assert _response(data, "def-length", "value") == [0.5, 6]
    assert _response(data, "def-other", "value") == "exclude"
    assert "0.5-6 mm" in text_of(_response(data, "def-words", "children"))


def _page(caller, query, present=False):
    status, data, raw = caller.call("def-flow.figure", {
        STORE: query, PRESENT: present, MEANS: "adjusted", WEIGHTS: "proportional"})
    assert status == 200, raw[:400]
    return data["response"]


def test_page_shows_flow_headline_and_curves_of_the_definition(caller, dataset):
    query = "spotty_arc=120"
    out = _page(caller, query)
    want = _pandas_counts(dataset, 120, 1, 4, "exclude")
    table = text_of(out["def-flow-table"]["children"])
    flow = api.definition_flow(dataset.provenance.fingerprint, query).value.table
    assert int(flow["spotty"].sum()) == want["spotty"]
    # published x chosen counts: 922 stay spotty, 425 stay none, the rest of the new
    # spotty patients come from "other" (the bundled deposits only widen with the arc)
    moved = want["spotty"] - 922
    assert flow.loc["other", "spotty"] == moved > 0
    assert f"Other calcification (published) 0 {moved} {500 - moved}" in table
    sankey = out["def-flow"]["figure"]["data"][0]
    assert sum(sankey["link"]["value"]) == len(dataset.frame)
    headline = text_of(out["def-headline"]["children"])
    con = api.ancova(dataset.provenance.fingerprint, query, "delta_pav").value.contrast.iloc[0]
    assert f"+{con['estimate']:.2f} %" in headline
    # the arc curve plots the cached curve; its caption names model, n and definition
    curve = api.definition_curve(dataset.provenance.fingerprint, query).value.curve
    arc = curve[curve["axis"] == "arc"]
    fig = out["def-curve-arc"]["figure"]
    line = next(t for t in fig["data"] if t.get("mode") == "lines+markers")
    assert _values(line["y"]) == pytest.approx(arc["estimate"].to_numpy(), rel=1e-12)
    cap = text_of(out["def-curve-arc-caption"]["children"])
    assert f"n = {want['spotty'] + want['none']:,}" in cap
    assert "ANCOVA (OLS)" in cap and "arc < 120°" in cap
    assert out["def-notice"]["children"] is None
    assert out["def-arc"]["disabled"] is False


def test_presentation_mode_uses_the_presentation_template(caller):
    out = _page(caller, "spotty_other=allow", present=True)
    for graph in ("def-flow", "def-difference", "def-curve-arc", "def-curve-length"):
        assert out[graph]["figure"]["layout"]["template"]["layout"]["font"]["size"] == 20, graph


def test_without_lesion_file_the_page_says_how_to_provide_one(caller, monkeypatch):
    from pages import definition as page

    real = api.provenance
    monkeypatch.setattr(page.api, "provenance",
                        lambda fp: types.SimpleNamespace(**{**vars(real(fp)), "lesion_rows": None}))
    out = _page(caller, "")
    notice = text_of(out["def-notice"]["children"])
    assert "no lesion file" in notice and "Open a study" in notice and "--lesions" in notice
    assert out["def-arc"]["disabled"] is True


def test_bad_link_keeps_the_page_alive(caller):
    out = _page(caller, "spotty_arc=abc")
    assert "spotty_arc" in text_of(out["def-headline"]["children"])


def test_pandas_reference_reproduces_the_bundled_groups(dataset):
    # the reference used above gives the file's own groups at the published definition
    got = _pandas_counts(dataset, 90, 1, 4, "exclude")
    assert got == dataset.frame["calcification"].astype(str).value_counts().to_dict()


def test_controls_never_rewrite_a_link_they_only_show(caller):
    # spotty_arc=5.3 and 0.2-23 mm are valid in a link but outside the sliders' ranges
    # (10-360°, 0-20 mm, steps 1 and 0.5): the sliders show them clamped, and that
    # must not be written back as a new definition every page would then follow
    search = "?spotty_arc=5.3&spotty_len=0.2-23"
    values = {ARC: 10, LENGTH: [0, 20], OTHER: "exclude", PUBLISHED: None, SEARCH: search}
    status, _data, _raw = caller.call("def-url.search", values, changed=[ARC])
    assert status == 204
    values[ARC] = 30  # a real move is written
    status, data, _raw = caller.call("def-url.search", values, changed=[ARC])
    assert status == 200
    assert "spotty_arc=30" in data["response"]["def-url"]["search"]
