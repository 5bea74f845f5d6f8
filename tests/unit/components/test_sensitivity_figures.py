"""Figure factories of the sensitivity analyses, on small hand-written result frames."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from components import sensitivity_figures as sf
from components import theme
from components.figures import Footnote

NAN = math.nan


@pytest.fixture
def table() -> pd.DataFrame:
    """A sensitivity table as ``sensitivity_table`` lays it out; numbers made up."""
    rows = [
        ("Main model (ANCOVA)", 0.40, 0.14, 0.13, 0.67, 0.004, "t-test A", 1347, "", "spotty - none"),
        ("Robust SE (HC3)", 0.40, 0.15, 0.11, 0.69, 0.007, "t-test B", 1347, "", "spotty - none"),
        ("Propensity-score weighting (stabilised ATE)", NAN, NAN, NAN, NAN, NAN, "", 0,
         "not estimated: needs a covariate", ""),
        ("Trend over deposits (LS-mean contrast)", 0.15, 0.05, 0.05, 0.25, 0.003, "t-test C",
         1300, "", "slope of LS means per deposit category (0, 1, 2, 3+)"),
    ]
    return pd.DataFrame(rows, columns=["analysis", "estimate", "se", "ci_low", "ci_high", "p",
                                       "test", "n", "note", "estimand"])


def _plain(label: str) -> str:
    return re.sub(r"<[^>]+>", "", label.replace("<br>", " "))


def test_forest_puts_the_trend_in_its_own_panel(table):
    fig = sf.make_sensitivity_forest_figure(table, outcome="delta_pav")
    assert isinstance(fig, go.Figure) and len(fig.data) == 2
    top, bottom = fig.data
    np.testing.assert_array_equal(top.x, [0.40, 0.40, NAN])
    np.testing.assert_array_equal(bottom.x, [0.15])
    assert [_plain(y) for y in top.y] == [
        "Main model (ANCOVA) t-test A · n = 1,347", "Robust SE (HC3) t-test B · n = 1,347",
        "Propensity-score weighting (stabilised ATE) not estimated (see the notes)"]
    assert _plain(bottom.y[0]) == "Trend over deposits (LS-mean contrast) t-test C · n = 1,300"
    # error bars: hand differences of the table's CI and estimate
    np.testing.assert_allclose(top.error_x.array[:2], [0.27, 0.29])
    np.testing.assert_allclose(top.error_x.arrayminus[:2], [0.27, 0.29])
    assert bottom.xaxis == "x2" and fig.layout.xaxis2.title.text.startswith("Change in")
    # main model drawn apart from the sensitivity rows
    assert list(top.marker.symbol) == ["diamond", "square", "square"]
    assert top.marker.color[1] == theme.group_color("spotty")


def test_forest_without_a_trend_row_has_one_panel(table):
    fig = sf.make_sensitivity_forest_figure(table.iloc[:2], outcome="delta_tav")
    assert len(fig.data) == 1 and "xaxis2" not in fig.layout
    assert "ΔTAV" in fig.layout.xaxis.title.text


def test_long_tests_wrap_and_keep_n_whole(table):
    long = table.copy()
    long.loc[1, "test"] = "t-test of weighted LS-mean difference, HC0 robust SE (residual df)"
    label = sf.make_sensitivity_forest_figure(long, outcome="delta_pav").data[0].y[1]
    lines = [re.sub(r"<[^>]+>", "", x) for x in label.split("<br>")]
    assert len(lines) == 3 and all(len(x) <= sf.DETAIL_WIDTH for x in lines[1:])
    assert lines[-1].endswith("· n = 1,347")


def test_footnote_is_carried(table):
    note = Footnote(n=1347, filters=("Age 50-70 years",), method="m imputations")
    fig = sf.make_sensitivity_forest_figure(table, outcome="delta_pav", footnote=note)
    text = " ".join(fig.layout.meta["footnote"])  # shown as the caption under the figure
    assert "n = 1,347" in text and "Age 50-70 years" in text and "m imputations" in text


def test_balance_plot_before_and_after():
    balance = pd.DataFrame({"term": ["pav_baseline", "sex[male]", "trial[TRIAL-B]", "zzz"],
                            "smd_before": [0.87, 0.29, -0.02, 0.5],
                            "smd_after": [-0.06, 0.04, 0.02, 0.0]})
    fig = sf.make_balance_figure(balance)
    before, after = fig.data
    assert list(before.y) == ["Baseline PAV", "Sex: male", "Trial: TRIAL-B", "zzz"]
    np.testing.assert_array_equal(before.x, balance["smd_before"])
    np.testing.assert_array_equal(after.x, balance["smd_after"])
    assert (before.name, after.name) == ("Before weighting", "After weighting")
    # the ±0.1 reference lines and the zero line
    xs = sorted(s.x0 for s in fig.layout.shapes)
    assert xs == [-sf.SMD_THRESHOLD, 0.0, sf.SMD_THRESHOLD]
