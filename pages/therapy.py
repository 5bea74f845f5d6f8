"""Therapy interactions: group x LDL-C / SBP intensity, and the continuous modifiers."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from analysis.data.schema import get, outcomes
from analysis.errors import ExplorerError
from analysis.selection.canonical import format_number
from analysis.service import api
from components import ids
from components.figures import graph, make_continuous_interaction_figure, make_interaction_figure
from components.page_context import error_alert, error_figure, page_context, small_n_warning
from components.page_options import outcome_radio
from components.tables import fmt_p, frame_table
from components.url_state import model_weights, option

dash.register_page(__name__, path="/therapy", name="Therapy",
                   title="Therapy interactions · IVUS study explorer", order=4)

OUTCOMES = tuple(v.name for v in outcomes())
MODIFIERS = (("ldl_intensive", "ldl_c", "ldl_cut"), ("sbp_intensive", "sbp", "sbp_cut"))
WARNING = "th-warning"
CUTS = "th-cuts"


def _fig_id(kind: str, flag: str) -> str:
    return f"th-{kind}-{flag}"


def layout(**query):
    """Page layout; the outcome comes from the URL, the cut-points from the filter panel."""
    outcome = option(query, "outcome", OUTCOMES)
    rows = []
    for flag, measure, _cut in MODIFIERS:
        label = get(measure).label
        rows.append(html.H2(f"{label} lowering: intensive vs standard"))
        rows.append(dbc.Row([
            dbc.Col(graph(_fig_id("cells", flag), f"{measure}_intensity_interaction"), lg=6),
            dbc.Col(graph(_fig_id("curve", flag), f"{measure}_continuous_interaction"), lg=6),
        ]))
        rows.append(html.Div(id=_fig_id("effects", flag)))
    return html.Div([
        html.H1("Therapy interactions"),
        dbc.Row([
            dbc.Col(outcome_radio(outcome, OUTCOMES, page="th"), md=5),
            dbc.Col(html.P(id=CUTS, className="method-note"), md=7),
        ]),
        html.Div(id=WARNING),
        *rows,
    ])


_OUTPUTS = []
for _flag, _m, _c in MODIFIERS:
    _OUTPUTS += [Output(_fig_id("cells", _flag), "figure"), Output(_fig_id("curve", _flag), "figure"),
                 Output(_fig_id("effects", _flag), "children")]


@callback(
    *_OUTPUTS, Output(CUTS, "children"), Output(WARNING, "children"),
    Input(ids.FILTER_STORE, "data"), Input(ids.option_id("outcome"), "value"),
    Input(ids.option_id("means"), "value"), Input(ids.option_id("present"), "value"),
    Input(ids.option_id("weights"), "value"),
)
def update(store, outcome, means, present, weights):
    """Interaction LS means and continuous-modifier curves for LDL-C and SBP."""
    if store is None or outcome not in OUTCOMES:
        raise dash.exceptions.PreventUpdate
    present = bool(present)
    raw = means == "raw"
    covariates = () if raw else None
    try:
        c = page_context(store, present)
    except ExplorerError as err:
        fig = error_figure(err, present)
        return (*(fig, fig, error_alert(err)) * len(MODIFIERS), None, None)
    out, n_by_group = [], {}
    for flag, measure, cut_attr in MODIFIERS:
        res = api.therapy(c.fingerprint, c.query, outcome=outcome, modifier=flag,
                          covariates=covariates, weights=model_weights(means, weights))
        if not res.ok:
            err = ExplorerError(res.error)
            out += [error_figure(err, present), error_figure(err, present), error_alert(err)]
            continue
        n_by_group = res.n_by_group
        cut = getattr(c.spec, cut_attr)
        var = get(measure)
        mod_label = f"{var.label} therapy (intensive: < {format_number(cut)} {var.unit})"
        inter, cont = res.get("interaction"), res.get("continuous")
        if inter is None:
            err = ExplorerError(res.errors.get("interaction", "interaction unavailable"))
            out += [error_figure(err, present)]
            effects = error_alert(err)
        else:
            method = (f"{inter.method}. Interaction p = {fmt_p(inter.p_interaction)} "
                      f"({inter.interaction_test}).")
            out.append(make_interaction_figure(inter, outcome=outcome, modifier_label=mod_label,
                                               footnote=c.footnote(inter.n_used, method),
                                               presentation=present))
            effects = html.Div([
                html.P(f"Group × {var.label} therapy interaction: p = "
                       f"{fmt_p(inter.p_interaction)} ({inter.interaction_test}).",
                       className="fw-semibold"),
                frame_table(inter.simple_effects, table_id=f"th-effects-table-{flag}",
                            columns={"effect": "Effect", "within": "Within",
                                     "contrast": "Contrast", "estimate": "Estimate",
                                     "ci_low": "95% CI low", "ci_high": "95% CI high",
                                     "p": "p", "test": "Test"}),
            ])
        if cont is None:
            out.append(error_figure(ExplorerError(res.errors.get("continuous", "unavailable")),
                                    present))
        else:
            method = (f"{cont.method}. Interaction p = {fmt_p(cont.p_interaction)} "
                      f"({cont.interaction_test}).")
            out.append(make_continuous_interaction_figure(
                cont, outcome=outcome, modifier=measure, cut=cut,
                footnote=c.footnote(cont.n_used, method), presentation=present))
        out.append(effects)
    cuts = (f"Cut-points for intensive therapy: LDL-C < {format_number(c.spec.ldl_cut)} mg/dl, "
            f"SBP < {format_number(c.spec.sbp_cut)} mmHg. Move them with the cut-point sliders "
            "in the filter panel; they are part of the link.")
    return (*out, cuts, small_n_warning(n_by_group))
