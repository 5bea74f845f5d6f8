"""Data: the filtered patient table, downloads with provenance, and the data dictionary."""

from __future__ import annotations

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


@callback(Output(DOWNLOAD, "data"), Input(CSV, "n_clicks"), Input(XLSX, "n_clicks"),
          Input(PARQUET, "n_clicks"), State(ids.FILTER_STORE, "data"),
          prevent_initial_call=True)
def download(_csv, _xlsx, _parquet, store):
    """Exactly the filtered rows, with provenance, as CSV (zip), Excel or Parquet."""
    try:
        c = page_context(store)
        frame = api.filtered_frame(c.fingerprint, c.query)
        sel = api.selection(c.fingerprint, c.query).unwrap()
    except ExplorerError:
        raise dash.exceptions.PreventUpdate from None
    cols = [x for x in ALL_COLUMNS if x in frame.columns]
    frame = frame[cols]
    link = "/data" + (f"?{c.query}" if c.query else "")
    record = view_provenance(sel, len(frame), extra={"view": link, **row_level_note()})
    stem = file_stem("patients")
    trig = dash.ctx.triggered_id
    dictionary = export_dictionary(cols)
    if trig == XLSX:
        return dcc.send_bytes(excel_bytes({"data": frame, "dictionary": dictionary}, record),
                              f"{stem}.xlsx")
    if trig == PARQUET:
        return dcc.send_bytes(parquet_bytes(frame, record), f"{stem}.parquet")
    return dcc.send_bytes(csv_zip_bytes(frame, record, dictionary), f"{stem}.zip")
