"""build_view: the contents of a view from its link (checked against the API and by hand)."""

from __future__ import annotations

import pytest

from analysis.service import api
from components.export_menu import PAGE_FIGURES
from reports.view import ViewError, build_view


def test_default_view_holds_the_comparison_figures_tables_and_numbers(default_view, fingerprint):
    v = default_view
    assert [f.key for f in v.figures] == [k for k, _ in PAGE_FIGURES["/comparison"]]
    # the page's own tables, then those of the Sensitivity section (on by default here)
    assert [t.key for t in v.tables] == ["table1", "ls_means", "forest",
                                         "sensitivity_estimates", "propensity_balance"]
    assert [t.section for t in v.tables] == ["", "", "", "Sensitivity", "Sensitivity"]
    assert v.filters == () and v.dataset == "simulated_cohort.csv"
    # published group sizes of Kataoka 2012: 922 spotty, 425 none
    assert v.numbers["n spotty"] == 922 and v.numbers["n none"] == 425
    assert v.simulated_label.startswith("Simulated data")
    fit = api.ancova(fingerprint, "", "delta_pav").value
    assert v.numbers["ancova LS mean spotty"] == fit.ls_means.set_index("level").loc[
        "spotty", "ls_mean"]
    assert all(f.footnote.n and f.footnote.method for f in v.figures)
    assert any("ANCOVA" in m for m in v.methods) and any("Welch" in m for m in v.methods)


def test_filtered_view_uses_the_moved_cut_points(filtered_view, fingerprint):
    v = filtered_view
    assert [f.key for f in v.figures] == [k for k, _ in PAGE_FIGURES["/therapy"]]
    assert (v.model.ldl_cut, v.model.sbp_cut) == (80.0, 130.0)
    frame = api.filtered_frame(fingerprint, v.filter_query)
    # by hand: the selection is everyone aged 45 to 75, the flag is LDL-C < 80
    assert v.n == int(frame["age"].between(45, 75).sum()) == len(frame)
    flagged = frame[frame["calcification"] == "none"]
    cell = v.numbers["ldl_intensive LS mean none intensive"]
    assert cell == cell and int((flagged["ldl_c"] < 80).sum()) > 0
    assert "LDL-C cut-point for intensive therapy: 80 mg/dl" in "; ".join(v.filters)
    assert {"ldl_intensive interaction p", "sbp_intensive interaction p",
            "ldl_c continuous interaction p"} <= set(v.numbers)


@pytest.mark.parametrize("path", list(PAGE_FIGURES))
def test_every_page_lists_the_figures_its_view_builds(path, fingerprint):
    view = build_view(path, fingerprint)
    assert [f.key for f in view.figures] == [k for k, _ in PAGE_FIGURES[path]]


@pytest.mark.parametrize("link, words", [
    ("/nowhere", "not a page"),
    ("/comparison?age=abc", "not valid"),
    ("/comparison?outcome=age", "not an outcome"),
])
def test_bad_links_get_a_clear_error(link, words, fingerprint):
    with pytest.raises(ViewError, match=words):
        build_view(link, fingerprint)
