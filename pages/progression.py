"""Progression: distributions by group, baseline vs follow-up, regression, dose-response."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from analysis.data.schema import GROUP_LABELS, get, outcomes
from analysis.display import format_ci, format_num, format_p
from analysis.errors import ExplorerError
from analysis.service import api
from components import ids
from components.figures import (
    caption,
    caption_id,
    figure_block,
    make_box_figure,
    make_dose_response_figure,
    make_ecdf_figure,
    make_histogram_figure,
    make_paired_figure,
    make_regression_figure,
)
from components.page_context import error_alert, error_figure, page_context, small_n_warning
from components.page_options import option_radio, outcome_radio
from components.tables import frame_table
from components.url_state import option
from shell.page_cache import cached_page

dash.register_page(__name__, path="/progression", name="Progression",
                   title="Progression · IVUS study explorer", order=2)

OUTCOMES = tuple(v.name for v in outcomes())
CHARTS = {"histogram": "Histogram", "box": "Box plot", "ecdf": "Cumulative (ECDF)"}
DIST = "pr-distribution"
PAIRED = "pr-paired"
REGRESSION = "pr-regression"
DOSE = "pr-dose"
SUMMARY = "pr-summary"
WARNING = "pr-warning"

_FACTORY = {"histogram": make_histogram_figure, "box": make_box_figure, "ecdf": make_ecdf_figure}
_METHOD = {
    "histogram": "Histogram of patient values on a common bin grid (density), computed on the server.",
    "box": "Box: quartiles, whiskers at the last value within 1.5 IQR; up to 50 outliers shown; "
           "computed on the server.",
    "ecdf": "Empirical cumulative distribution on a 200-point grid, computed on the server.",
}


def layout(**query):
    """Page layout; outcome and chart type come from the URL."""
    outcome = option(query, "outcome", OUTCOMES)
    chart = option(query, "chart", CHARTS)
    return html.Div([
        html.H1("Progression"),
        dbc.Row([
            dbc.Col(outcome_radio(outcome, OUTCOMES, page="pr"), md=6),
            dbc.Col(option_radio("chart", "Distribution chart", chart, CHARTS, page="pr"), md=6),
        ], className="mb-2"),
        html.Div(id=WARNING),
        dbc.Row([
            dbc.Col(figure_block(DIST, "progression_distribution"), lg=6),
            dbc.Col(figure_block(PAIRED, "baseline_vs_followup"), lg=6),
        ]),
        dbc.Row([
            dbc.Col(figure_block(REGRESSION, "pct_regression"), lg=6),
            dbc.Col(figure_block(DOSE, "dose_response_spotty_deposits"), lg=6),
        ]),
        html.H2("Change by group"),
        dcc.Loading(html.Div(id=SUMMARY), delay_show=300),
    ])


def _summary_block(summary, unit: str):
    by = summary.by_group.copy()
    by["group"] = by["level"].map(lambda g: GROUP_LABELS.get(str(g), str(g)))
    cols = {"group": "Group", "n": "n", "mean": f"Mean ({unit})", "sd": "SD",
            "median": "Median", "q1": "Q1", "q3": "Q3", "p_change": "p (change vs 0)",
            "test_change": "Test", "pct_regression": "% regression"}
    diff = summary.difference_test.iloc[0]
    reg = summary.regression_test.iloc[0]
    return html.Div([
        frame_table(by, columns=cols, table_id="pr-summary-table"),
        html.P([
            f"Unadjusted difference, spotty - none: {format_num(diff['estimate'])} {unit} "
            f"({format_ci(diff['ci_low'], diff['ci_high'])}), "
            f"{format_p(diff['p'], prefix=True)} ({diff['test']}). ",
            f"Regression (change < 0) spotty vs none: {format_p(reg['p'], prefix=True)} "
            f"({reg['test']}).",
        ], className="method-note"),
    ])


def _figure(res, build, footnote, present: bool):
    """(figure, caption) of a computed result, or its message as an empty figure.

    ``footnote`` maps the result's value to its Footnote (the caption under the figure).
    """
    if not res.ok:
        return error_figure(ExplorerError(res.error), present), None
    note = footnote(res.value)
    return build(res.value, note), caption(note)


@callback(
    Output(DIST, "figure"), Output(PAIRED, "figure"), Output(REGRESSION, "figure"),
    Output(DOSE, "figure"), Output(caption_id(DIST), "children"),
    Output(caption_id(PAIRED), "children"), Output(caption_id(REGRESSION), "children"),
    Output(caption_id(DOSE), "children"), Output(SUMMARY, "children"),
    Output(WARNING, "children"),
    Input(ids.FILTER_STORE, "data"), Input(ids.option_id("outcome"), "value"),
    Input(ids.option_id("chart"), "value"), Input(ids.option_id("present"), "value"),
    Input(ids.option_id("means"), "value"), Input(ids.option_id("weights"), "value"),
)
@cached_page("progression")
def update(store, outcome, chart, present, means, weights):
    """All progression figures for the filters, outcome and chart type."""
    if store is None or outcome not in OUTCOMES:
        raise dash.exceptions.PreventUpdate
    chart = chart if chart in CHARTS else "histogram"
    present = bool(present)
    try:
        c = page_context(store, present)
    except ExplorerError as err:
        fig = error_figure(err, present)
        return fig, fig, fig, fig, None, None, None, None, error_alert(err), None
    fp, q = c.fingerprint, c.query
    dist = api.distribution(fp, q, outcome, kind=chart)
    paired = api.paired(fp, q, outcome)
    summary = api.progression(fp, q, outcome)
    dose = api.dose_response(fp, q, outcome, weights=weights or "proportional",
                             means=means or "adjusted")
    n = dist.selection.n if dist.selection is not None else None
    dist_fig, dist_cap = _figure(
        dist, lambda d, note: _FACTORY[chart](d, outcome=outcome, footnote=note,
                                              presentation=present),
        lambda _d: c.footnote(dist, n, _METHOD[chart]), present)
    paired_fig, paired_cap = _figure(
        paired, lambda d, note: make_paired_figure(d, variable=get(outcome).baseline,
                                                   presentation=present, footnote=note),
        lambda _d: c.footnote(paired, n, "Mean and 95% CI (t distribution) at baseline and "
                                         "follow-up; the groups are drawn side by side."),
        present)
    regression, reg_cap = _figure(
        summary, lambda s, note: make_regression_figure(s, footnote=note, presentation=present),
        lambda s: c.footnote(summary, n, _regression_method(s, outcome)), present)
    dose_fig, dose_cap = _figure(
        dose, lambda d, note: make_dose_response_figure(d, outcome=outcome,
                                                        adjusted=means != "raw",
                                                        presentation=present, footnote=note),
        lambda d: c.footnote(dose, d.n_used, f"{d.method}. Trend: "
                                             f"{format_p(d.p_trend, prefix=True)} "
                                             f"({d.trend_test})."), present)
    table = (_summary_block(summary.value, get(outcome).unit) if summary.ok
             else error_alert(ExplorerError(summary.error)))
    return (dist_fig, paired_fig, regression, dose_fig, dist_cap, paired_cap, reg_cap, dose_cap,
            table, small_n_warning(dist.n_by_group))


def _regression_method(summary, outcome: str) -> str:
    r = summary.regression_test.iloc[0]
    return (f"Regression = {get(outcome).label} < 0; spotty vs none "
            f"{format_p(r['p'], prefix=True)} ({r['test']}).")
