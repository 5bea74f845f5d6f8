"""Figure factories on real analysis results computed on a small slice of the cohort."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest

from analysis.data.schema import GROUP_COLORS, SIMULATED_LABEL
from analysis.stats import distributions
from analysis.stats.linear.ancova import ancova
from analysis.stats.linear.dose_response import dose_response
from analysis.stats.linear.interactions import continuous_interaction, interaction
from analysis.stats.linear.subgroups import subgroup_effects
from analysis.stats.progression import progression_summary
from components import figures, theme
from components.figures import Footnote

FILTERS = ("Age 40-80 years",)


@pytest.fixture(scope="module")
def small(sim_cohort) -> pd.DataFrame:
    """400 patients of the bundled cohort (all dictionary columns present)."""
    return sim_cohort.head(400).copy()


@pytest.fixture(scope="module")
def fit(small):
    return ancova(small, "delta_pav")


def _note(fig) -> str:
    """Footnote text with the line breaks and bold tags removed."""
    text = " ".join(a.text for a in fig.layout.annotations)
    return text.replace("</b><br><b>", " ").replace("<br>", " ")


def _groups(frame):
    return {g: frame.loc[frame["calcification"] == g] for g in ("none", "spotty")}


def test_ls_means_figure(fit):
    before = fit.ls_means.copy()
    fn = Footnote(n=fit.n_used, filters=FILTERS, method=fit.method,
                  simulated_label=SIMULATED_LABEL)
    fig = figures.make_ls_means_figure(fit, outcome="delta_pav", footnote=fn)
    assert len(fig.data) == 2
    assert [t.marker.color for t in fig.data] == [GROUP_COLORS["none"], GROUP_COLORS["spotty"]]
    assert "(%)" in fig.layout.yaxis.title.text
    note = _note(fig)
    assert f"n = {fit.n_used:,}" in note and "Age 40-80 years" in note
    assert SIMULATED_LABEL in note and "ANCOVA" in note
    row = fit.ls_means.set_index("level").loc["spotty"]
    assert fig.data[1].y[0] == pytest.approx(row["ls_mean"])
    assert fig.data[1].error_y.array[0] == pytest.approx(row["ci_high"] - row["ls_mean"])
    assert "n = %{customdata[0]" in fig.data[0].hovertemplate
    pd.testing.assert_frame_equal(fit.ls_means, before)  # input not mutated


def test_raw_means_label(small):
    raw = ancova(small, "delta_tav", covar=())
    fig = figures.make_ls_means_figure(raw, outcome="delta_tav", adjusted=False)
    assert fig.layout.yaxis.title.text.startswith("Mean ΔTAV (mm³)")


def test_histogram_counts_add_up_to_group_sizes(small):
    hist = distributions.histogram(small, "delta_pav", bins=20)
    fig = figures.make_histogram_figure(hist, outcome="delta_pav", footnote=Footnote(n=400))
    assert len(fig.data) == 2
    for trace, (level, rows) in zip(fig.data, _groups(small).items(), strict=True):
        counts = np.asarray(trace.customdata)[:, 2]
        # independent count: non-missing ΔPAV values of the group in the frame
        assert counts.sum() == rows["delta_pav"].notna().sum()
        assert trace.marker.color == GROUP_COLORS[level]
    assert fig.layout.xaxis.title.text == "ΔPAV (%)"


def test_box_and_ecdf(small):
    box = distributions.box_summary(small, "delta_pav")
    fig = figures.make_box_figure(box, outcome="delta_pav")
    boxes = [t for t in fig.data if t.type == "box"]
    assert len(boxes) == 2
    assert boxes[0].median[0] == pytest.approx(
        box.set_index("level").loc["none", "median"])
    ecdf = distributions.ecdf(small, "delta_pav")
    fig = figures.make_ecdf_figure(ecdf, outcome="delta_pav")
    assert [t.y[-1] for t in fig.data] == pytest.approx([1.0, 1.0])
    assert fig.layout.yaxis.tickformat == ".0%"


def test_paired_and_regression(small):
    paired = distributions.paired_summary(small, "pav_baseline", "pav_followup")
    fig = figures.make_paired_figure(paired, variable="pav_baseline")
    assert [list(t.x) for t in fig.data] == [["baseline", "follow-up"]] * 2
    # independent: pandas means of complete baseline/follow-up pairs per group
    for trace, rows in zip(fig.data, _groups(small).values(), strict=True):
        pairs = rows[["pav_baseline", "pav_followup"]].dropna()
        assert list(trace.y) == pytest.approx(
            [pairs["pav_baseline"].mean(), pairs["pav_followup"].mean()], rel=1e-12)
    assert "PAV (%)" in fig.layout.yaxis.title.text
    summary = progression_summary(small, "delta_pav")
    fig = figures.make_regression_figure(summary)
    for trace, rows in zip(fig.data, _groups(small).values(), strict=True):
        # independent: share of ΔPAV < 0 among non-missing values
        d = rows["delta_pav"].dropna()
        assert trace.y[0] == pytest.approx(100 * (d < 0).mean())


def test_dose_response_figure(small):
    dose = dose_response(small, "delta_pav")
    fig = figures.make_dose_response_figure(dose, outcome="delta_pav", adjusted=True)
    assert list(fig.data[0].x) == ["0", "1", "2", "3+"]
    assert fig.layout.yaxis.title.text.startswith("LS mean")
    # adjusted: the plotted points are the LS means of the dose-response table
    np.testing.assert_allclose(np.asarray(fig.data[0].y, dtype=float),
                               dose.table["ls_mean"].to_numpy(float), rtol=1e-12)
    raw = figures.make_dose_response_figure(dose, outcome="delta_pav")
    zero = small.loc[small["n_spotty"] == 0, "delta_pav"].dropna()
    assert raw.data[0].y[0] == pytest.approx(zero.mean())  # independent: pandas mean


def test_forest_figure(small):
    sub = subgroup_effects(small, "delta_pav")
    fig = figures.make_forest_figure(sub, outcome="delta_pav")
    ticks = fig.layout.yaxis.ticktext
    assert len(fig.data[0].y) == len(ticks) == len(sub.table)  # one labelled row each
    assert ticks[0] == "Overall"
    # the plotted points are the table's estimates, row for row (NaN for a row not estimated)
    np.testing.assert_allclose(np.asarray(fig.data[0].x, dtype=float),
                               sub.table["estimate"].to_numpy(float), rtol=1e-12)
    assert any("p int." in label for label in ticks)


def test_interaction_figures(small):
    res = interaction(small, "delta_pav", "ldl_intensive")
    fig = figures.make_interaction_figure(res, outcome="delta_pav", modifier_label="LDL-C")
    assert len(fig.data) == 2
    assert set(fig.data[0].x) == set(res.cells["modifier_level"].astype(str))
    # each group's line goes through its cell LS means, at the right modifier level
    cells = res.cells.set_index(["group", "modifier_level"])["ls_mean"]
    for trace, level in zip(fig.data, ("none", "spotty"), strict=True):
        for x, y in zip(trace.x, trace.y, strict=True):
            assert y == pytest.approx(cells[(level, x)], rel=1e-12)
    cont = continuous_interaction(small, "delta_pav", "ldl_c")
    fig = figures.make_continuous_interaction_figure(cont, outcome="delta_pav",
                                                     modifier="ldl_c", cut=70.0)
    assert len(fig.data) == 4  # a CI band and a line per group
    assert fig.layout.shapes[0].x0 == 70.0  # the cut-point line
    # the band is the 'none' colour (Okabe-Ito blue #0072B2 = 0, 114, 178) made translucent
    assert GROUP_COLORS["none"] == "#0072B2"
    assert fig.data[0].fillcolor == "rgba(0, 114, 178, 0.18)"
    assert fig.layout.xaxis.title.text == "LDL-C (mg/dl)"


def test_message_figure_and_presentation_template():
    fig = figures.message_figure("No patients match these filters.")
    assert fig.data == ()
    assert fig.layout.annotations[0].text == "No patients match these filters."
    screen = pio.templates[theme.template_name(False)].layout.font.size
    big = pio.templates[theme.template_name(True)].layout.font.size
    assert big > screen


def test_graph_wrapper_export_config():
    assert figures.export_filename("dpav_ls_means", dt.date(2026, 11, 25)) == \
        "dpav_ls_means_2026-11-25"
    block = figures.graph("x-graph", "ΔPAV means")
    graph = block.children[0].children
    opts = graph.config["toImageButtonOptions"]
    assert opts["format"] == "png" and opts["scale"] >= 3
    assert "sendChartToCloud" in graph.config["modeBarButtonsToRemove"]
    assert opts["filename"].startswith("dpav_means_")
    button = block.children[1].children
    assert button.id == {"type": figures.SVG_BUTTON, "graph": "x-graph"}
    assert button.value == opts["filename"]


def test_forest_interaction_p_names_its_test(small):
    sub = subgroup_effects(small, "delta_pav", subgroups=("sex", "statin"))
    named = sub.table[sub.table["interaction_test"] != ""]  # first row of each subgroup
    tests = dict(zip(named["variable"], named["interaction_test"], strict=True))
    assert tests["sex"].startswith("t-test") and tests["statin"].startswith("F-test")
    fn = Footnote(n=400, filters=FILTERS, method=sub.method)
    fig = figures.make_forest_figure(sub, outcome="delta_pav", footnote=fn)
    shown = " ".join([*fig.layout.yaxis.ticktext, fig.data[0].hovertemplate, _note(fig)])
    assert "p int." in shown
    # every p-value names its test: both kinds of interaction test must be named
    assert "t-test" in shown and "F-test" in shown
