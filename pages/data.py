"""Data: the filtered patient table, downloads with provenance, and the data dictionary."""

from __future__ import annotations

import logging

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from analysis.data.schema import PATIENT_VARIABLES, dictionary_frame
from analysis.display import format_count
from analysis.errors import ExplorerError
from analysis.service import api
from components import ids
from components.downloads import (
    csv_zip_bytes,
    excel_bytes,
    export_dictionary,
    file_stem,
    parquet_bytes,
    row_level_note,
    view_provenance,
)
from components.grid import BLOCK_SIZE, column_defs, rows_block
from components.page_context import error_alert, page_context
from components.url_state import DEFAULT_DATA_COLUMNS, option_list

dash.register_page(__name__, path="/data", name="Data", title="Data · IVUS study explorer",
                   order=5)

GRID = "data-grid"
GRID_HOLDER = "data-grid-holder"
COLUMNS = ids.option_id("columns")  # a page option: the choice is kept in the URL
COUNT = "data-count"
CSV = "data-csv"
XLSX = "data-xlsx"
PARQUET = "data-parquet"
DOWNLOAD = "data-download"
DICTIONARY = "data-dictionary"
DL_REQUEST = "data-dl-request"   # a large selection's download, for the background job
DL_PANEL = "data-dl-panel"
DL_PROGRESS = "data-dl-progress"
DL_CANCEL = "data-dl-cancel"
DL_STATUS = "data-dl-status"
#: Largest selection whose file is written in the request (Excel: ~5,000 rows a second).
DIRECT_ROWS = 5_000
EXPORT_FAILED = "The file could not be written; the error was logged. Try again or narrow the filters."
log = logging.getLogger("ivus_explorer")

ALL_COLUMNS = tuple(v.name for v in PATIENT_VARIABLES)
DEFAULT_COLUMNS = DEFAULT_DATA_COLUMNS


def layout(**query):
    """Page layout; the columns shown come from the URL."""
    return html.Div([
        html.H1("Data"),
        html.P(id=COUNT, className="fw-semibold", **{"aria-live": "polite"}),
        html.Label("Columns shown", id="data-columns-label", className="form-label"),
        dcc.Dropdown(id=COLUMNS, multi=True,
                     value=option_list(query, "columns", ALL_COLUMNS) or list(DEFAULT_COLUMNS),
                     options=[{"label": v.axis_label, "value": v.name} for v in PATIENT_VARIABLES]),
        html.Div([
            html.Span("Download the filtered rows (all columns, with provenance): ",
                      className="me-2"),
            dbc.Button("CSV (zip)", id=CSV, color="primary", outline=True, className="me-2"),
            dbc.Button("Excel", id=XLSX, color="primary", outline=True, className="me-2"),
            dbc.Button("Parquet", id=PARQUET, color="primary", outline=True),
            # a spinner while the file is written (Excel of 100,000 rows takes ~20 s)
            dcc.Loading(dcc.Download(id=DOWNLOAD), type="dot", delay_show=300,
                        style={"display": "inline-block", "marginLeft": "1rem"}),
        ], className="mb-2 d-flex align-items-center flex-wrap"),
        # a large selection is written by a background job: its progress and Cancel
        dcc.Store(id=DL_REQUEST),
        html.Div([dbc.Progress(id=DL_PROGRESS, value=0, label="", striped=True, animated=True,
                               className="flex-grow-1 me-2", style={"height": "1.4rem"}),
                  dbc.Button("Cancel", id=DL_CANCEL, color="secondary", outline=True,
                             size="sm", disabled=True)],
                 id=DL_PANEL, className="align-items-center mb-2", style={"display": "none"},
                 role="status"),
        html.Div(id=DL_STATUS, className="small", **{"aria-live": "polite"}),
        html.P("CSV: a zip with data.csv (plain CSV, one header row; opens in Excel, R, SAS, "
               "Stata; UTF-8), provenance.txt and dictionary.csv. Formula-like text (starting with =, "
               "+, -, @) gets a leading apostrophe in CSV and is a text cell in Excel; yes/no "
               "as 1/0; numbers rounded to the dictionary's decimals. Excel: data, provenance and "
               "dictionary sheets. Parquet: provenance in the file metadata "
               "(key ivus_explorer_provenance).", className="small text-muted"),
        html.Div(id=GRID_HOLDER, className="my-2"),
        html.H2("Data dictionary"),
        _dictionary_grid(),
    ])


#: Data dictionary columns: width in px (wide enough for the longest word, so cells wrap
#: between words), or None for the description, which takes the rest of the row. The
#: name column stays pinned when the row scrolls sideways.
_DICTIONARY_WIDTHS = {"name": 160, "label": 150, "description": None, "unit": 90,
                      "valid range": 115, "allowed values": 170, "type": 100, "role": 140,
                      "required": 105, "derived": 100}


def _dictionary_grid() -> dag.AgGrid:
    """The data dictionary: every cell wrapped and as tall as its text, the name column
    pinned, the description next to the label (on screen without scrolling)."""
    frame = dictionary_frame()
    order = [c for c in _DICTIONARY_WIDTHS if c in frame.columns]
    defs = []
    for c in order + [c for c in frame.columns if c not in order]:
        width = _DICTIONARY_WIDTHS.get(c, 120)
        d = {"field": c, "headerName": c.capitalize(), "tooltipField": c}
        d.update({"flex": 1, "minWidth": 360} if width is None else
                 {"width": width, "minWidth": width})
        if c == "name":
            d["pinned"] = "left"
        defs.append(d)
    return dag.AgGrid(
        id=DICTIONARY, rowData=frame.to_dict("records"), columnDefs=defs,
        defaultColDef={"filter": True, "sortable": True, "resizable": True,
                       "wrapText": True, "autoHeight": True, "wrapHeaderText": True,
                       "autoHeaderHeight": True,
                       "cellStyle": {"lineHeight": "1.4", "wordBreak": "normal",
                                     "paddingTop": "6px", "paddingBottom": "6px"}},
        # every column rendered, so each row's height is measured on all of its text
        dashGridOptions={"tooltipShowDelay": 400, "suppressColumnVirtualisation": True},
        className="dictionary-grid", style={"height": "640px"},
    )


@callback(Output(GRID_HOLDER, "children"), Output(COUNT, "children"),
          Input(ids.FILTER_STORE, "data"), Input(COLUMNS, "value"))
def rebuild_grid(store, columns):
    """A fresh grid (it then requests its first block) for the filters and columns."""
    if store is None:
        raise dash.exceptions.PreventUpdate
    try:
        c = page_context(store)
        sel = api.selection(c.fingerprint, c.query).unwrap()
    except ExplorerError as err:
        return error_alert(err), None
    cols = [x for x in (columns or DEFAULT_COLUMNS) if x in ALL_COLUMNS] or list(DEFAULT_COLUMNS)
    grid = dag.AgGrid(
        id=GRID, rowModelType="infinite", columnDefs=column_defs(cols),
        defaultColDef={"resizable": True, "minWidth": 110},
        dashGridOptions={"cacheBlockSize": BLOCK_SIZE, "maxBlocksInCache": 20,
                         "infiniteInitialRowCount": (min(sel.n, BLOCK_SIZE)
                                                     if isinstance(sel.n, int) else BLOCK_SIZE),
                         "rowBuffer": 0, "tooltipShowDelay": 300},
        style={"height": "560px"},
    )
    counts = ", ".join(f"{g}: {format_count(n)}" for g, n in sel.n_by_group.items())
    return grid, f"{format_count(sel.n)} patients after the filters ({counts})."


@callback(Output(GRID, "getRowsResponse"), Input(GRID, "getRowsRequest"),
          State(ids.FILTER_STORE, "data"), State(COLUMNS, "value"), prevent_initial_call=True)
def serve_rows(request, store, columns):
    """One block of filtered rows, sorted as the grid asks (rows come from the filter
    panel only: the grid has no column filters)."""
    if request is None:
        raise dash.exceptions.PreventUpdate
    try:
        c = page_context(store)
        frame = api.filtered_frame(c.fingerprint, c.query)
    except ExplorerError:
        return {"rowData": [], "rowCount": 0}
    cols = [x for x in (columns or DEFAULT_COLUMNS) if x in ALL_COLUMNS] or list(DEFAULT_COLUMNS)
    return rows_block(frame, cols, request)


FORMATS = {CSV: "csv", XLSX: "xlsx", PARQUET: "parquet"}


def _export_file(c, fmt: str) -> dict:
    """The filtered rows of context ``c`` as a ``dcc.Download`` value, with provenance."""
    frame = api.filtered_frame(c.fingerprint, c.query)
    sel = api.selection(c.fingerprint, c.query).unwrap()
    cols = [x for x in ALL_COLUMNS if x in frame.columns]
    frame = frame[cols]
    link = "/data" + (f"?{c.query}" if c.query else "")
    record = view_provenance(sel, len(frame), extra={"view": link, **row_level_note()})
    stem = file_stem("patients")
    dictionary = export_dictionary(cols)
    if fmt == "xlsx":
        return dcc.send_bytes(excel_bytes({"data": frame, "dictionary": dictionary}, record),
                              f"{stem}.xlsx")
    if fmt == "parquet":
        return dcc.send_bytes(parquet_bytes(frame, record), f"{stem}.parquet")
    return dcc.send_bytes(csv_zip_bytes(frame, record, dictionary), f"{stem}.zip")


@callback(Output(DOWNLOAD, "data"), Input(CSV, "n_clicks"), Input(XLSX, "n_clicks"),
          Input(PARQUET, "n_clicks"), State(ids.FILTER_STORE, "data"),
          prevent_initial_call=True)
def download(_csv, _xlsx, _parquet, store):
    """Exactly the filtered rows, with provenance, as CSV (zip), Excel or Parquet.

    Up to :data:`DIRECT_ROWS` rows the file is written here; a larger selection is
    written by a background job (:func:`download_large`, with progress and Cancel).
    """
    fmt = FORMATS.get(dash.ctx.triggered_id, "csv")
    try:
        c = page_context(store)
        # the exact row count (Selection.n is the count disclosure control shows:
        # rounded, or "≤k"); the frame is kept per process, the download reads it anyway
        n = len(api.filtered_frame(c.fingerprint, c.query))
        if n > DIRECT_ROWS:
            from shell import jobs

            dash.set_props(DL_REQUEST, {"data": {"format": fmt, "store": c.query, "rows": n}})
            jobs.audited_by_job()  # no file in this answer: the job logs the download
            return dash.no_update
        return _export_file(c, fmt)
    except ExplorerError:
        raise dash.exceptions.PreventUpdate from None


@callback(
    Output(DOWNLOAD, "data", allow_duplicate=True), Output(DL_STATUS, "children"),
    Input(DL_REQUEST, "data"), State(ids.JOB_TICKET, "data"),
    background=True, prevent_initial_call=True,
    running=[(Output(DL_PANEL, "style"), {"display": "flex"}, {"display": "none"}),
             (Output(DL_CANCEL, "disabled"), False, True),
             (Output(CSV, "disabled"), True, False), (Output(XLSX, "disabled"), True, False),
             (Output(PARQUET, "disabled"), True, False)],
    progress=[Output(DL_PROGRESS, "value"), Output(DL_PROGRESS, "label")],
    cancel=[Input(DL_CANCEL, "n_clicks")],
)
def download_large(set_progress, request, ticket):
    """Write the file of a large selection in a background job (progress, Cancel)."""
    from shell import jobs

    if not isinstance(request, dict) or request.get("format") not in FORMATS.values():
        raise dash.exceptions.PreventUpdate
    fmt, rows = request["format"], request.get("rows")
    rows = rows if isinstance(rows, int) else 0
    try:
        with jobs.run_as(ticket):
            set_progress((10, f"Selecting {rows:,} patients"))
            c = page_context(request.get("store"))
            set_progress((30, f"Writing {rows:,} rows as {fmt.upper()}"))
            sent = _export_file(c, fmt)
            jobs.audit("download", view="data-download.data", kind="patient rows",
                       query=c.query, rows=len(api.filtered_frame(c.fingerprint, c.query)))
            set_progress((100, "Done"))
    except ExplorerError as err:
        return dash.no_update, dbc.Alert(str(err), color="warning", className="py-1")
    except Exception:  # noqa: BLE001 - logged; the browser gets a sentence only
        log.exception("large download failed")
        return dash.no_update, dbc.Alert(EXPORT_FAILED, color="danger", className="py-1")
    return sent, None
