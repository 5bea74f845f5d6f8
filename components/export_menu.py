"""The Export menu of the navbar: the meeting kit of the current view and its figures.

One "Export" button in the navbar opens a dialog for the view in the address bar
(URL pathname + search = the view's link):

* **Meeting kit**: slide deck (.pptx), HTML report, Python script, R script or
  everything (.zip), with or without the Sensitivity section (a checkbox, ticked when
  the dialog opens on /comparison). Built by a background callback (the app's one manager,
  :func:`shell.background.background_manager`) that shows its progress in the dialog,
  can be cancelled and never blocks other users.
* **Figure image**: one figure of the page as PNG (300 dpi at slide size), SVG or PDF,
  with its caption band (:mod:`components.static_images`).

Errors reach the dialog as a sentence; no exception text, server path or stack trace
does (unexpected errors are logged).
"""

from __future__ import annotations

import logging

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from analysis.errors import ExplorerError
from components import ids, session

#: Roles whose kit zip holds the patient rows (data.csv), as the Data page's downloads.
ROW_ROLES = ("analyst", "admin")
log = logging.getLogger("ivus_explorer")

OPEN = "export-open"
MODAL = "export-modal"
KIT_FORMAT = "export-kit-format"
KIT_SENSITIVITY = "export-kit-sensitivity"
KIT_BUILD = "export-kit-build"
KIT_CANCEL = "export-kit-cancel"
KIT_PROGRESS = "export-kit-progress"
KIT_STATUS = "export-kit-status"
KIT_DOWNLOAD = "export-kit-download"
FIG_CHOICE = "export-fig-choice"
FIG_FORMAT = "export-fig-format"
FIG_BUILD = "export-fig-build"
FIG_STATUS = "export-fig-status"
FIG_DOWNLOAD = "export-fig-download"

KIT_CHOICES = (("pptx", "Slide deck (.pptx)"), ("html", "HTML report (offline)"),
               ("py", "Python script (.py)"), ("r", "R script (.R)"),
               ("zip", "Everything (.zip: data, figures, scripts, deck, report)"))
IMAGE_CHOICES = (("png", "PNG (300 dpi)"), ("svg", "SVG (vector)"), ("pdf", "PDF"))
#: Figures of each page: (key, label), in the page's order (as reports.view_pages).
PAGE_FIGURES: dict[str, tuple[tuple[str, str], ...]] = {
    "/": (("dpav_ls_means", "ΔPAV LS means by group"),),
    "/baseline": (), "/data": (),
    "/progression": (("progression_distribution", "Distribution"),
                     ("baseline_vs_followup", "Baseline and follow-up"),
                     ("pct_regression", "Patients with regression"),
                     ("dose_response_spotty_deposits", "By number of spotty deposits")),
    "/comparison": (("ls_means_by_group", "LS means by group"),
                    ("subgroup_forest", "Subgroup forest plot"),
                    ("sensitivity_forest", "Sensitivity analyses (forest)"),
                    ("propensity_balance", "Propensity-score balance")),
    "/therapy": (("ldl_intensive_interaction", "Group × LDL-C therapy"),
                 ("ldl_c_continuous_interaction", "Across LDL-C"),
                 ("sbp_intensive_interaction", "Group × SBP therapy"),
                 ("sbp_continuous_interaction", "Across SBP")),
    "/definition": (("definition_difference", "Headline difference, both definitions"),
                    ("definition_flow", "Patients moving between groups"),
                    ("definition_curve_arc", "Difference across the arc limit"),
                    ("definition_curve_length", "Difference across the deposit length")),
}
#: Pages whose kit holds the Sensitivity section by default (reports.view_sensitivity).
SENSITIVITY_PAGES = ("/comparison",)
SENSITIVITY_LABEL = ("Include the Sensitivity section (HC3, random trial intercept, "
                     "propensity-score weighting and balance, multiple imputation, deposit "
                     "trend; multiple imputation can take several seconds)")
FAILED = "The file could not be made; the error was logged. Reload the page and try again."


def export_button() -> dbc.Button:
    """The navbar's Export button (opens the dialog)."""
    return dbc.Button("Export", id=OPEN, color="light", outline=True, size="sm",
                      className="py-0 px-2 ms-2", style={"fontSize": ".78rem", "lineHeight": 1.2},
                      title="Slide deck, report, scripts and figure images of this view")


def export_modal() -> dbc.Modal:
    """The Export dialog (in the shell once)."""
    kit = html.Section([
        html.H2("Meeting kit of this view", className="h5"),
        dbc.RadioItems(id=KIT_FORMAT, value="pptx",
                       options=[{"label": t, "value": v} for v, t in KIT_CHOICES]),
        dbc.Checkbox(id=KIT_SENSITIVITY, value=False, label=SENSITIVITY_LABEL,
                     className="mt-2 small"),
        html.Div([
            dbc.Button("Build and download", id=KIT_BUILD, color="primary", className="me-2"),
            dbc.Button("Cancel", id=KIT_CANCEL, color="secondary", outline=True,
                       disabled=True),
        ], className="my-2"),
        dbc.Progress(id=KIT_PROGRESS, value=0, label="", striped=True, animated=True,
                     style={"height": "1.4rem", "visibility": "hidden"}),
        html.Div(id=KIT_STATUS, className="small mt-1", **{"aria-live": "polite"}),
        dcc.Download(id=KIT_DOWNLOAD),
    ], **{"aria-label": "Meeting kit"})
    figure = html.Section([
        html.H2("Figure image", className="h5 mt-3"),
        dbc.Select(id=FIG_CHOICE, options=[], placeholder="Figure of this page"),
        dbc.RadioItems(id=FIG_FORMAT, value="png", inline=True, className="my-1",
                       options=[{"label": t, "value": v} for v, t in IMAGE_CHOICES]),
        dbc.Button("Download figure", id=FIG_BUILD, color="primary", outline=True),
        dcc.Loading(html.Div(id=FIG_STATUS, className="small mt-1"), type="dot"),
        dcc.Download(id=FIG_DOWNLOAD),
    ], **{"aria-label": "Figure image"})
    return dbc.Modal([
        dbc.ModalHeader(dbc.ModalTitle("Export")),
        dbc.ModalBody([html.P("Everything is made from this view: its filters, options "
                              "and dataset, as in the address bar.", className="small"),
                       kit, figure]),
    ], id=MODAL, is_open=False, size="lg")


def figure_options(pathname: str | None) -> list[dict]:
    """Options of the figure list for a page path."""
    path = "/" + (pathname or "/").strip("/")
    return [{"label": label, "value": key} for key, label in PAGE_FIGURES.get(path, ())]


@callback(Output(MODAL, "is_open"), Output(FIG_CHOICE, "options"), Output(FIG_CHOICE, "value"),
          Output(KIT_SENSITIVITY, "value"),
          Input(OPEN, "n_clicks"), State(ids.URL, "pathname"), prevent_initial_call=True)
def open_dialog(_clicks, pathname):
    """Open the dialog with the page's figures listed (and the Sensitivity section
    ticked on the pages that hold it by default)."""
    options = figure_options(pathname)
    path = "/" + (pathname or "/").strip("/")
    return (True, options, options[0]["value"] if options else None,
            path in SENSITIVITY_PAGES)


def link_of(pathname: str | None, search: str | None) -> str:
    """The view's link: path + query string, as in the address bar."""
    return (pathname or "/") + (search or "")


@callback(
    Output(KIT_DOWNLOAD, "data"), Output(KIT_STATUS, "children"),
    Input(KIT_BUILD, "n_clicks"), State(KIT_FORMAT, "value"), State(ids.URL, "pathname"),
    State(ids.URL, "search"), State(KIT_SENSITIVITY, "value"), State(ids.JOB_TICKET, "data"),
    background=True, prevent_initial_call=True,
    running=[(Output(KIT_BUILD, "disabled"), True, False),
             (Output(KIT_CANCEL, "disabled"), False, True),
             (Output(KIT_PROGRESS, "style"), {"height": "1.4rem", "visibility": "visible"},
              {"height": "1.4rem", "visibility": "hidden"})],
    progress=[Output(KIT_PROGRESS, "value"), Output(KIT_PROGRESS, "label")],
    cancel=[Input(KIT_CANCEL, "n_clicks")],
)
def build_kit(set_progress, _clicks, fmt, pathname, search, sensitivity=None, ticket=None):
    """Build the kit file of the view (in a background job) and send it, on the study
    of the session that asked (its job ticket, :mod:`shell.jobs`).

    ``sensitivity``: the checkbox (None, as from an old page: the page's default).
    """
    from reports.kit import build
    from shell import jobs

    steps = {"n": 0}

    def progress(message: str) -> None:
        # each step closes 12 % of what is left: the bar moves for every message
        # (one per imputation too) and reaches 100 only when the file is ready
        steps["n"] += 1
        set_progress((int(95 * (1 - 0.88 ** steps["n"])), message))

    try:
        with jobs.run_as(ticket) as who:
            # the zip's data.csv holds patient rows: only for roles that may see them
            rows = who.role in ROW_ROLES
            name, data = build(link_of(pathname, search), fmt, progress=progress,
                               fingerprint=who.fingerprint, rows=rows,
                               sensitivity=None if sensitivity is None else bool(sensitivity))
            if fmt == "zip" and rows:
                jobs.audit("download", view=KIT_DOWNLOAD, kind="meeting kit with patient rows",
                           query=(search or "").lstrip("?"))
    except ExplorerError as err:
        return dash.no_update, dbc.Alert(str(err), color="warning", className="py-1")
    except Exception:  # noqa: BLE001 - logged; the browser gets a sentence only
        log.exception("kit export failed for %s", link_of(pathname, search))
        return dash.no_update, dbc.Alert(FAILED, color="danger", className="py-1")
    set_progress((100, "Done"))
    size = f"{len(data) / 1e6:.1f} MB" if len(data) >= 1e6 else f"{len(data) / 1e3:.0f} kB"
    return dcc.send_bytes(data, name), f"{name} ({size}) is ready."


@callback(Output(FIG_DOWNLOAD, "data"), Output(FIG_STATUS, "children"),
          Input(FIG_BUILD, "n_clicks"), State(FIG_CHOICE, "value"), State(FIG_FORMAT, "value"),
          State(ids.URL, "pathname"), State(ids.URL, "search"), prevent_initial_call=True)
def download_figure(_clicks, key, fmt, pathname, search):
    """One figure of the view as PNG, SVG or PDF with its caption band."""
    from components.figures import export_filename
    from components.static_images import render
    from reports.kit import image_size
    from reports.view import build_view
    from reports.view_sensitivity import FIGURE_KEYS

    if not key:
        return dash.no_update, "This page has no figure to export."
    try:
        view = build_view(link_of(pathname, search), session.current_fingerprint(),
                          sensitivity=key in FIGURE_KEYS)
        item = next((f for f in view.figures if f.key == key), None)
        if item is None:
            return dash.no_update, "That figure could not be computed for these filters."
        width, height = image_size(item)
        data = render(item.figure, fmt, footnote=item.footnote, width=width, height=height)
    except ExplorerError as err:
        return dash.no_update, str(err)
    except Exception:  # noqa: BLE001 - logged; the browser gets a sentence only
        log.exception("figure export failed for %s", link_of(pathname, search))
        return dash.no_update, FAILED
    return dcc.send_bytes(data, f"{export_filename(key)}.{fmt}"), ""


__all__ = ["PAGE_FIGURES", "SENSITIVITY_PAGES", "export_button", "export_modal", "figure_options", "link_of"]
