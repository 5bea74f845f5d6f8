"""Figure factories on real analysis results computed on a small slice of the cohort."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest

from analysis.data.schema import GROUP_COLORS, SIMULATED_LABEL
from analysis.display import format_p
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
    """The footnote a figure carries (``layout.meta``), its lines joined."""
    return " ".join(fig.layout.meta["footnote"])


def _annotations(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations]


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
    assert list(fig.layout.xaxis.ticktext) == ["Baseline", "Follow-up"]
    # the groups are drawn side by side: slots 0 and 1, none left of spotty
    none_x, spotty_x = (np.asarray(t.x, dtype=float) for t in fig.data)
    np.testing.assert_allclose(np.round(none_x), [0, 1])
    np.testing.assert_allclose(np.round(spotty_x), [0, 1])
    assert (none_x < spotty_x).all()
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
    assert [t.name for t in fig.data] == ["Raw mean ± SE", "LS mean ± 95% CI"]
    assert fig.layout.showlegend
    # every category (incl. "3+") has a slot on the axis with its n, counted here
    # independently from the deposit counts (3 or more -> "3+")
    analysed = small[small["calcification"].isin(["none", "spotty"])]
    analysed = analysed[analysed["delta_pav"].notna()]
    cat = np.minimum(analysed["n_spotty"].to_numpy(float), 3)
    counts = [int((cat == k).sum()) for k in range(4)]
    assert list(fig.layout.xaxis.ticktext) == [
        f"{c}<br>n = {n:,}" for c, n in zip(["0", "1", "2", "3+"], counts, strict=True)]
    assert list(fig.layout.xaxis.tickvals) == [0, 1, 2, 3]
    raw, ls = fig.data
    # independent: pandas mean and standard error of the mean per category
    by = analysed.groupby(cat)["delta_pav"]
    np.testing.assert_allclose(np.asarray(raw.y, dtype=float), by.mean().to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(raw.error_y.array, dtype=float),
                               by.sem().to_numpy(), rtol=1e-12)
    # adjusted: the plotted points and CIs are the LS means of the dose-response table
    t = dose.table
    np.testing.assert_allclose(np.asarray(ls.y, dtype=float), t["ls_mean"].to_numpy(float),
                               rtol=1e-12)
    np.testing.assert_allclose(np.asarray(ls.error_y.array, dtype=float) + np.asarray(ls.y),
                               t["ls_ci_high"].to_numpy(float), rtol=1e-12)
    # dodged: same slots, raw left of LS, both within their category's slot
    rx, lx = np.asarray(raw.x, dtype=float), np.asarray(ls.x, dtype=float)
    assert (rx < lx).all() and (np.abs(lx - rx) < 0.5).all()
    np.testing.assert_allclose(np.round((rx + lx) / 2), [0, 1, 2, 3])
    # the trend p is named with its test
    title = fig.layout.xaxis.title.text
    assert "Linear trend test" in title and format_p(dose.p_trend, prefix=True) in title
    raw_only = figures.make_dose_response_figure(dose, outcome="delta_pav", adjusted=False)
    assert [t.name for t in raw_only.data] == ["Raw mean ± SE"]


def _number(text: str) -> float:
    return float(text.replace("−", "-"))


def test_forest_figure(small):
    sub = subgroup_effects(small, "delta_pav")
    fig = figures.make_forest_figure(sub, outcome="delta_pav")
    ticks = fig.layout.yaxis.ticktext
    assert len(fig.data[0].y) == len(ticks) == len(sub.table)  # one labelled row each
    assert ticks[0] == "Overall"
    # the plotted points are the table's estimates, row for row (NaN for a row not estimated)
    np.testing.assert_allclose(np.asarray(fig.data[0].x, dtype=float),
                               sub.table["estimate"].to_numpy(float), rtol=1e-12)
    # the reference line at 0
    assert [(s.x0, s.x1) for s in fig.layout.shapes] == [(0, 0)]
    # three text columns beside the marks: a header, then one text per row at its row
    notes = [a for a in fig.layout.annotations]
    headers = [a.text for a in notes if a.y == -1]
    assert headers == ["<b>n none / spotty</b>", "<b>Difference (95% CI)</b>",
                       "<b>p interaction</b>"]
    columns = {}
    for a in notes:
        if a.y != -1:
            columns.setdefault(a.xshift, {})[a.y] = a.text
    n_col, est_col, p_col = (columns[k] for k in sorted(columns))
    for row, r in sub.table.reset_index(drop=True).iterrows():
        assert n_col[row] == f"{int(r['n_none']):,} / {int(r['n_spotty']):,}"
        if not np.isfinite(r["estimate"]):  # a level too small to model
            assert est_col[row] == "not estimated"
            continue
        est, ci = est_col[row].split(" (")
        low, high = ci.rstrip(")").split(" to ")
        # the shown numbers are the table's, to the 2 decimals shown
        assert _number(est) == pytest.approx(r["estimate"], abs=0.005)
        assert _number(low) == pytest.approx(r["ci_low"], abs=0.005)
        assert _number(high) == pytest.approx(r["ci_high"], abs=0.005)
    for row, r in sub.table.reset_index(drop=True).iterrows():
        if np.isfinite(r["p_interaction"]):
            assert p_col[row].startswith(format_p(r["p_interaction"]))
        else:
            assert p_col[row] == ""
    # the axis title is short enough to fit under a half-width plot
    assert len(fig.layout.xaxis.title.text) <= 40


def test_forest_shows_holm_and_bh_beside_the_raw_interaction_p():
    # hand-made table: raw p 0.01 and 0.04 over two variables; Holm 0.02 and 0.04
    # (0.01 x 2, then max(0.02, 0.04 x 1)), BH 0.02 and 0.04 (0.01 x 2 / 1, 0.04 x 2 / 2)
    t = pd.DataFrame({
        "variable": ["Overall", "sex", "sex", "diabetes", "diabetes"],
        "label": ["Overall", "Sex", "Sex", "Diabetes", "Diabetes"],
        "level": [None, "female", "male", "no", "yes"],
        "n_none": [10.0] * 5, "n_spotty": [20.0] * 5, "estimate": [0.4] * 5,
        "ci_low": [0.1] * 5, "ci_high": [0.7] * 5, "p": [0.01] * 5,
        "p_interaction": [np.nan, 0.01, np.nan, 0.04, np.nan],
        "p_holm": [np.nan, 0.02, np.nan, 0.04, np.nan],
        "p_bh": [np.nan, 0.02, np.nan, 0.04, np.nan],
        "interaction_test": ["", "t-test of the product term", "", "t-test", ""]})
    fig = figures.make_forest_figure(t, outcome="delta_pav")
    texts = [a.text for a in fig.layout.annotations]
    assert "<b>Holm / BH</b>" in texts
    cols = figures.forest_columns(t)
    assert [c[2] for c in cols] == ["", "0.010 (t-test)", "", "0.040 (t-test)", ""]
    assert [c[3] for c in cols] == ["", "0.020 / 0.020", "", "0.040 / 0.040", ""]
    assert "0.020 / 0.020" in texts and "0.040 / 0.040" in texts


def test_interaction_figures(small):
    res = interaction(small, "delta_pav", "ldl_intensive")
    fig = figures.make_interaction_figure(res, outcome="delta_pav", modifier_label="LDL-C")
    assert len(fig.data) == 2
    assert [t.split("<br>")[0].lower() for t in fig.layout.xaxis.ticktext] == \
        list(dict.fromkeys(res.cells["modifier_level"].astype(str)))
    # each group's line goes through its cell LS means, at the right modifier level
    cells = res.cells.set_index(["group", "modifier_level"])["ls_mean"]
    mods = list(dict.fromkeys(res.cells["modifier_level"].astype(str)))
    for trace, level in zip(fig.data, ("none", "spotty"), strict=True):
        for x, y, cd in zip(trace.x, trace.y, trace.customdata, strict=True):
            assert cd[1] == mods[round(x)]  # the slot is its modifier level
            assert y == pytest.approx(cells[(level, cd[1])], rel=1e-12)
    # dodged: at every modifier level the two groups sit at different offsets
    none_x, spotty_x = (np.asarray(t.x, dtype=float) for t in fig.data)
    assert (none_x != spotty_x).all() and (np.abs(none_x - spotty_x) < 0.5).all()
    # n per cell in the hover and under the axis
    n = res.cells.set_index(["group", "modifier_level"])["n"]
    for trace, level in zip(fig.data, ("none", "spotty"), strict=True):
        assert "n = %{customdata[0]" in trace.hovertemplate
        assert [int(cd[0]) for cd in trace.customdata] == [n[(level, m)] for m in mods]
    for tick, m in zip(fig.layout.xaxis.ticktext, mods, strict=True):
        assert f"n = {n[('none', m)]:,}" in tick and f"n = {n[('spotty', m)]:,}" in tick
    cont = continuous_interaction(small, "delta_pav", "ldl_c")
    fig = figures.make_continuous_interaction_figure(cont, outcome="delta_pav",
                                                     modifier="ldl_c", cut=70.0)
    assert len(fig.data) == 4  # a CI band and a line per group
    assert fig.layout.shapes[0].x0 == 70.0  # the cut-point line
    # the band is the 'none' colour (Okabe-Ito blue #0072B2 = 0, 114, 178) made translucent
    assert GROUP_COLORS["none"] == "#0072B2"
    assert fig.data[0].fillcolor == "rgba(0, 114, 178, 0.18)"
    assert fig.layout.xaxis.title.text.startswith("LDL-C (mg/dl)")
    assert "cut-point 70" in fig.layout.xaxis.title.text


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
    block = figures.figure_block("x-graph", "ΔPAV means")
    graph = block.children[0].children
    opts = graph.config["toImageButtonOptions"]
    assert opts["format"] == "png" and opts["scale"] >= 3
    assert "sendChartToCloud" in graph.config["modeBarButtonsToRemove"]
    assert opts["filename"].startswith("dpav_means_")
    # the caption sits under the figure, outside it, with the id the page writes to
    assert block.children[1].id == figures.caption_id("x-graph") == "x-graph-caption"
    button = block.children[2].children
    assert button.id == {"type": figures.SVG_BUTTON, "graph": "x-graph"}
    assert button.value == opts["filename"]
    with pytest.raises(ValueError, match="size must be one of"):
        figures.figure_block("x-graph", "x", size="huge")


def test_forest_interaction_p_names_its_test(small):
    sub = subgroup_effects(small, "delta_pav", subgroups=("sex", "statin"))
    named = sub.table[sub.table["interaction_test"] != ""]  # first row of each subgroup
    tests = dict(zip(named["variable"], named["interaction_test"], strict=True))
    assert tests["sex"].startswith("t-test") and tests["statin"].startswith("F-test")
    fn = Footnote(n=400, filters=FILTERS, method=sub.method)
    fig = figures.make_forest_figure(sub, outcome="delta_pav", footnote=fn)
    shown = " ".join([*_annotations(fig), _note(fig)])
    assert "p interaction" in shown
    # every p-value names its test: both kinds of interaction test must be named
    assert "t-test" in shown and "F-test" in shown


def test_footnote_lines_text_and_caption():
    fn = Footnote(n=1347, filters=("Sex: male", "Age 40-80 years"), method="ANCOVA (OLS).",
                  simulated_label=SIMULATED_LABEL)
    assert fn.lines() == ["n = 1,347 · Filters: Sex: male; Age 40-80 years", "ANCOVA (OLS).",
                          SIMULATED_LABEL]
    assert Footnote().lines() == ["Filters: none"]
    lines = fn.text(width=30).split("<br>")
    assert all(len(x.replace("<b>", "").replace("</b>", "")) <= 30 for x in lines)
    assert lines[-1].startswith("<b>") and lines[-1].endswith("</b>")
    # the caption under a figure shows the same three parts
    cap = figures.caption(fn)
    assert [c.className for c in cap] == ["caption-selection", "caption-method", "caption-label"]
    assert cap[0].children == fn.lines()[0] and cap[2].children.children == SIMULATED_LABEL
    assert figures.caption(None) is None


def test_footnote_is_not_drawn_inside_the_figure(fit):
    fn = Footnote(n=fit.n_used, filters=FILTERS, method=fit.method,
                  simulated_label=SIMULATED_LABEL)
    fig = figures.make_ls_means_figure(fit, outcome="delta_pav", footnote=fn)
    assert fig.layout.annotations == ()
    assert fig.layout.meta["footnote"] == fn.lines()
    assert fig.layout.template.layout.legend.y > 1  # any legend sits above the plot area
