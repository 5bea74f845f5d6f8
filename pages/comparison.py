"""Group comparison: LS means (or raw means) with 95% CI, the model, diagnostics, subgroups."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from analysis.data.schema import GROUP, GROUP_LABELS, PATIENT_VARIABLES, get, outcomes
from analysis.display import format_ci, format_count, format_num, format_p
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
    message_figure,
)
from components.page_context import error_alert, error_figure, page_context, small_n_warning
from components.page_options import outcome_radio
from components.sensitivity_figures import (
    make_balance_figure,
    make_sensitivity_forest_figure,
    term_label,
)
from components.tables import frame_table
from components.url_state import option, option_list
from shell.page_cache import cached_page

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
        sensitivity_section(),
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
            html.Span(f" ({kind}; {fit.weights} weights; n = {format_count(fit.n_used)}).{dropped}{notes}")]


@callback(
    Output(LS, "figure"), Output(FOREST, "figure"), Output(caption_id(LS), "children"),
    Output(caption_id(FOREST), "children"), Output(MODEL, "children"),
    Output(DIAGNOSTICS, "children"), Output(FORMULA, "children"), Output(WARNING, "children"),
    Input(ids.FILTER_STORE, "data"), Input(ids.option_id("outcome"), "value"),
    Input(ids.option_id("covar"), "value"), Input(ids.option_id("means"), "value"),
    Input(ids.option_id("present"), "value"), Input(ids.option_id("weights"), "value"),
)
@cached_page("comparison")
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


# ------------------------------------------------------------------ sensitivity section
SENS_RUN = "cmp-sens-run"
SENS_STATUS = "cmp-sens-status"
SENS_FOREST = "cmp-sens-forest"
SENS_TABLE = "cmp-sens-table"
SENS_BALANCE = "cmp-sens-balance"
SENS_BALANCE_TABLE = "cmp-sens-balance-table"
SENS_NOTES = "cmp-sens-notes"
#: The view (filters and model options) the shown sensitivity results were computed for.
SENS_FOR = "cmp-sens-for"
SENS_CANCEL = "cmp-sens-cancel"
SENS_PROGRESS = "cmp-sens-progress"
_SHOWN = {"height": "1.4rem", "visibility": "visible"}
_HIDDEN = {"height": "1.4rem", "visibility": "hidden"}
SENS_PROMPT = "Press “Run the sensitivity analyses” to compute them for this view."


def sensitivity_section():
    """The "Sensitivity" section: computed only when its Run button is pressed."""
    return html.Section([
        html.H2("Sensitivity"),
        html.P("The spotty - none difference re-estimated another way by each analysis, "
               "beside the main model: robust (HC3) standard errors, trial as a random "
               "intercept, propensity-score weighting, multiple imputation of missing "
               "covariates, and the trend over the number of spotty deposits (a different "
               "estimand, in its own panel). Multiple imputation takes a few seconds.",
               className="method-note"),
        html.Div([
            html.Button("Run the sensitivity analyses", id=SENS_RUN, n_clicks=0,
                        className="btn btn-primary me-2"),
            # a background job: its progress and Cancel while it runs
            html.Button("Cancel", id=SENS_CANCEL, n_clicks=0, disabled=True,
                        className="btn btn-outline-secondary btn-sm me-2"),
            dbc.Progress(id=SENS_PROGRESS, value=0, label="", striped=True, animated=True,
                         className="flex-grow-1", style=_HIDDEN),
        ], className="d-flex align-items-center mb-2"),
        html.Div(id=SENS_STATUS, role="status"),
        dcc.Store(id=SENS_FOR),
        figure_block(SENS_FOREST, "sensitivity_forest", size="auto",
                     figure=message_figure(SENS_PROMPT)),
        dcc.Loading([html.Div(id=SENS_TABLE), html.Ul(id=SENS_NOTES, className="method-note")],
                    delay_show=300),
        html.H3("Propensity-score balance"),
        dbc.Row([
            dbc.Col(figure_block(SENS_BALANCE, "propensity_balance", size="auto",
                                 figure=message_figure(SENS_PROMPT)), lg=7),
            dbc.Col(dcc.Loading(html.Div(id=SENS_BALANCE_TABLE), delay_show=300), lg=5),
        ]),
    ], id="cmp-sensitivity")


def _view(store, outcome, covar, means, weights) -> dict:
    """The view a sensitivity run is for (compared with the current one to flag staleness)."""
    return {"query": str(store or ""), "outcome": outcome,
            "covariates": list(picked_covariates(outcome, covar or [], COVARIATE_CHOICES))
            if outcome in OUTCOMES else [],
            "weights": weights or "proportional", "means": means or "adjusted"}


def _sensitivity_notes(table, prop) -> list:
    items = [html.Li(f"{r['analysis']}: {r['note']}") for _, r in table.iterrows() if r["note"]]
    if prop is not None:
        ess = prop.weight_summary.set_index("statistic")["value"]["effective sample size"]
        items.append(html.Li(f"Propensity weighting: effective sample size {ess:,.0f} of "
                             f"{format_count(prop.n)} patients. {prop.method}."))
    return items


@callback(
    Output(SENS_FOREST, "figure"), Output(SENS_TABLE, "children"),
    Output(SENS_BALANCE, "figure"), Output(SENS_BALANCE_TABLE, "children"),
    Output(SENS_NOTES, "children"), Output(SENS_FOR, "data"),
    Output(caption_id(SENS_FOREST), "children"), Output(caption_id(SENS_BALANCE), "children"),
    Input(SENS_RUN, "n_clicks"),
    State(ids.FILTER_STORE, "data"), State(ids.option_id("outcome"), "value"),
    State(ids.option_id("covar"), "value"), State(ids.option_id("means"), "value"),
    State(ids.option_id("present"), "value"), State(ids.option_id("weights"), "value"),
    State(ids.JOB_TICKET, "data"),
    background=True, prevent_initial_call=True,
    running=[(Output(SENS_RUN, "disabled"), True, False),
             (Output(SENS_CANCEL, "disabled"), False, True),
             (Output(SENS_PROGRESS, "style"), _SHOWN, _HIDDEN)],
    progress=[Output(SENS_PROGRESS, "value"), Output(SENS_PROGRESS, "label")],
    cancel=[Input(SENS_CANCEL, "n_clicks")],
)
def run_sensitivity(set_progress, n_clicks, store, outcome, covar, means, present, weights,
                    ticket=None):
    """The sensitivity table (forest + table + notes) and the propensity balance, on
    demand, in a background job (progress and Cancel) for the session that asked."""
    from shell import jobs

    if not n_clicks or outcome not in OUTCOMES:
        raise dash.exceptions.PreventUpdate
    try:
        with jobs.run_as(ticket):
            set_progress((5, "Fitting the sensitivity analyses (multiple imputation takes "
                             "a few seconds)"))
            out = _sensitivity(store, outcome, covar, means, bool(present), weights)
            set_progress((100, "Done"))
            return out
    except jobs.TicketError as err:
        fig = error_figure(err, bool(present))
        return fig, error_alert(err), fig, None, None, dash.no_update, None, None


def _sensitivity(store, outcome, covar, means, present: bool, weights) -> tuple:
    """The outputs of :func:`run_sensitivity` for the open study."""
    view = _view(store, outcome, covar, means, weights)
    model = {"covariates": tuple(view["covariates"]), "weights": view["weights"],
             "means": view["means"]}
    try:
        c = page_context(store, present)
    except ExplorerError as err:
        fig = error_figure(err, present)
        return fig, error_alert(err), fig, None, None, view, None, None
    sens_note = bal_note = None
    sens = api.sensitivity(c.fingerprint, c.query, outcome, **model)
    prop = api.propensity(c.fingerprint, c.query, outcome, **model)
    if sens.ok:
        table, opts = sens.value, dict(sens.options)
        method = (f"Main model and sensitivity analyses ({view['means']} means, "
                  f"{view['weights']} weights); multiple imputation: {opts['imputations']} "
                  f"imputations, seed {opts['seed']}; propensity weights truncated at "
                  f"percentiles {opts['trim']:g} and {100 - opts['trim']:g}")
        sens_note = c.footnote(sens, table["n"].iloc[0], method)
        forest = make_sensitivity_forest_figure(table, outcome=outcome, presentation=present,
                                                footnote=sens_note)
        unit = get(outcome).unit
        block = frame_table(table, table_id="cmp-sens-numbers", columns={
            "analysis": "Analysis", "estimate": f"Estimate ({unit})", "ci_low": "95% CI low",
            "ci_high": "95% CI high", "p": "p", "test": "Test", "n": "n",
            "estimand": "Estimand"})
        notes = _sensitivity_notes(table, prop.value if prop.ok else None)
    else:
        err = ExplorerError(sens.error)
        forest, block, notes = error_figure(err, present), error_alert(err), None
    if prop.ok:
        p = prop.value
        bal_note = c.footnote(prop, p.n, p.method)
        balance = make_balance_figure(p, presentation=present, footnote=bal_note)
        bal = p.balance.assign(term=[term_label(t) for t in p.balance["term"]])
        bal_table = frame_table(bal, table_id="cmp-sens-balance-numbers", columns={
            "term": "Covariate", "smd_before": "SMD before", "smd_after": "SMD after"})
    else:
        balance, bal_table = message_figure(prop.error or "", presentation=present), None
    return (forest, block, balance, bal_table, notes, view, caption(sens_note),
            caption(bal_note))


@callback(
    Output(SENS_STATUS, "children"),
    Input(SENS_FOR, "data"), Input(ids.FILTER_STORE, "data"),
    Input(ids.option_id("outcome"), "value"), Input(ids.option_id("covar"), "value"),
    Input(ids.option_id("means"), "value"), Input(ids.option_id("weights"), "value"),
)
def sensitivity_status(computed_for, store, outcome, covar, means, weights):
    """Says when the shown sensitivity results are for other filters or options (cheap:
    nothing is computed on a filter change)."""
    if not computed_for:
        return None
    if computed_for != _view(store, outcome, covar, means, weights):
        return dbc.Alert("The filters or model options changed since these sensitivity "
                         "analyses were run: press Run again to update them.",
                         color="info", className="py-2")
    return None
