"""The filter panel from the dictionary, its spec <-> controls mapping, the URL options."""

from __future__ import annotations

import pandas as pd
import pytest
from dash import dcc

from analysis.errors import FilterSpecError
from analysis.selection import FilterSpec
from analysis.selection.canonical import CATEGORY_VARIABLES, RANGE_VARIABLES
from analysis.selection.domain import domain_from_frame
from components import ids
from components.filter_panel import (
    category_names,
    control_values,
    filter_panel,
    range_names,
    spec_from_controls,
)
from components.url_state import merge_query, split_query


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    if children is None:
        return
    if not isinstance(children, list | tuple):
        children = [children]
    for child in children:
        if hasattr(child, "to_plotly_json"):
            yield from _walk(child)


@pytest.fixture(scope="module")
def domain(sim_cohort):
    return domain_from_frame(sim_cohort)


def _controls(domain, values):
    return dict(
        ranges=values["ranges"], range_ids=[ids.range_id(n) for n in range_names(domain)],
        categories=values["categories"],
        category_ids=[ids.category_id(n) for n in category_names(domain)],
        groups=values["groups"], ldl_therapy=values["ldl_therapy"],
        sbp_therapy=values["sbp_therapy"], ldl_cut=values["ldl_cut"],
        sbp_cut=values["sbp_cut"], missing=values["missing"])


def test_domain_covers_the_data_and_does_not_mutate(sim_cohort):
    before = sim_cohort.copy()
    dom = domain_from_frame(sim_cohort)
    pd.testing.assert_frame_equal(sim_cohort, before)
    lo, hi = dom.bounds["age"]
    assert lo <= sim_cohort["age"].min() and hi >= sim_cohort["age"].max()
    assert dom.levels["diabetes"] == ("yes", "no")
    assert set(dom.levels["trial"]) == set(sim_cohort["trial"].dropna().astype(str))


def test_panel_has_a_control_per_filterable_variable(domain):
    panel = filter_panel(domain)
    found = [c.id for c in _walk(panel) if getattr(c, "id", None) is not None]
    for name in RANGE_VARIABLES:
        assert ids.range_id(name) in found
    for name in CATEGORY_VARIABLES:
        assert ids.category_id(name) in found
    for fixed in (ids.GROUPS, ids.LDL_THERAPY, ids.SBP_THERAPY, ids.LDL_CUT, ids.SBP_CUT,
                  ids.MISSING, ids.RESET, ids.GROUP_COUNTS):
        assert fixed in found
    sliders = [c for c in _walk(panel) if isinstance(c, dcc.RangeSlider | dcc.Slider)]
    assert len(sliders) == len(range_names(domain)) + 2  # + LDL-C and SBP cut-points
    assert all(s.allow_direct_input is False for s in sliders)
    cuts = {s.id: s for s in sliders if isinstance(s, dcc.Slider)}
    assert cuts[ids.LDL_CUT].value == 70 and cuts[ids.SBP_CUT].value == 120


def test_labels_carry_units(domain):
    texts = [c.children for c in _walk(filter_panel(domain)) if isinstance(
        getattr(c, "children", None), str)]
    assert "LDL-C (mg/dl)" in texts and "Age (years)" in texts


def test_full_controls_mean_no_filter(domain):
    spec = spec_from_controls(domain, **_controls(domain, control_values(FilterSpec(), domain)))
    assert spec == FilterSpec()


def test_controls_round_trip_a_spec(domain):
    spec = FilterSpec(ranges=(("age", 50.0, 70.0), ("ldl_c", None, 100.0)),
                      categories=(("sex", ("male",)), ("diabetes", ("yes",))),
                      groups=("none", "spotty", "other"), ldl_cut=80.0,
                      sbp_therapy="intensive", missing="keep")
    values = control_values(spec, domain)
    assert values["ranges"][range_names(domain).index("age")] == [50.0, 70.0]
    assert spec_from_controls(domain, **_controls(domain, values)) == spec


def test_empty_checklist_is_a_clear_error(domain):
    values = control_values(FilterSpec(), domain)
    values["categories"][category_names(domain).index("sex")] = []
    with pytest.raises(FilterSpecError, match="no value selected"):
        spec_from_controls(domain, **_controls(domain, values))


def test_query_keeps_page_options_apart():
    filt, opts = split_query("?age=50-70&outcome=delta_tav&sex=male&means=raw")
    assert FilterSpec.from_query(filt) == FilterSpec(ranges=(("age", 50, 70),),
                                                     categories=(("sex", ("male",)),))
    assert opts == {"outcome": "delta_tav", "means": "raw"}
    assert merge_query(filt, {**opts, "chart": "histogram"}) == \
        "?age=50-70&sex=male&outcome=delta_tav&means=raw"  # default chart left out
    assert merge_query("", {"outcome": "delta_pav"}) == ""


def test_page_options_from_layout_params():
    from components.url_state import option, option_list

    assert option({"outcome": "delta_tav"}, "outcome", ("delta_pav", "delta_tav")) == "delta_tav"
    assert option({"outcome": "nonsense"}, "outcome", ("delta_pav", "delta_tav")) == "delta_pav"
    # a repeated key arrives from Dash as a list: the last one wins, no crash
    assert option({"chart": ["box", "ecdf"]}, "chart", ("histogram", "box", "ecdf")) == "ecdf"
    assert option_list({"covar": "age,__import__,sex"}, "covar", ("age", "sex")) == ["age", "sex"]
