"""Open a study: upload your files, map their columns with the wizard, use the study.

The files go to ``/studies/upload`` as raw request bodies (assets/upload.js; Dash has
no plain file input, and dcc.Upload would send a 200 MB file base64-encoded through
the callback), so only their digests reach the callbacks here.
"""

from __future__ import annotations

import tomllib

import dash
import dash_bootstrap_components as dbc
from dash import (
    ALL,
    MATCH,
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    dcc,
    html,
)

from analysis.data import registry
from analysis.data.mapping import parse_mapping
from analysis.data.mapping_toml import to_toml
from analysis.data.readers import supported_formats
from analysis.data.schema import VARIABLES
from analysis.errors import ExplorerError
from analysis.service import opening
from components import session
from components.mapping_wizard import CODE, CODES_BOX, COL, UNIT, code_table, mapping_from, wizard
from components.tables import frame_table
from shell import sharing

dash.register_page(__name__, path="/open", name="Open a study", nav=False,
                   title="Open a study · IVUS study explorer", order=9)

FILES = "open-files"
INPUT_IDS = "open-input-ids"
UPLOAD = "open-upload"
PROGRESS = "open-progress"
SHEET = "open-sheet"
STATUS = "open-status"
WIZARD = "open-wizard"
REPORT = "open-report"
MAPPING = "open-mapping"
USE = "open-use"
SAVE = "open-save-mapping"
SAVE_FILE = "open-mapping-file"
GO = "open-go"  # a full page load into the new study (the navbar and filters follow it)
#: The file inputs assets/upload.js puts into the slots (kind -> input id).
INPUTS = {"patient": "open-file-patient", "lesions": "open-file-lesions",
          "mapping": "open-file-mapping"}
ACCEPT = {"patient": ".csv,.tsv,.txt,.xlsx,.parquet,.sas7bdat,.xpt,.dta,.sav",
          "lesions": ".csv,.tsv,.txt,.xlsx,.parquet,.sas7bdat,.xpt,.dta,.sav",
          "mapping": ".toml,.txt"}
_COLS = (Input({"type": COL, "var": ALL}, "value"), State({"type": COL, "var": ALL}, "id"))
_CODES = (Input({"type": CODE, "var": ALL, "code": ALL}, "value"),
          State({"type": CODE, "var": ALL, "code": ALL}, "id"))
_UNITS = (Input({"type": UNIT, "var": ALL}, "value"), State({"type": UNIT, "var": ALL}, "id"))


def _file_slot(kind: str, label: str, help_: str):
    return dbc.Col([
        html.Label(label, htmlFor=INPUTS[kind], className="form-label fw-semibold"),
        html.Div(className="file-slot", **{"data-input": INPUTS[kind], "data-accept": ACCEPT[kind]}),
        html.Div(help_, className="form-text"),
    ], md=4)


def layout(**_query):
    """Page layout: files, the wizard, the live report, and the two actions."""
    limit = registry.study_store()[1].max_bytes / 2**20
    return html.Div([
        html.H1("Open a study"),
        html.P([f"Choose your patient file ({supported_formats()}; up to {limit:,.0f} MB) and, "
                "if you have them, a lesion file and a saved mapping. The files are stored "
                "unchanged and only you see the study until an admin shares it. Every "
                "conversion is listed in the report."], className="method-note"),
        dbc.Row([
            _file_slot("patient", "Patient file", "One row per patient."),
            _file_slot("lesions", "Lesion file (optional)",
                       "One row per calcium deposit: patient_id, arc_deg, length_mm."),
            _file_slot("mapping", "Saved mapping (optional)",
                       "A mapping.toml from 'Download mapping', or written by hand."),
        ], className="mb-2"),
        dbc.Row([
            dbc.Col(dbc.Input(id=SHEET, placeholder="Excel sheet (default: the first)",
                              type="text"), md=4),
            dbc.Col(dbc.Button("Upload and suggest a mapping", id=UPLOAD, color="primary"), md=4),
            dbc.Col(dbc.Progress(id=PROGRESS, value=0, style={"height": "1.4rem"}), md=4),
        ], className="mb-3 align-items-center"),
        dcc.Store(id=FILES), dcc.Store(id=INPUT_IDS, data=INPUTS), dcc.Store(id=MAPPING),
        dcc.Location(id=GO, refresh=True),
        html.Div(id=STATUS),
        dcc.Loading(html.Div(id=WIZARD), delay_show=300),
        html.H2("Report"),
        html.Div(html.P("Upload a patient file to see its report.", className="text-muted"),
                 id=REPORT),
        html.Div([
            dbc.Button("Use this study", id=USE, color="success", disabled=True, className="me-2"),
            dbc.Button("Download mapping", id=SAVE, color="secondary", outline=True),
            dcc.Download(id=SAVE_FILE),
        ], className="my-3"),
        *([sharing.admin_panel()] if sharing.is_admin() else []),
    ])


clientside_callback(ClientsideFunction(namespace="upload", function_name="send"),
                    Output(FILES, "data"), Input(UPLOAD, "n_clicks"), State(INPUT_IDS, "data"),
                    prevent_initial_call=True)


def _uploaded(files: dict | None, kind: str) -> str | None:
    entry = (files or {}).get(kind) or {}
    return entry.get("digest")


def _upload_errors(files: dict | None) -> list[str]:
    return [f"{kind} file: {entry['error']}" for kind, entry in (files or {}).items()
            if isinstance(entry, dict) and entry.get("error")]


def _start_mapping(files: dict, suggestion: dict) -> tuple[dict, str | None]:
    """The uploaded mapping file if any (checked), else the suggestion."""
    digest = _uploaded(files, "mapping")
    if not digest:
        return suggestion, None
    stored = registry.study_store()[1].get(digest)
    try:
        mapping = tomllib.loads(stored.path.read_text(encoding="utf-8"))
        parse_mapping(mapping, source=stored.name)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, ExplorerError, AttributeError) as err:
        return suggestion, (f"The mapping file could not be used ({err}); the wizard starts "
                            "from a suggestion instead.")
    return mapping, None


@callback(Output(WIZARD, "children"), Output(STATUS, "children"), Output(MAPPING, "data"),
          Input(FILES, "data"), State(SHEET, "value"), prevent_initial_call=True)
def show_wizard(files, sheet):
    """The wizard for the uploaded patient file, pre-filled."""
    problems = _upload_errors(files)
    digest = _uploaded(files, "patient")
    if problems or not digest:
        msg = problems or ["Choose a patient file first."]
        return None, dbc.Alert([html.Div(m) for m in msg], color="warning"), None
    try:
        summary = opening.summarize(digest, sheet or None)
    except ExplorerError as err:
        return None, dbc.Alert(str(err), color="danger"), None
    start, note = _start_mapping(files, summary.suggestion)
    status = [dbc.Alert(f"{summary.name}: {summary.rows:,} rows, {len(summary.columns)} columns. "
                        "Check each row below; the report updates as you edit.",
                        color="info", className="py-2")]
    if note:
        status.append(dbc.Alert(note, color="warning", className="py-2"))
    return wizard(summary.columns, summary.profiles, start), status, start


@callback(Output({"type": CODES_BOX, "var": MATCH}, "children"),
          Input({"type": COL, "var": MATCH}, "value"), State(FILES, "data"),
          State(SHEET, "value"), State(MAPPING, "data"), prevent_initial_call=True)
def codes_for_column(column, files, sheet, mapping):
    """The code table of a variable for the column now chosen."""
    name = dash.ctx.triggered_id["var"]
    try:
        summary = opening.summarize(_uploaded(files, "patient"), sheet or None)
    except ExplorerError:
        raise dash.exceptions.PreventUpdate from None
    codes = ((mapping or {}).get("codes") or {}).get(name)
    return code_table(VARIABLES[name], summary.profiles.get(column), codes)


@callback(Output(REPORT, "children"), Output(MAPPING, "data", allow_duplicate=True),
          Output(USE, "disabled"), *_COLS, *_CODES, *_UNITS, State(FILES, "data"),
          State(SHEET, "value"), prevent_initial_call=True)
def live_report(cols, col_ids, codes, code_ids, units, unit_ids, files, sheet):
    """The validation report of the mapping the wizard describes, as the user edits."""
    digest = _uploaded(files, "patient")
    if not digest or not col_ids:
        raise dash.exceptions.PreventUpdate
    mapping = mapping_from(cols, col_ids, codes, code_ids, units, unit_ids)
    report = opening.check(digest, sheet or None, opening.mapping_json(mapping),
                           _uploaded(files, "lesions"))
    if report.ok:
        head = dbc.Alert(f"No errors: the study can be used ({len(report.warnings)} warnings, "
                         "shown below, are kept).", color="success", className="py-2")
    else:
        head = dbc.Alert(f"{len(report.errors)} errors to fix before the study can be used.",
                         color="danger", className="py-2")
    table = frame_table(report.to_frame(), table_id="open-report-table") if report.issues else None
    return [head, table], mapping, not report.ok


@callback(Output(GO, "href"), Output(STATUS, "children", allow_duplicate=True),
          Input(USE, "n_clicks"), State(MAPPING, "data"), State(FILES, "data"),
          State(SHEET, "value"), prevent_initial_call=True)
def use_study(_n, mapping, files, sheet):
    """Load the study for this user, open it for this session, go to the Overview."""
    if not _n or not _uploaded(files, "patient"):
        raise dash.exceptions.PreventUpdate
    try:
        fp = opening.open_study(_uploaded(files, "patient"), sheet or None, mapping or {},
                                _uploaded(files, "lesions"), owner=session.user_id())
    except ExplorerError as err:
        return dash.no_update, dbc.Alert(str(err), color="danger")
    session.switch_to(fp)
    return f"/?ds={fp}", None


@callback(Output(SAVE_FILE, "data"), Input(SAVE, "n_clicks"), State(MAPPING, "data"),
          prevent_initial_call=True)
def download_mapping(_n, mapping):
    """The wizard's mapping as a mapping file, for the next upload or --mapping."""
    if not _n or not mapping:
        raise dash.exceptions.PreventUpdate
    return dcc.send_string(to_toml(mapping), "mapping.toml")
