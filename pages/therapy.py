"""Therapy interactions: group x LDL-C / SBP intensity, and the continuous modifiers."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from analysis.data.schema import get, outcomes
from analysis.display import format_exact, format_p
from analysis.errors import ExplorerError
from analysis.service import api
from components import ids
from components.figures import (
    caption,
    caption_id,
    figure_block,
    make_continuous_interaction_figure,
    make_interaction_figure,
)
from components.page_context import error_alert, error_figure, page_context, small_n_warning
from components.page_options import outcome_radio
from components.tables import frame_table
from components.url_state import option
from shell.page_cache import cached_page

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
            dbc.Col(figure_block(_fig_id("cells", flag), f"{measure}_intensity_interaction"), lg=6),
            dbc.Col(figure_block(_fig_id("curve", flag), f"{measure}_continuous_interaction"), lg=6),
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
    _OUTPUTS += [Output(_fig_id("cells", _flag), "figure"),
                 Output(caption_id(_fig_id("cells", _flag)), "children"),
                 Output(_fig_id("curve", _flag), "figure"),
                 Output(caption_id(_fig_id("curve", _flag)), "children"),
                 Output(_fig_id("effects", _flag), "children")]


@callback(
    *_OUTPUTS, Output(CUTS, "children"), Output(WARNING, "children"),
    Input(ids.FILTER_STORE, "data"), Input(ids.option_id("outcome"), "value"),
    Input(ids.option_id("means"), "value"), Input(ids.option_id("present"), "value"),
    Input(ids.option_id("weights"), "value"),
)
@cached_page("therapy")
def update(store, outcome, means, present, weights):
    """Interaction LS means and continuous-modifier curves for LDL-C and SBP."""
    if store is None or outcome not in OUTCOMES:
        raise dash.exceptions.PreventUpdate
    present = bool(present)
    model = {"weights": weights or "proportional", "means": means or "adjusted"}
    try:
        c = page_context(store, present)
    except ExplorerError as err:
        fig = error_figure(err, present)
        return (*(fig, None, fig, None, error_alert(err)) * len(MODIFIERS), None, None)
    out, spec, n_by_group = [], None, {}
    for flag, measure, cut_attr in MODIFIERS:
        inter = api.interaction(c.fingerprint, c.query, outcome, flag, **model)
        cont = api.continuous_interaction(c.fingerprint, c.query, outcome, flag, **model)
        if inter.selection is None:
            err = ExplorerError(inter.error)
            out += [error_figure(err, present), None, error_figure(err, present), None,
                    error_alert(err)]
            continue
        spec, n_by_group = inter.selection.spec, inter.n_by_group
        cut = getattr(spec, cut_attr)
        var = get(measure)
        mod_label = f"{var.label} therapy (intensive: < {format_exact(cut)} {var.unit})"
        if inter.ok:
            out += _cells_figure(c, inter, outcome, mod_label, present)
            effects = _effects(inter.value, var.label, flag)
        else:
            err = ExplorerError(inter.error)
            out += [error_figure(err, present), None]
            effects = error_alert(err)
        if cont.ok:
            method = (f"{cont.value.method}. Interaction "
                      f"{format_p(cont.value.p_interaction, prefix=True)} "
                      f"({cont.value.interaction_test}).")
            note = c.footnote(cont, cont.value.n_used, method)
            out += [make_continuous_interaction_figure(
                cont.value, outcome=outcome, modifier=measure, cut=cut, footnote=note,
                presentation=present), caption(note)]
        else:
            out += [error_figure(ExplorerError(cont.error), present), None]
        out.append(effects)
    cuts = None
    if spec is not None:
        cuts = (f"Cut-points for intensive therapy: LDL-C < {format_exact(spec.ldl_cut)} mg/dl, "
                f"SBP < {format_exact(spec.sbp_cut)} mmHg. Move them with the cut-point "
                "sliders in the filter panel; they are part of the link.")
    return (*out, cuts, small_n_warning(n_by_group))


def _cells_figure(c, inter, outcome: str, mod_label: str, present: bool) -> list:
    """[figure, caption] of the group x therapy-intensity LS means."""
    fit = inter.value
    method = (f"{fit.method}. Interaction {format_p(fit.p_interaction, prefix=True)} "
              f"({fit.interaction_test}). The groups are drawn side by side at each level.")
    note = c.footnote(inter, fit.n_used, method)
    return [make_interaction_figure(fit, outcome=outcome, modifier_label=mod_label,
                                    footnote=note, presentation=present), caption(note)]


def _effects(fit, label: str, flag: str) -> html.Div:
    return html.Div([
        html.P(f"Group × {label} therapy interaction: "
               f"{format_p(fit.p_interaction, prefix=True)} ({fit.interaction_test}).",
               className="fw-semibold"),
        frame_table(fit.simple_effects, table_id=f"th-effects-table-{flag}",
                    columns={"effect": "Effect", "within": "Within", "contrast": "Contrast",
                             "estimate": "Estimate", "ci_low": "95% CI low",
                             "ci_high": "95% CI high", "p": "p", "test": "Test"}),
    ])
