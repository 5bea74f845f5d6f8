"""Overview: the dataset, n per group, the attrition cascade and the headline result."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, dcc, html

from analysis.data.schema import GROUP_LABELS, get
from analysis.display import format_ci, format_count, format_p, format_signed, source_name
from analysis.errors import ExplorerError
from analysis.service import api
from components import ids
from components.figures import caption, caption_id, figure_block, make_ls_means_figure
from components.page_context import error_alert, error_figure, page_context, small_n_warning
from components.tables import frame_table, stat_card
from shell.page_cache import cached_page

dash.register_page(__name__, path="/", name="Overview", title="Overview · IVUS study explorer",
                   order=0)

OUTCOME = "delta_pav"
PROVENANCE = "ov-provenance"
COUNTS = "ov-counts"
WARNING = "ov-warning"
ATTRITION = "ov-attrition"
HEADLINE = "ov-headline"
FIGURE = "ov-ls-means"

_ATTRITION_COLUMNS = {"description": "Step", "n": "n left", "n_excluded": "Excluded",
                      "n_excluded_missing": "of which missing",
                      "n_missing_kept": "Kept, missing",
                      "n_none": "None", "n_spotty": "Spotty"}


def layout(**_query):
    """Page layout (filters come from the shared store)."""
    return html.Div([
        html.H1("Overview"),
        dcc.Loading(html.Div(id=PROVENANCE), delay_show=300),
        html.Div(id=COUNTS, className="mb-2"),
        html.Div(id=WARNING),
        html.H2("Headline result: change in percent atheroma volume (ΔPAV)"),
        dcc.Loading(html.Div(id=HEADLINE), delay_show=300),
        dbc.Row([
            dbc.Col(figure_block(FIGURE, "dpav_ls_means"), lg=5),
            dbc.Col([html.H2("Attrition: patients left after each filter and the model",
                             className="mt-0"),
                     dcc.Loading(html.Div(id=ATTRITION), delay_show=300),
                     html.P("Excluded: patients removed by the step; of which missing: removed "
                            "because the filtered value is missing; kept, missing: missing "
                            "value kept (missing-value policy 'keep'). None / Spotty: patients "
                            "left per group.", className="method-note")],
                    lg=7, className="table-responsive"),
        ]),
    ])


def _provenance(prov) -> html.Div:
    return html.Div([
        html.Dl([
            html.Dt("Dataset", className="col-sm-2"),
            html.Dd(source_name(prov.source), className="col-sm-10"),
            html.Dt("Rows", className="col-sm-2"),
            html.Dd(format_count(prov.rows), className="col-sm-10"),
            html.Dt("Fingerprint", className="col-sm-2"),
            html.Dd(prov.fingerprint, className="col-sm-10 fingerprint"),
        ], className="row provenance mb-1"),
    ])


def _headline(fit):
    ls = fit.ls_means.set_index("level")
    kind = "LS mean" if fit.covariates else "Mean"
    con = fit.contrast.iloc[0]
    unit = get(OUTCOME).unit
    cards = []
    for level in ("none", "spotty"):
        if level in ls.index:
            r = ls.loc[level]
            cards.append(dbc.Col(stat_card(
                f"{GROUP_LABELS[level]} (n = {format_count(r['n'])})",
                f"{format_signed(r['ls_mean'])} {unit}" if pd.notna(r["ls_mean"]) else "—",
                f"{kind}, {format_ci(r['ci_low'], r['ci_high'])}"), md=4))
    cards.append(dbc.Col(stat_card(
        "Difference, spotty - none",
        f"{format_signed(con['estimate'])} {unit}",
        f"{format_ci(con['ci_low'], con['ci_high'])}; "
        f"{format_p(con['p'], prefix=True)} ({con['test']})"), md=4))
    return html.Div([dbc.Row(cards, className="g-2 mb-2"),
                     html.P(fit.method, className="method-note")])


def _counts(n_by_group) -> html.Div:
    return html.Div([
        html.Span(f"{GROUP_LABELS.get(g, g)}: n = {format_count(n)}", className=f"badge badge-{g} me-2 fs-6",
                  style=None if g in ("none", "spotty") else {"background": "#999"})
        for g, n in n_by_group.items()
    ], className="group-n")


@callback(
    Output(PROVENANCE, "children"), Output(COUNTS, "children"), Output(WARNING, "children"),
    Output(HEADLINE, "children"), Output(ATTRITION, "children"), Output(FIGURE, "figure"),
    Output(caption_id(FIGURE), "children"),
    Input(ids.FILTER_STORE, "data"),
    Input(ids.option_id("present"), "value"),
    Input(ids.option_id("means"), "value"),
    Input(ids.option_id("weights"), "value"),
)
@cached_page("overview")
def update(store, present, means, weights):
    """Dataset line, counts, headline ANCOVA and attrition for the current filters."""
    if store is None:
        raise dash.exceptions.PreventUpdate
    present = bool(present)
    try:
        c = page_context(store, present)
    except ExplorerError as err:
        return error_alert(err), None, None, None, None, error_figure(err), None
    res = api.ancova(c.fingerprint, c.query, OUTCOME, weights=weights or "proportional",
                     means=means or "adjusted", diagnostics=False)
    prov = _provenance(api.provenance(c.fingerprint))
    sel = res.selection
    if sel is None:
        msg = dbc.Alert(res.error, color="warning")
        return prov, None, None, msg, None, error_figure(ExplorerError(res.error), present), None
    warning = small_n_warning(sel.n_by_group)
    if not res.ok:
        attr = frame_table(sel.attrition, columns=_ATTRITION_COLUMNS,
                           table_id="ov-attrition-table")
        return (prov, _counts(sel.n_by_group), warning, dbc.Alert(res.error, color="warning"),
                attr, error_figure(ExplorerError(res.error), present), None)
    fit = res.value
    flow = api.model_flow(c.fingerprint, c.query, OUTCOME, weights=weights or "proportional",
                          means=means or "adjusted")
    attr = frame_table(flow.value if flow.ok else sel.attrition,
                       columns=_ATTRITION_COLUMNS, table_id="ov-attrition-table")
    note = c.footnote(res, fit.n_used, fit.method)
    fig = make_ls_means_figure(fit, outcome=OUTCOME, footnote=note, presentation=present,
                               adjusted=bool(fit.covariates))
    return prov, _counts(sel.n_by_group), warning, _headline(fit), attr, fig, caption(note)
