"""Group comparison: LS means (or raw means) with 95% CI, the model, diagnostics, subgroups."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from analysis.data.schema import GROUP, GROUP_LABELS, PATIENT_VARIABLES, get, outcomes
from analysis.display import format_ci, format_num, format_p
from analysis.errors import ExplorerError
from analysis.service import api
from analysis.service.model_options import picked_covariates
from components import ids
from components.figures import (
    caption,
    caption_id,
    figure_block,
    make_forest_figure,
    make_ls_means_figure,
)
from components.page_context import error_alert, error_figure, page_context, small_n_warning
from components.page_options import outcome_radio
from components.tables import frame_table
from components.url_state import option, option_list

dash.register_page(__name__, path="/comparison", name="Group comparison", nav="Comparison",
                   title="Group comparison · IVUS study explorer", order=3)

OUTCOMES = tuple(v.name for v in outcomes())
#: Covariates the picker offers: dictionary variables measured at or before baseline.
COVARIATE_CHOICES = tuple(
    v.name for v in PATIENT_VARIABLES
    if v.role in ("design", "risk_factor", "laboratory", "blood_pressure", "medication")
    and v.name != GROUP)
LS = "cmp-ls-means"
FOREST = "cmp-forest"
MODEL = "cmp-model"
DIAGNOSTICS = "cmp-diagnostics"
FORMULA = "cmp-formula"
WARNING = "cmp-warning"


def layout(**query):
    """Page layout; outcome and covariates come from the URL."""
    outcome = option(query, "outcome", OUTCOMES)
    covar = option_list(query, "covar", COVARIATE_CHOICES)
    return html.Div([
        html.H1("Group comparison"),
        dbc.Row([
            dbc.Col(outcome_radio(outcome, OUTCOMES, page="cmp"), md=4),
            dbc.Col(html.Div([
                html.Div("Adjust for (the outcome's baseline value is always included)",
                         id="cmp-covar-label", className="form-label"),
                dbc.Checklist(id=ids.option_id("covar"), value=covar, inline=True,
                              options=[{"label": get(v).label, "value": v}
                                       for v in COVARIATE_CHOICES]),
            ], role="group", **{"aria-labelledby": "cmp-covar-label"}), md=8),
        ], className="mb-2"),
        html.Div(id=FORMULA, className="method-note mb-2"),
        html.Div(id=WARNING),
        dbc.Row([
            dbc.Col(figure_block(LS, "ls_means_by_group", size="tall"), lg=5),
            dbc.Col([html.H2("Model", className="mt-0"),
                     dcc.Loading(html.Div(id=MODEL), delay_show=300)], lg=7),
        ]),
        html.H2("Subgroups: spotty - none difference and interaction p"),
        figure_block(FOREST, "subgroup_forest", size="auto"),
        html.H2("Diagnostics"),
        dcc.Loading(html.Div(id=DIAGNOSTICS), delay_show=300),
    ])


def _model_block(fit, unit: str):
    con = fit.contrast.iloc[0]
    ls = fit.ls_means.copy()
    ls["group"] = ls["level"].map(lambda g: GROUP_LABELS.get(str(g), str(g)))
    label = "LS mean" if fit.covariates else "Mean"
    return html.Div([
        frame_table(ls, columns={"group": "Group", "n": "n", "ls_mean": f"{label} ({unit})",
                                 "se": "SE", "ci_low": "95% CI low", "ci_high": "95% CI high"},
                    table_id="cmp-ls-table"),
        html.P(f"Difference spotty - none: {format_num(con['estimate'])} {unit} "
               f"({format_ci(con['ci_low'], con['ci_high'])}), "
               f"{format_p(con['p'], prefix=True)} ({con['test']}).", className="fw-semibold"),
        html.P(fit.method, className="method-note"),
        html.Details([html.Summary("Coefficients"),
                      frame_table(fit.coefficients, table_id="cmp-coef-table")]),
    ])


def _formula(fit) -> list:
    dropped = f" Dropped: {'; '.join(fit.dropped)}." if fit.dropped else ""
    notes = f" {' '.join(fit.notes)}" if fit.notes else ""
    kind = "adjusted" if fit.covariates else "raw means: no covariates"
    return [html.Span("Model: ", className="fw-semibold"), html.Code(fit.formula),
            html.Span(f" ({kind}; {fit.weights} weights; n = {fit.n_used:,}).{dropped}{notes}")]


@callback(
    Output(LS, "figure"), Output(FOREST, "figure"), Output(caption_id(LS), "children"),
    Output(caption_id(FOREST), "children"), Output(MODEL, "children"),
    Output(DIAGNOSTICS, "children"), Output(FORMULA, "children"), Output(WARNING, "children"),
    Input(ids.FILTER_STORE, "data"), Input(ids.option_id("outcome"), "value"),
    Input(ids.option_id("covar"), "value"), Input(ids.option_id("means"), "value"),
    Input(ids.option_id("present"), "value"), Input(ids.option_id("weights"), "value"),
)
def update(store, outcome, covar, means, present, weights):
    """ANCOVA and subgroup effects for the filters, outcome, covariates, raw/adjusted and
    the LS-mean weighting."""
    if store is None or outcome not in OUTCOMES:
        raise dash.exceptions.PreventUpdate
    present = bool(present)
    model = {"covariates": picked_covariates(outcome, covar or [], COVARIATE_CHOICES),
             "weights": weights or "proportional", "means": means or "adjusted"}
    try:
        c = page_context(store, present)
    except ExplorerError as err:
        fig = error_figure(err, present)
        return fig, fig, None, None, error_alert(err), None, None, None
    res = api.ancova(c.fingerprint, c.query, outcome, **model)
    sub = api.subgroups(c.fingerprint, c.query, outcome, **model)
    if res.ok:
        fit = res.value
        note = c.footnote(res, fit.n_used, fit.method)
        ls_fig = make_ls_means_figure(fit, outcome=outcome, adjusted=bool(fit.covariates),
                                      footnote=note, presentation=present)
        ls_cap = caption(note)
        block = _model_block(fit, get(outcome).unit)
        diag = frame_table(fit.diagnostics, table_id="cmp-diag-table")
        formula = _formula(fit)
    else:
        err = ExplorerError(res.error)
        ls_fig, block, diag, formula = error_figure(err, present), error_alert(err), None, None
        ls_cap = None
    if sub.ok:
        sub_note = c.footnote(sub, sub.selection.n, sub.value.method)
        forest = make_forest_figure(sub.value, outcome=outcome, presentation=present,
                                    footnote=sub_note)
        forest_cap = caption(sub_note)
    else:
        forest, forest_cap = error_figure(ExplorerError(sub.error), present), None
    return (ls_fig, forest, ls_cap, forest_cap, block, diag, formula,
            small_n_warning(res.n_by_group))


@callback(Output(ids.option_id("covar"), "options"), Input(ids.option_id("means"), "value"))
def covariates_enabled(means):
    """Raw means use no covariates: the picker is shown disabled."""
    return [{"label": get(v).label, "value": v, "disabled": means == "raw"}
            for v in COVARIATE_CHOICES]
