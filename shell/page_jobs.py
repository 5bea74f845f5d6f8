"""A page's analyses of a large cohort as a background job: progress, Cancel, result.

:mod:`shell.page_cache` asks for a job (``ids.JOB_REQUEST``) when a view of a study
with more than ``Settings.background_rows`` patients is not cached yet. The job runs
in the app's background manager (Celery under ``make serve``) for the session that
asked (the job ticket, :mod:`shell.jobs`): it filters, computes the page's outputs
and keeps them in the shared cache, showing its progress in :func:`job_panel` (with a
Cancel button). When it is done the page is asked again (the filter store is set to
the same query, if the user has not moved on) and draws from the cache.
"""

from __future__ import annotations

import logging

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from analysis.errors import ExplorerError
from components import ids

log = logging.getLogger("ivus_explorer.jobs")

JOB_DONE = "job-done"
SHOWN = {"display": "block"}
HIDDEN = {"display": "none"}
FAILED = "The analyses could not be computed; the error was logged. Reload the page to try again."


def job_panel() -> html.Div:
    """The shell's job status: a progress bar and Cancel (hidden unless a job runs)."""
    from shell import jobs

    return html.Div([
        dcc.Store(id=ids.JOB_TICKET, data=jobs.issue()),
        dcc.Store(id=ids.JOB_REQUEST),
        dcc.Store(id=JOB_DONE),
        html.Div([
            html.Div([
                dbc.Progress(id=ids.JOB_PROGRESS, value=0, label="", striped=True,
                             animated=True, style={"height": "1.4rem"},
                             className="flex-grow-1 me-2"),
                dbc.Button("Cancel", id=ids.JOB_CANCEL, color="secondary", outline=True,
                           size="sm", disabled=True),
            ], className="d-flex align-items-center"),
        ], id=ids.JOB_PANEL, style=HIDDEN, className="my-2", role="status"),
        html.Div(id=ids.JOB_STATUS, className="small", **{"aria-live": "polite"}),
    ])


@callback(
    Output(JOB_DONE, "data"), Output(ids.JOB_STATUS, "children"),
    Input(ids.JOB_REQUEST, "data"), State(ids.JOB_TICKET, "data"),
    background=True, prevent_initial_call=True,
    running=[(Output(ids.JOB_PANEL, "style"), SHOWN, HIDDEN),
             (Output(ids.JOB_CANCEL, "disabled"), False, True)],
    progress=[Output(ids.JOB_PROGRESS, "value"), Output(ids.JOB_PROGRESS, "label")],
    cancel=[Input(ids.JOB_CANCEL, "n_clicks")],
)
def run_page_job(set_progress, request, ticket):
    """Compute a page's outputs for the session of ``ticket`` and keep them."""
    from analysis.service import api
    from components import session
    from shell import jobs, page_cache

    if not isinstance(request, dict) or request.get("page") not in page_cache._BUILDERS:  # noqa: SLF001
        raise dash.exceptions.PreventUpdate
    args = request.get("args") or []
    store = args[0] if args else None
    try:
        # the study the page saw (keyed by it, so the page finds the result), if the
        # ticket's user may see it (session.current_fingerprint checks; else the default)
        with jobs.run_as(ticket) as who, session.acting_as(
                who.user, str(request.get("fp") or who.fingerprint)):
            study = session.current_fingerprint()
            set_progress((10, f"Selecting from {int(request.get('rows') or 0):,} patients"))
            api.selection(study, str(store or ""))
            set_progress((35, "Fitting the models and drawing the figures"))
            page_cache.compute(request["page"], list(args), who.role)
            set_progress((100, "Done"))
    except ExplorerError as err:
        return dash.no_update, dbc.Alert(str(err), color="warning", className="py-1")
    except Exception:  # noqa: BLE001 - logged; the browser gets a sentence only
        log.exception("page job %s failed", request.get("page"))
        return dash.no_update, dbc.Alert(FAILED, color="danger", className="py-1")
    return {"store": store}, None


@callback(Output(ids.FILTER_STORE, "data", allow_duplicate=True), Input(JOB_DONE, "data"),
          State(ids.FILTER_STORE, "data"), prevent_initial_call=True)
def redraw_after_job(done, current):
    """Have the page ask again (from the cache) when its job finished for these filters."""
    if not isinstance(done, dict) or done.get("store") != current:
        raise dash.exceptions.PreventUpdate
    return current


__all__ = ["job_panel", "run_page_job"]
