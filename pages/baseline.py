"""Baseline characteristics: Table 1 with tests, SMD and missing counts, and downloads."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from analysis.errors import ExplorerError
from analysis.service import api
from components import ids
from components.downloads import csv_zip_bytes, excel_bytes, file_stem, view_provenance
from components.page_context import error_alert, page_context, small_n_warning
from components.tables import frame_table
from shell.page_cache import cached_page

dash.register_page(__name__, path="/baseline", name="Baseline",
                   title="Baseline characteristics · IVUS study explorer", order=1)

TABLE = "bl-table"
WARNING = "bl-warning"
NOTE = "bl-note"
CSV = "bl-csv"
XLSX = "bl-xlsx"
DOWNLOAD = "bl-download"


def layout(**_query):
    """Page layout."""
    return html.Div([
        html.H1("Baseline characteristics"),
        html.Div([
            dbc.Button("Download CSV (zip with provenance)", id=CSV, color="primary",
                       outline=True, className="me-2"),
            dbc.Button("Download Excel", id=XLSX, color="primary", outline=True),
            dcc.Loading(dcc.Download(id=DOWNLOAD), type="dot", delay_show=300,
                        style={"display": "inline-block", "marginLeft": "1rem"}),
        ], className="mb-3"),
        html.Div(id=WARNING),
        dcc.Loading(html.Div(id=TABLE), delay_show=300),
        html.P(id=NOTE, className="method-note"),
    ])


def _table_one(store):
    """(Computed Table 1, its value) for the store's filters; raises ExplorerError."""
    c = page_context(store)
    res = api.table_one(c.fingerprint, c.query)
    return res, res.unwrap()


@callback(Output(TABLE, "children"), Output(WARNING, "children"), Output(NOTE, "children"),
          Input(ids.FILTER_STORE, "data"))
@cached_page("baseline")
def update(store):
    """Table 1 of the filtered cohort."""
    if store is None:
        raise dash.exceptions.PreventUpdate
    try:
        res, t1 = _table_one(store)
    except ExplorerError as err:
        return error_alert(err), None, None
    tests = sorted({str(t) for t in t1.tidy["test"].dropna() if str(t)})
    note = ("Mean ± SD or median (IQR) for numeric variables, n (%) for categories. "
            f"p: spotty vs none by the test named in the Test column ({', '.join(tests)}). "
            "SMD: standardised mean difference. Missing: patients with no value. ")
    note += res.selection.data_label
    return (frame_table(t1.formatted, table_id="bl-table-1"), small_n_warning(res.n_by_group),
            note)


@callback(Output(DOWNLOAD, "data"), Input(CSV, "n_clicks"), Input(XLSX, "n_clicks"),
          State(ids.FILTER_STORE, "data"), prevent_initial_call=True)
def download(_csv, _xlsx, store):
    """Table 1 as a zip (table_one.csv style data.csv + provenance.txt) or Excel."""
    try:
        res, t1 = _table_one(store)
    except ExplorerError:
        raise dash.exceptions.PreventUpdate from None
    record = view_provenance(res.selection, res.selection.n,
                             extra={"table": "Table 1 (baseline characteristics)",
                                    "view": "/baseline" + (f"?{res.selection.query}"
                                                           if res.selection.query else "")})
    stem = file_stem("table1")
    if dash.ctx.triggered_id == XLSX:
        data = excel_bytes({"table1": t1.formatted, "table1_tidy": t1.tidy}, record)
        return dcc.send_bytes(data, f"{stem}.xlsx")
    return dcc.send_bytes(csv_zip_bytes(t1.formatted, record), f"{stem}.zip")
