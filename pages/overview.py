"""Overview: the dataset, n per group, the attrition cascade and the headline result."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from analysis.data.schema import GROUP_LABELS, get
from analysis.errors import ExplorerError
from analysis.service import api
from components import ids
from components.figures import graph, make_ls_means_figure
from components.page_context import error_alert, error_figure, page_context, small_n_warning
from components.tables import fmt_num, fmt_p, frame_table, stat_card
from components.url_state import model_weights

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
            dbc.Col(graph(FIGURE, "dpav_ls_means", height=480), lg=5),
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


def _provenance(ctx_, dataset_fp: str):
    return html.Div([
        html.Dl([
            html.Dt("Dataset", className="col-sm-2"),
            html.Dd(ctx_.source, className="col-sm-10"),
            html.Dt("Rows", className="col-sm-2"),
            html.Dd(f"{ctx_.rows:,}", className="col-sm-10"),
            html.Dt("Fingerprint", className="col-sm-2"),
            html.Dd(dataset_fp, className="col-sm-10 fingerprint"),
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
                f"{GROUP_LABELS[level]} (n = {int(r['n']):,})",
                f"{r['ls_mean']:+.2f} {unit}",
                f"{kind}, 95% CI {fmt_num(r['ci_low'])} to {fmt_num(r['ci_high'])}"), md=4))
    cards.append(dbc.Col(stat_card(
        "Difference, spotty - none",
        f"{con['estimate']:+.2f} {unit}",
        f"95% CI {fmt_num(con['ci_low'])} to {fmt_num(con['ci_high'])}; "
        f"p = {fmt_p(con['p'])} ({con['test']})"), md=4))
    return html.Div([dbc.Row(cards, className="g-2 mb-2"),
                     html.P(fit.method, className="method-note")])


@callback(
    Output(PROVENANCE, "children"), Output(COUNTS, "children"), Output(WARNING, "children"),
    Output(HEADLINE, "children"), Output(ATTRITION, "children"), Output(FIGURE, "figure"),
    Input(ids.FILTER_STORE, "data"),
    Input(ids.option_id("present"), "value"),
    Input(ids.option_id("means"), "value"),
    Input(ids.option_id("weights"), "value"),
)
def update(store, present, means, weights):
    """Dataset line, counts, headline ANCOVA and attrition for the current filters."""
    if store is None:
        raise dash.exceptions.PreventUpdate
    try:
        c = page_context(store, present)
    except ExplorerError as err:
        return error_alert(err), None, None, None, None, error_figure(err)
    res = api.overview(c.fingerprint, c.query, outcome=OUTCOME,
                       weights=model_weights(means, weights))
    prov = _provenance(c, c.fingerprint)
    if not res.ok:
        msg = dbc.Alert(res.error, color="warning")
        return prov, None, None, msg, None, error_figure(ExplorerError(res.error))
    counts = html.Div([
        html.Span(f"{GROUP_LABELS.get(g, g)}: n = {n:,}", className=f"badge badge-{g} me-2 fs-6",
                  style=None if g in ("none", "spotty") else {"background": "#999"})
        for g, n in res.n_by_group.items()
    ], className="group-n")
    attr = frame_table(res.attrition, columns=_ATTRITION_COLUMNS, table_id="ov-attrition-table")
    fit = res.get("ancova")
    if means == "raw":  # unadjusted model: LS means equal the raw group means
        raw = api.comparison(c.fingerprint, c.query, outcome=OUTCOME, covariates=())
        fit = raw.get("ancova")
        res = raw if fit is None else res
    if fit is None:
        msg = dbc.Alert("; ".join(res.messages()), color="warning")
        return prov, counts, small_n_warning(res.n_by_group), msg, attr, error_figure(
            ExplorerError(res.errors.get("ancova", "no model")), bool(present))
    fig = make_ls_means_figure(fit, outcome=OUTCOME, footnote=c.footnote(fit.n_used, fit.method),
                               presentation=bool(present), adjusted=means != "raw")
    return prov, counts, small_n_warning(res.n_by_group), _headline(fit), attr, fig
